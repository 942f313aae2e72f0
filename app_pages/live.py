"""Live training: a teacher, KD students and baselines trained while you watch."""
import numpy as np
import streamlit as st

from kdviz.lessons import live as L
from kdviz.plots.training import decision_boundaries, learning_curves
from ui import jobs
from ui.sidebar import device_name
from ui.state import bind, collect, widget_key

K, JOB = "live", "live"
st.title("Live training")
st.markdown(
    "A **teacher** learns every class. **Students** then learn from a transfer set that may lack one "
    "class entirely: the **KD student** also matches the teacher's soft targets at temperature $T$; the "
    "**baseline** is the same network, from the same initial weights and batch order, trained on labels "
    "alone. Dark knowledge is what lets the KD student find a class it never saw.")

bind(L.LiveConfig, K)
w = lambda name: widget_key(K, name)  # noqa: E731
with st.expander("Settings", expanded=jobs.current(JOB) is None):
    c1, c2, c3, c4 = st.columns(4)
    c1.selectbox("Dataset", L.TOY_SETS, key=w("dataset"))
    c1.number_input("Points", 200, 10000, step=100, key=w("n"))
    c1.slider("Noise", 0.0, 1.0, step=0.05, key=w("noise"))
    c1.slider("Train share", 0.3, 0.9, step=0.05, key=w("train_ratio"))
    c2.text_input("Teacher hidden widths", key=w("teacher"), help="e.g. 128, 128 (1-4 layers, up to 512 units)")
    c2.text_input("Student hidden widths", key=w("student"))
    c2.number_input("Class the students never see (-1: none)", -1, 9, key=w("omit"))
    c3.select_slider("Temperature T", options=L.T_CHOICES, key=w("T"))
    c3.slider("alpha (weight of hard labels)", 0.0, 1.0, step=0.05, key=w("alpha"))
    c3.select_slider("Learning rate", options=L.LR_CHOICES, key=w("lr"))
    c4.select_slider("Batch size", options=L.BATCH_CHOICES, key=w("batch"))
    c4.number_input("Steps", 50, 5000, step=50, key=w("steps"))
    c4.number_input("Seeds (paired students)", 1, 5, key=w("seeds"))
    c4.number_input("Data seed", 0, 9999, key=w("seed"))
cfg = collect(L.LiveConfig, K, L.validate)

job = jobs.current(JOB)
running = job is not None and job.state in ("queued", "running")
b1, b2, b3, b4, _ = st.columns([1, 1, 1, 1, 4])
if b1.button("Start", type="primary", key="start", disabled=running, icon=":material/play_arrow:"):
    jobs.start(JOB, L.task(cfg, device=device_name()))
    st.rerun()
if job is not None and job.state == "paused":
    if b2.button("Resume", key="resume", icon=":material/play_pause:"):
        job.resume()
        st.rerun()
elif b2.button("Pause", key="pause", disabled=not running, icon=":material/pause:"):
    job.pause()
    st.rerun()
if b3.button("Step", key="step", disabled=running, icon=":material/skip_next:",
             help=f"Train {L.chunk_size(cfg.steps)} more steps, then stop (runs are deterministic)."):
    snap = job.snapshot() if job is not None else None
    done_steps = snap.get("step", 0) if snap else 0
    jobs.start(JOB, L.task(cfg, stop_at=done_steps + L.chunk_size(cfg.steps), device=device_name()))
    st.rerun()
if b4.button("Reset", key="reset", icon=":material/restart_alt:"):
    jobs.forget(JOB)
    st.rerun()


def draw(job, snap) -> None:
    """The live part: status, decision regions, curves and, at the end, the summary."""
    if job is None:
        st.info("Press **Start** to train the teacher and the students. Defaults take a few seconds.")
        return
    jobs.show_status(job)
    st.progress(job.progress)
    if not snap or snap.get("phase") != "students":
        st.caption("Training the teacher…")
        return
    title = f"step {snap['step']} of {snap['steps']}"
    st.caption(f"Training on {snap['device']}.")
    st.plotly_chart(decision_boundaries(
        [(f"Teacher ({snap['teacher_test_acc']:.0%} test)", snap["teacher_grid"]), (f"KD student, {title}", snap["kd_grid"]),
         (f"Baseline, {title}", snap["baseline_grid"])],
        *grid_axes(snap), snap["points"], snap["labels"], snap["class_names"]), width="stretch", key="regions")
    steps, series = L.curves(snap)
    st.plotly_chart(learning_curves(steps, series), width="stretch", key="curves")
    if "final" in snap:
        summary(L.summarise(snap, cfg.omit))


def grid_axes(snap):
    """The x and y coordinates of the decision-region grid."""
    (x0, x1), (y0, y1) = snap["extent"]
    return np.linspace(x0, x1, L.GRID), np.linspace(y0, y1, L.GRID)


def summary(s) -> None:
    """Final numbers in words, with the seed spread."""
    st.subheader("Result")
    st.markdown(f"**{L.verdict(s)}**")
    cols = st.columns(4)
    cols[0].metric("KD student, test accuracy", f"{s.kd_acc.mean():.1%}", f"{s.gain.mean() * 100:+.1f} pts vs baseline")
    cols[1].metric("Baseline, test accuracy", f"{s.base_acc.mean():.1%}")
    cols[2].metric("Fidelity to teacher (KD / baseline)", f"{s.kd_fidelity:.0%} / {s.base_fidelity:.0%}")
    if s.kd_recall is not None:
        cols[3].metric(f"Unseen class {cfg.omit} recall (KD / baseline)", f"{s.kd_recall:.0%} / {s.base_recall:.0%}")
    for line in s.diverged:
        st.warning(f"Diverged: {line}. Lower the learning rate.", icon=":material/warning:")


jobs.live_view(JOB, draw)
