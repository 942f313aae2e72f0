"""Beyond one teacher: several teachers, mutual learning, a mean (EMA) teacher, born-again generations."""
import numpy as np
import streamlit as st

from kdviz.lessons import teachers as L
from kdviz.losses import RULES
from kdviz.plots.paradigms import disagreement_map, lines, seed_strip
from kdviz.plots.training import decision_boundaries
from ui import jobs
from ui.sidebar import device_name
from ui.state import bind, collect, widget_key

K = JOB = "beyond"
st.title("Beyond one teacher")
st.markdown(
    "Distillation does not need exactly one fixed, bigger teacher. Here a **committee** of unequal teachers, "
    "a **cohort** of students teaching each other, a student's own **running average** and its own **earlier "
    "generation** each act as the teacher. All on 5 overlapping blobs, every class seen, over several seeds: "
    "each tab says whether the effect is larger than the seed spread.")

bind(L.BeyondConfig, K)
w = lambda name: widget_key(K, name)  # noqa: E731
with st.expander("Settings", expanded=jobs.current(JOB) is None):
    c1, c2, c3 = st.columns(3)
    c1.number_input("Steps per student", 50, 3000, step=50, key=w("steps"))
    c1.number_input("Seeds", 2, 5, key=w("seeds"))
    c2.number_input("Born-again generations", 1, 5, key=w("generations"))
    c2.number_input("Data seed", 0, 9999, key=w("seed"))
    c3.slider("Temperature T", 1.0, 20.0, step=0.5, key=w("T"))
    c3.slider("alpha (weight of hard labels)", 0.0, 1.0, step=0.05, key=w("alpha"))
cfg = collect(L.BeyondConfig, K)

job = jobs.start_reset(JOB, lambda: L.task(cfg, device=device_name()))


def pending(snap, topic: str) -> bool:
    """True (and a note drawn) while a topic's numbers are not ready."""
    if snap and topic in snap:
        return False
    st.info("Press **Start**: the four topics train in turn (~10 s)." if job is None else "Training…")
    return True


def tab_multi(snap) -> None:
    m = snap["multi"]
    (x0, x1), (y0, y1) = snap["extent"]
    xs, ys = np.linspace(x0, x1, L.GRID), np.linspace(y0, y1, L.GRID)
    st.markdown(f"Three teachers of widths {', '.join('-'.join(map(str, h)) for h in L.TEACHER_WIDTHS)} "
                f"(test accuracy {', '.join(f'{a:.0%}' for a in m['teacher_acc'])}) disagree on "
                f"**{m['frac_disagree']:.0%}** of the plane (darker blue: more of the teacher pairs disagree).")
    st.plotly_chart(disagreement_map(xs, ys, m["disagreement"], snap["points"], snap["labels"]), width="stretch",
                    key="disagree")
    st.markdown("How each combination rule decides there (`kdviz.losses.combine_teachers`):")
    st.plotly_chart(decision_boundaries([(r, m["rule_grids"][r]) for r in RULES], xs, ys, snap["points"],
                                        snap["labels"], snap["class_names"], height=300), width="stretch", key="rules")
    st.plotly_chart(seed_strip(m["labels"], ["baseline", "kd", "multi_teacher", "multi_teacher", "multi_teacher"],
                               m["acc"], "student test accuracy (%)"), width="stretch", key="multi_acc")
    st.markdown(L.paired_verdict(m["acc"][1], m["acc"][2], "Averaged committee vs the big teacher alone"))


def tab_mutual(snap) -> None:
    u = snap["mutual"]
    c1, c2 = st.columns(2)
    c1.plotly_chart(seed_strip(u["labels"], ["baseline", "mutual"], u["acc"], "test accuracy (%)"), width="stretch",
                    key="mutual_acc")
    c2.plotly_chart(seed_strip(u["labels"], ["baseline", "mutual"], u["agreement"], "agreement with peers (%)"),
                    width="stretch", key="mutual_agree")
    st.markdown(L.paired_verdict(u["acc"][0], u["acc"][1], "Mutual learning vs independent training, accuracy") + " "
                + f"Students agree with their peers on {u['agreement'][0].mean():.1%} of test points when trained "
                  f"independently and {u['agreement'][1].mean():.1%} with mutual learning.")


def tab_ema(snap) -> None:
    e = snap["ema"]
    d = {f"decay {x}": e["distance"][i].mean(0) for i, x in enumerate(e["decays"])}
    st.markdown("The EMA teacher trails the student by about 1 / (1 - decay) steps: "
                + ", ".join(f"{lag:.0f} steps at {x}" for x, lag in zip(e["decays"], e["lag_steps"])) + ".")
    c1, c2 = st.columns(2)
    c1.plotly_chart(lines(e["steps"], d, "step", "||teacher - student|| / ||student||"), width="stretch", key="ema_lag")
    acc = {}
    for i, x in enumerate(e["decays"]):
        acc[f"student, {x}"] = e["student_acc"][i].mean(0)
        acc[f"EMA teacher, {x}"] = e["teacher_acc"][i].mean(0)
    dashes = {k: "dot" for k in acc if k.startswith("EMA")}
    c2.plotly_chart(lines(e["steps"], acc, "step", "test accuracy", dashes=dashes, percent=True), width="stretch",
                    key="ema_acc")
    for i, x in enumerate(e["decays"]):
        st.markdown(f"- decay {x}: " + L.paired_verdict(e["student_acc"][i, :, -1], e["teacher_acc"][i, :, -1],
                                                          "EMA teacher vs its student at the end"))


def tab_born_again(snap) -> None:
    a = snap["born_again"]["acc"]  # (G + 1, S)
    labels = [f"gen {g}" for g in range(len(a))]
    st.plotly_chart(seed_strip(labels, ["baseline"] + ["born_again"] * (len(a) - 1), a, "test accuracy (%)"),
                    width="stretch", key="ban")
    st.markdown(L.paired_verdict(a[0], a[-1], f"Generation {len(a) - 1} vs generation 0"))


def draw(job, snap) -> None:
    """The four tabs, filled as the topics finish."""
    if job is not None:
        jobs.show_status(job)
        st.progress(job.progress)
    tabs = st.tabs(["Several teachers", "Mutual learning", "EMA teacher", "Born-again"])
    for tab, topic, fn in zip(tabs, L.TOPICS, (tab_multi, tab_mutual, tab_ema, tab_born_again)):
        with tab:
            if not pending(snap, topic):
                fn(snap)


jobs.live_view(JOB, draw)
