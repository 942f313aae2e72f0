"""Live training: a teacher, KD students and baselines trained while you watch."""
import streamlit as st

from kdviz.board import headlines
from kdviz.experiments import live
from kdviz.experiments.task import job as experiment_job
from kdviz.figures import live as live_figures
from ui import board, exercises, exports, guide, jobs, omission, results, upload
from ui.controls import settings
from ui.intro import about
from ui.sidebar import device_name

KEY = JOB = "live"
st.title("Live training")
about("A **teacher** learns every class; a **KD student** and the **baseline** (labels alone) learn without one of them.",
      "A **teacher** learns every class. **Students** then learn from a transfer set that may lack one "
      "class entirely: the **KD student** also matches the teacher's soft targets at temperature $T$; the "
      "**baseline** is the same network, from the same initial weights and batch order, trained on labels "
      "alone. Dark knowledge is what lets the KD student find a class it never saw.")
guide.notice("live")

upload.follow_link(KEY)  # a link naming your own CSV ("csv:<digest>") asks for that file
own_seed = board.own_seed(live.LiveConfig, KEY)  # in a class room, each participant's own seed
omission.follow_dataset(live.LiveConfig, KEY)
cfg = settings(live.LiveConfig, KEY, [("dataset", "n", "noise", "train_ratio"), ("teacher", "student", "omit"),
                                      ("T", "alpha", "lr"), ("batch", "steps", "seeds", "seed")],
               expanded=False, validate=live.validate)
cfg = omission.fit(upload.dataset(cfg, KEY, two_d_only=True), KEY)  # your own CSV replaces the dataset
if own_seed is not None:
    st.caption(board.seed_line(cfg.seed, own_seed))
if live.separable_notice(cfg):
    st.info(live.separable_notice(cfg), icon=":material/info:")



def step_further(job) -> tuple:
    """The run again, stopping one chunk beyond where the current job got (runs are deterministic)."""
    snap = job.snapshot() if job is not None else None
    done_steps = snap.run.step if isinstance(snap, live.LiveSnapshot) else 0
    return experiment_job("live", cfg, device=device_name(), stop_at=done_steps + live.chunk_size(cfg.steps))


jobs.controls(JOB, results.task(JOB, cfg, lambda: experiment_job("live", cfg, device=device_name())), pause=True,
              step=step_further, step_help=f"Train {live.chunk_size(cfg.steps)} more steps, then stop (runs are deterministic).")


def draw_preview() -> None:
    """Before a run: the data the settings describe and the two networks, at once."""
    st.plotly_chart(live_figures.preview(cfg), width="stretch", key="preview")


def draw(job, snap) -> None:
    """The live part: status, decision regions (with a replay scrubber at the end), curves and the summary."""
    stepped = isinstance(snap, live.LiveSnapshot) and snap.run.step < snap.steps  # a Step: "Paused at", not "Finished."
    snap = jobs.header(job, snap, "Press **Start** to train the teacher and the students. Defaults take a few seconds.",
                       finished=not stepped)
    if snap is None:
        if job is None:
            draw_preview()
        return
    step, replayed = None, live_figures.replay_steps(snap) if job.done else []  # a finished run replays
    figure_slot = st.container()  # the regions first, their replay control under them
    if replayed:
        jobs.per_job("live.replay", job)  # each run (and the stored result after Reset) opens at its last frame
        step = st.select_slider("Replay the run: decision regions at step", options=replayed, value=replayed[-1],
                                key="live.replay", help=f"Step through {len(replayed)} frames of this run.")
    step, _, _ = live_figures.shown_regions(snap, step)
    made = live_figures.figures(cfg, snap, step if replayed else None)

    # figures kept per job (built once per server for these settings) and updated only when there is news
    with figure_slot:
        st.caption(f"Decision regions at step {step} of {snap.steps} (seed 0); training on {snap.scene.device}.")
        st.plotly_chart(jobs.kept_figure(JOB, "regions", job, lambda kept: made["decision regions"](into=kept),
                                         variant=step, template=repr(cfg)), width="stretch", key="regions")
    st.plotly_chart(jobs.kept_figure(JOB, "curves", job, lambda kept: made["learning curves"](into=kept),
                                     template=repr(cfg)), width="stretch", key="curves")
    if snap.run.step < snap.steps:
        if job.done:
            st.info(f"Paused at {snap.run.step} of {snap.steps} steps. The verdict waits for the configured "
                    f"{snap.steps} steps: press **Step** for {live.chunk_size(cfg.steps)} more, or **Start** for the "
                    "whole run.", icon=":material/pause_circle:")
        return
    if snap.final is not None:
        summary(live.summarise(snap, cfg.omit))
        exports.menu("live", cfg, snap, KEY)


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
        st.warning(f"Failed: {line}; {live.FAILED_ADVICE}.", icon=":material/warning:")
    board.post_button("live", cfg, headlines.live(s))


results.view(JOB, "live", cfg, draw)
exercises.live(cfg)
