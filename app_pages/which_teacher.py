"""Which teacher? The capacity gap, a teacher assistant and early-stopped teachers, each a population run."""
import streamlit as st

from kdviz.experiments import which_teacher
from ui import guide
from ui.findings import finding_tab
from ui.intro import about

st.title("Which teacher?")
about("Is the most accurate teacher always the best one to distil from? Each tab tests a published claim.",
      "Each tab trains one small student per seed from several teachers **as one population** (students of one seed "
      "share their initial weights and batch order, so the teachers' effects are paired), beside the **baseline** "
      "trained on labels alone, and tests a published claim: *confirmed here*, *not seen here* or *reversed here*.")
guide.notice("which_teacher")

COLUMNS = [("dataset", "student", "seed"), ("T", "alpha"), ("steps", "seeds")]
TABS = {"capacity": "Capacity gap", "assistant": "Teacher assistant", "early_stop": "Early-stopped teachers"}
INTROS = {
    "capacity": "Teachers of widths " + ", ".join("x".join(map(str, h)) for h in which_teacher.LADDER)
                + ", each distilled into the same small student.",
    "assistant": f"The largest teacher distilled into a {which_teacher.ASSISTANT[0]}-unit assistant, the assistant "
                 "into the small student, against the large teacher into the small student directly.",
    "early_stop": "One teacher trained long without regularisation; students of its checkpoints at steps "
                  + ", ".join(map(str, which_teacher.CHECKS_AT)) + ", the best on validation and the last.",
}
for tab, part in zip(st.tabs(list(TABS.values())), TABS):
    with tab:
        st.markdown(INTROS[part])
        columns = COLUMNS + [("teacher_steps",)] if part == "early_stop" else COLUMNS
        finding_tab("which_teacher", which_teacher.WhichTeacherConfig, part, columns,
                    "Press **Start**: the defaults take ~10 s.")
