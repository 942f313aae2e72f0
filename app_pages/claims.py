"""Claims on trial: widely copied statements about KD, each tested by a population run over seeds."""
import streamlit as st

from kdviz.experiments import claims
from ui import guide
from ui.findings import finding_tab
from ui.intro import about

st.title("Claims on trial")
about("Widely copied advice about KD, each claim tested by students trained over paired seeds beside the baseline.",
      "Textbooks and tutorials repeat advice about temperatures, alpha and smooth training that is rarely tested. "
      "Each tab states a claim as written, trains the students that test it (paired seeds, beside the baseline) "
      "and computes the verdict: *confirmed here*, *not seen here* (within the seed spread) or *reversed here*. "
      "The source's own finding is shown beside ours.")
guide.notice("claims")

COLUMNS = [("dataset", "student", "seed"), ("T", "alpha"), ("steps", "seeds")]
TABS = {"hinton": "Hinton's three-way result", "temperature": "The temperature table", "alpha": "alpha in [0.1, 0.5]",
        "smoothness": "Smoother training", "gradient": "Gradient magnitude vs T",
        "fidelity": "Fidelity vs generalisation"}
INTROS = {
    "hinton": f"A big teacher, the student alone (no regularisation) and the same student distilled at "
              f"T = {claims.HINTON_T:g}; errors counted on the test set.",
    "temperature": "T swept over " + ", ".join(f"{t:g}" for t in claims.TEMPERATURES) + " for a small student, a "
                   "small student of a high-confidence teacher and a student of similar size to the teacher.",
    "alpha": "alpha swept over " + ", ".join(f"{a:g}" for a in claims.ALPHAS) + " at the chosen T.",
    "smoothness": f"KD and baseline students recorded at every step (up to {claims.SMOOTH_STEPS}); the jitter is "
                  "the spread of step-to-step changes.",
    "gradient": f"The gradient norm over the first {claims.EARLY_STEPS} steps of pure distillation (alpha = 0) "
                "against T, as trained (with T^2) and without T^2.",
    "fidelity": "The teacher has the student's own width; the student learns from its soft targets alone "
                "(alpha = 0) on a quarter of the training points, all of them, and all plus noisy copies.",
}
for tab, claim in zip(st.tabs(list(TABS.values())), TABS):
    with tab:
        st.markdown(INTROS[claim])
        finding_tab("claims", claims.ClaimsConfig, claim, COLUMNS, "Press **Start**: the defaults take ~10 s.")
