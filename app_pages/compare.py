"""Compare paradigms: several KD methods x seeds trained as one population, beside the baseline."""
import numpy as np
import streamlit as st

from kdviz.experiments import compare
from kdviz.experiments.task import job as experiment_job
from kdviz.paradigms import NOTES, names_to_type
from kdviz.plots.paradigms import method_curves, seed_strip
from kdviz.plots.training import decision_boundaries
from ui import exercises, exports, guide, jobs, omission, results, upload
from ui.controls import settings
from ui.intro import about
from ui.sidebar import device_name

KEY = JOB = "compare"
st.title("Compare paradigms")
about("Every KD paradigm trains the same students, beside the **baseline** (labels alone), over several seeds.",
      "Each KD paradigm hands the student a different kind of knowledge: the teacher's output distribution "
      "(KD, DKD, several teachers), its hidden representations (FitNets, attention), the geometry of a batch "
      "(RKD, similarity), peers (mutual learning), an earlier self (born-again) or a running average of itself "
      "(mean teacher). Here every method trains the **same students** (same initial weights and batch order per "
      "seed) as **one population**, beside the **baseline** trained on labels alone, so a difference can be "
      "weighed against the seed spread. Default: 5 overlapping blobs, and the students never see class 3.")
guide.notice("compare")

upload.follow_link(KEY)  # a link naming your own CSV ("csv:<digest>") asks for that file
omission.follow_dataset(compare.CompareConfig, KEY)
cfg = settings(compare.CompareConfig, KEY, [("methods",), ("dataset", "omit", "lr", "seed"), ("T", "alpha", "steps", "seeds")],
               expanded=False, validate=compare.validate, widths=[2, 1, 1])
cfg = omission.fit(upload.dataset(cfg, KEY), KEY)  # your own CSV replaces the dataset when one is uploaded
st.caption("Methods available (type the short name in the box): " + names_to_type() + ". The baseline is always "
           "trained.")

jobs.controls(JOB, results.task(JOB, cfg, lambda: experiment_job("compare", cfg, device=device_name())))


def draw(job, snap) -> None:
    """Status, decision regions, curves and (at the end) the results table."""
    idle = f"Press **Start** to train {len(compare.roles(cfg))} methods x {cfg.seeds} seeds. Defaults take ~15 s."
    snap = jobs.header(job, snap, idle)
    if snap is None:
        return
    scene = snap.scene
    if snap.grids is not None:
        panels = [(f"Teacher ({scene.teacher_test_acc:.0%})", scene.teacher_grid)]
        panels += [(NOTES[m].name, g) for m, g in zip(scene.methods, snap.grids)]
        for row in range(0, len(panels), 4):
            plane = scene.plane
            st.plotly_chart(jobs.kept_figure(JOB, f"regions{row}", job, lambda kept, part=panels[row:row + 4]:
                                             decision_boundaries(part, *plane.axes, plane.points, plane.labels,
                                                                 plane.class_names, height=300, omit=cfg.omit,
                                                                 into=kept), variant=cfg.omit),
                            width="stretch", key=f"regions{row}")
    steps, acc = compare.curves(snap, "test_acc")
    _, fid = compare.curves(snap, "fidelity")
    methods = list(acc)
    shown = st.multiselect("Curves shown (at most 4, so the lines stay readable)", methods, default=methods[:4],
                           max_selections=4, format_func=lambda m: NOTES[m].name, key="compare.curves_shown")
    acc, fid = ({m: series[m] for m in shown} for series in (acc, fid))
    st.plotly_chart(jobs.kept_figure(JOB, "curves", job, lambda _: method_curves(
        steps, {"Test accuracy (mean over seeds)": acc, "Fidelity to the teacher": fid}), variant=tuple(shown)),
        width="stretch", key="curves")
    if snap.final is not None:
        final_results(job, snap)
        exports.menu("compare", cfg, snap, KEY)


def final_results(job, snap) -> None:
    """The results table over seeds, the honest takeaway, and per-seed accuracies."""
    rows = compare.summarise(snap, cfg.omit)
    st.subheader(f"Results over {snap.scene.seeds} seeds")
    st.markdown(f"Teacher: {snap.scene.teacher_test_acc:.1%} test accuracy. **{compare.takeaway(rows)}** "
                "A verdict of *better* needs every seed to agree and a mean gain larger than its seed spread.")
    st.dataframe(compare.table(rows), hide_index=True, width="stretch", key="table")
    st.plotly_chart(jobs.kept_figure(JOB, "seeds", job, lambda _: seed_strip(
        [r.name for r in rows], [r.method for r in rows], np.stack([r.acc for r in rows]), "test accuracy (%)"),
        variant=cfg.omit), width="stretch", key="seeds")
    st.caption(f"Training time: {snap.train_s:.1f} s for the whole population on {snap.scene.device}; "
               "ms / step is each method's students trained alone (a short separate timing).")
    for r in rows:
        if r.status:
            st.warning(f"{r.name}: {'; '.join(r.status)}. Lower the learning rate or T.", icon=":material/warning:")


results.view(JOB, "compare", cfg, draw)
exercises.compare(cfg)

st.subheader("What each method trains")
for m in compare.roles(cfg):
    paradigm = NOTES[m]
    with st.container(border=True):
        st.markdown(f"**{paradigm.name}**: {paradigm.transfers} {paradigm.settings_used()} "
                    f"Computed by `{paradigm.function_name}`.")
        st.latex(paradigm.formula)
