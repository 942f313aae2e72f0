"""Beyond one teacher: several teachers, mutual learning, a mean (EMA) teacher, born-again generations."""
import streamlit as st

from kdviz.experiments import beyond
from kdviz.experiments.stats import judged_sentence, paired
from kdviz.experiments.task import job as experiment_job
from kdviz.figures import beyond as beyond_figures
from ui import exports, guide, jobs, results
from ui.controls import settings
from ui.intro import about
from ui.sidebar import device_name

KEY = JOB = "beyond"
st.title("Beyond one teacher")
intro = about("A committee, a cohort, a running average and an earlier generation each act as the teacher.",
      "Distillation does not need exactly one fixed, bigger teacher. Here a **committee** of unequal teachers, "
      "a **cohort** of students teaching each other, a student's own **running average** and its own **earlier "
      "generation** each act as the teacher. All on 5 overlapping blobs, every class seen, over several seeds: "
      "each tab says whether the effect is larger than the seed spread.")
guide.notice("beyond")

cfg = settings(beyond.BeyondConfig, KEY, [("regime", "steps", "seeds"), ("generations", "seed"), ("T", "alpha", "lr")],
               expanded=False)
intro.caption(beyond.regime_sentence(cfg))

job = jobs.controls(JOB, results.task(JOB, cfg, lambda: experiment_job("beyond", cfg, device=device_name())))


def tab_multi(job, made: dict, m: beyond.MultiResult) -> None:
    jobs.chart(JOB, "disagree", job, made["teachers disagree"])  # the figure first, then what it shows in words
    st.markdown(f"{beyond.teachers_sentence(m)} disagree on **{m.frac_disagree:.0%}** of the plane "
                "(darker blue: more of the teacher pairs disagree).")
    st.markdown("How each combination rule decides there (`kdviz.paradigms.multi_teacher.combine_teachers`):")
    jobs.chart(JOB, "rules", job, made["combination rules"])
    jobs.chart(JOB, "multi_acc", job, made["several teachers accuracy"])
    st.markdown(judged_sentence(beyond.committee_effect(m), beyond.committee_label(m), m.failed))
    if said := beyond.baseline_sentence(m):
        st.markdown(said)


def tab_mutual(job, made: dict, u: beyond.MutualResult) -> None:
    c1, c2 = st.columns(2)
    jobs.chart(JOB, "mutual_acc", job, made["mutual learning accuracy"], where=c1)
    jobs.chart(JOB, "mutual_agree", job, made["mutual learning agreement"], where=c2)
    st.markdown(judged_sentence(paired(u.acc[0], u.acc[1]), "Mutual learning vs independent training, accuracy",
                                u.failed)
                + f" Students agree with their peers on {u.agreement[0].mean():.1%} of test points when trained "
                  f"independently and {u.agreement[1].mean():.1%} with mutual learning.")


def tab_ema(job, made: dict, e: beyond.EmaResult) -> None:
    st.markdown(beyond.ema_lag_sentence(e.decays, e.lag_steps, int(e.steps[-1])))
    c1, c2 = st.columns(2)
    jobs.chart(JOB, "ema_lag", job, made["ema distance"], where=c1)
    shown = c2.radio("Decay shown", e.decays, index=len(e.decays) - 1, horizontal=True, key="ema_decay")
    jobs.chart(JOB, "ema_acc", job, made[beyond_figures.ema_accuracy_title(shown)], variant=shown, where=c2)
    for i, x in enumerate(e.decays):
        st.markdown(f"- decay {x}: " + judged_sentence(paired(e.student_acc[i, :, -1], e.teacher_acc[i, :, -1]),
                                                          "EMA teacher vs its student at the end", e.failed))
        if e.baseline_acc is not None:
            st.markdown(f"- decay {x}: " + judged_sentence(paired(e.baseline_acc, e.teacher_acc[i, :, -1]),
                                                              "EMA teacher vs the labels-only student", e.failed))


def tab_born_again(job, made: dict, b: beyond.BornAgainResult) -> None:
    a = b.acc  # (G + 1, S)
    jobs.chart(JOB, "ban", job, made["born-again accuracy"])
    st.markdown(judged_sentence(paired(a[0], a[-1]), f"Generation {len(a) - 1} vs generation 0", b.failed))


def draw(job, snap) -> None:
    """The four tabs, filled as the topics finish."""
    if job is not None and (not job.done or job.state == "error"):  # a finished run's tabs speak for themselves
        jobs.show_status(job)
        st.progress(job.progress)
    tabs = st.tabs(beyond.topic_names())
    made = beyond_figures.figures(cfg, snap) if isinstance(snap, beyond.BeyondSnapshot) else {}
    for tab, topic, fn in zip(tabs, beyond.TOPICS, (tab_multi, tab_mutual, tab_ema, tab_born_again)):
        with tab:
            if isinstance(snap, beyond.BeyondSnapshot) and topic in snap.results:
                fn(job, made, snap.results[topic])
            else:
                st.info("Press **Start**: the four topics train in turn (~10 s)." if job is None else "Training…")
    exports.menu("beyond", cfg, snap, KEY)


results.view(JOB, "beyond", cfg, draw)
