"""Compare paradigms: several KD methods x seeds trained as one population, beside the baseline."""
import numpy as np
import streamlit as st

from kdviz.lessons import paradigms as P
from kdviz.plots.paradigms import method_curves, seed_strip
from kdviz.plots.training import decision_boundaries
from ui import jobs
from ui.sidebar import device_name
from ui.state import bind, collect, widget_key

K = JOB = "compare"
st.title("Compare paradigms")
st.markdown(
    "Each KD paradigm hands the student a different kind of knowledge: the teacher's output distribution "
    "(KD, DKD, several teachers), its hidden representations (FitNets, attention), the geometry of a batch "
    "(RKD, similarity), peers (mutual learning), an earlier self (born-again) or a running average of itself "
    "(mean teacher). Here every method trains the **same students** (same initial weights and batch order per "
    "seed) as **one population**, beside the **baseline** trained on labels alone, so a difference can be "
    "weighed against the seed spread. Default: 5 overlapping blobs, and the students never see class 3.")

bind(P.CompareConfig, K)
w = lambda name: widget_key(K, name)  # noqa: E731
with st.expander("Settings", expanded=jobs.current(JOB) is None):
    c1, c2, c3 = st.columns([2, 1, 1])
    c1.text_input("Methods (comma separated)", key=w("methods"), help="Any of: " + ", ".join(P.CHOICES))
    c1.caption("Available: " + ", ".join(P.CHOICES) + ". The baseline is always trained.")
    c2.selectbox("Dataset", P.DATASETS, key=w("dataset"))
    c2.number_input("Class the students never see (-1: none)", -1, 9, key=w("omit"))
    c2.number_input("Data seed", 0, 9999, key=w("seed"))
    c3.slider("Temperature T", 1.0, 20.0, step=0.5, key=w("T"))
    c3.slider("alpha (weight of hard labels)", 0.0, 1.0, step=0.05, key=w("alpha"))
    c3.number_input("Steps", 50, 3000, step=50, key=w("steps"))
    c3.number_input("Seeds per method", 2, 5, key=w("seeds"))
cfg = collect(P.CompareConfig, K, P.validate)

jobs.start_reset(JOB, lambda: P.task(cfg, device=device_name()))


def draw(job, snap) -> None:
    """Status, decision regions, curves and (at the end) the results table."""
    if job is None:
        st.info(f"Press **Start** to train {len(P.roles(cfg))} methods x {cfg.seeds} seeds. Defaults take ~15 s.")
        return
    jobs.show_status(job)
    st.progress(job.progress)
    if not snap or snap.get("phase") != "students":
        st.caption("Training the teachers…")
        return
    names = [P.NAMES.get(m, m) for m in snap["methods"]]
    if "grids" in snap:
        (x0, x1), (y0, y1) = snap["extent"]
        xs, ys = np.linspace(x0, x1, P.GRID), np.linspace(y0, y1, P.GRID)
        panels = [(f"Teacher ({snap['teacher_test_acc']:.0%})", snap["teacher_grid"])]
        panels += [(n, g) for n, g in zip(names, snap["grids"])]
        for row in range(0, len(panels), 4):
            st.plotly_chart(decision_boundaries(panels[row:row + 4], xs, ys, snap["points"], snap["labels"],
                                                snap["class_names"], height=300), width="stretch", key=f"regions{row}")
    steps, acc = P.curves(snap, "test_acc")
    _, fid = P.curves(snap, "fidelity")
    st.plotly_chart(method_curves(steps, {"Test accuracy (mean over seeds)": acc, "Fidelity to the teacher": fid},
                                  P.NAMES), width="stretch", key="curves")
    if "final" in snap:
        results(snap)


def results(snap) -> None:
    """The results table over seeds, the honest takeaway, and per-seed accuracies."""
    rows = P.summarise(snap, cfg.omit)
    st.subheader(f"Results over {snap['seeds']} seeds")
    st.markdown(f"Teacher: {snap['teacher_test_acc']:.1%} test accuracy. **{P.takeaway(rows)}** "
                "A verdict of *better* needs every seed to agree and a mean gain larger than its seed spread.")
    st.dataframe(P.table(rows), hide_index=True, width="stretch", key="table")
    st.plotly_chart(seed_strip([P.NAMES.get(r.method, r.method) for r in rows], [r.method for r in rows],
                               np.stack([r.acc for r in rows]), "test accuracy (%)"), width="stretch", key="seeds")
    st.caption(f"Training time: {snap['train_s']:.1f} s for the whole population on {snap['device']}; "
               "ms / step is each method's students trained alone (a short separate timing).")
    for r in rows:
        if r.status:
            st.warning(f"{P.NAMES[r.method]}: {'; '.join(r.status)}. Lower the learning rate or T.",
                       icon=":material/warning:")


jobs.live_view(JOB, draw)

st.subheader("What each method transfers")
for m in P.roles(cfg):
    transfers, formula, fn = P.method_info(m)
    with st.container(border=True):
        st.markdown(f"**{P.NAMES.get(m, m)}**: {transfers} Computed by `{fn}`.")
        st.latex(formula)
