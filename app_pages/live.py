"""Live training: a teacher, KD students and baselines trained while you watch."""
import streamlit as st

from kdviz.board import headlines
from kdviz.experiments import live
from kdviz.experiments.task import job as experiment_job
from kdviz.plots.training import decision_boundaries, learning_curves
from ui import jobs
from ui.board import post_button
from ui.controls import settings
from ui.exercises import unseen_class as unseen_class_exercise
from ui.sidebar import device_name

KEY = JOB = "live"
st.title("Live training")
st.markdown(
    "A **teacher** learns every class. **Students** then learn from a transfer set that may lack one "
    "class entirely: the **KD student** also matches the teacher's soft targets at temperature $T$; the "
    "**baseline** is the same network, from the same initial weights and batch order, trained on labels "
    "alone. Dark knowledge is what lets the KD student find a class it never saw.")

cfg = settings(live.LiveConfig, KEY, [("dataset", "n", "noise", "train_ratio"), ("teacher", "student", "omit"),
                                      ("T", "alpha", "lr"), ("batch", "steps", "seeds", "seed")],
               expanded=jobs.current(JOB) is None, validate=live.validate)



def step_further(job) -> tuple:
    """The run again, stopping one chunk beyond where the current job got (runs are deterministic)."""
    snap = job.snapshot() if job is not None else None
    done_steps = snap.run.step if isinstance(snap, live.LiveSnapshot) else 0
    return experiment_job("live", cfg, device=device_name(), stop_at=done_steps + live.chunk_size(cfg.steps))


jobs.controls(JOB, lambda: experiment_job("live", cfg, device=device_name()), pause=True, step=step_further,
              step_help=f"Train {live.chunk_size(cfg.steps)} more steps, then stop (runs are deterministic).")


def draw(job, snap) -> None:
    """The live part: status, decision regions, curves and, at the end, the summary."""
    snap = jobs.header(job, snap, "Press **Start** to train the teacher and the students. Defaults take a few seconds.")
    if snap is None:
        return
    scene, title = snap.scene, f"step {snap.run.step} of {snap.steps}"
    st.caption(f"Training on {scene.device}.")
    st.plotly_chart(decision_boundaries(
        [(f"Teacher ({scene.teacher_test_acc:.0%} test)", scene.teacher_grid), (f"KD student, {title}", snap.kd_grid),
         (f"Baseline, {title}", snap.baseline_grid)],
        *scene.plane.axes, scene.plane.points, scene.plane.labels, scene.plane.class_names), width="stretch",
        key="regions")
    steps, series = live.curves(snap.run.history)
    st.plotly_chart(learning_curves(steps, series), width="stretch", key="curves")
    if snap.final is not None:
        summary(live.summarise(snap, cfg.omit))


def summary(s: live.Summary) -> None:
    """Final numbers in words, with the seed spread."""
    st.subheader("Result")
    st.markdown(f"**{live.verdict(s)}**")
    cols = st.columns(4)
    cols[0].metric("KD student, test accuracy", f"{s.kd_acc.mean():.1%}", f"{s.gain.mean() * 100:+.1f} pts vs baseline")
    cols[1].metric("Baseline, test accuracy", f"{s.base_acc.mean():.1%}")
    cols[2].metric("Fidelity to teacher (KD / baseline)", f"{s.kd_fidelity:.0%} / {s.base_fidelity:.0%}")
    if s.kd_recall is not None:
        cols[3].metric(f"Unseen class {cfg.omit} recall (KD / baseline)", f"{s.kd_recall:.0%} / {s.base_recall:.0%}")
    for line in s.diverged:
        st.warning(f"Diverged: {line}. Lower the learning rate.", icon=":material/warning:")
    post_button("live", cfg, headlines.live(s))


jobs.live_view(JOB, draw)
unseen_class_exercise(cfg)
