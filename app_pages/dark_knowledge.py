"""Dark knowledge on real data: what a digits teacher's soft targets say, and what a student learns from them."""
import pandas as pd
import streamlit as st

from kdviz.experiments import dark_knowledge as dark
from kdviz.experiments.dark_knowledge import omitted, soft_targets, sweep
from kdviz.experiments.task import job as experiment_job
from kdviz.figures import dark_knowledge as dark_figures
from kdviz.plots.training import array_digest
from ui import exercises, exports, guide, jobs, results
from ui.figures import shared
from ui.controls import control, controls
from ui.intro import about
from ui.sidebar import device_name
from ui.state import bind, collect

KEY, TEACHERS = "dark", "dark.teachers"
st.title("Dark knowledge")
about("A digits teacher's probabilities for *every* digit: the small ones are Hinton's **dark knowledge**.",
      "A teacher (64-256-256-10, dropout 0.5) trained on scikit-learn's 8x8 handwritten digits gives, "
      "for each image, probabilities for *every* digit. The small ones, which digits this image resembles, "
      "are Hinton's **dark knowledge**. A second teacher, identical but trained with **label smoothing** "
      "(targets 0.91 on the true digit and 0.01 on each other digit), is shown beside it.\n\n"
      "Two temperatures on this page: the one below only changes what the first three tabs **show** (the soft "
      "targets at T); the students of the Omitted digit and Label-smoothed tabs **train** at their own "
      "distillation temperature, set in the Omitted digit tab.")
guide.notice("dark_knowledge")

bind(dark.DarkConfig, KEY)
control(dark.DarkConfig, KEY, "T")
tabs = st.tabs(["Soft targets", "Class similarity", "What T reveals", "Omitted digit", "Label-smoothed teacher",
                "T x alpha sweep"])
with tabs[0]:
    pick, scale = st.columns([1, 1], vertical_alignment="bottom")  # one row: the figure stays on a projector's screen
    control(dark.DarkConfig, KEY, "image", pick)
    log_scale = scale.toggle("Log scale for probabilities", value=True, key="dark.log_probs",
                             help="On a log axis the wrong digits' probabilities at T = 1 stay visible.")
with tabs[3]:
    c1, c2, c3 = st.columns(3)
    controls(dark.DarkConfig, KEY, ("omit", "seeds"), c1)
    controls(dark.DarkConfig, KEY, ("kd_T", "alpha"), c2)
    controls(dark.DarkConfig, KEY, ("steps", "lr", "bias"), c3)
with tabs[5]:
    c1, c2 = st.columns(2)
    control(dark.DarkConfig, KEY, "sweep_steps", c1)
    control(dark.DarkConfig, KEY, "sweep_seeds", c2)
cfg = collect(dark.DarkConfig, KEY)

teacher_job = jobs.current(TEACHERS)
if teacher_job is None or teacher_job.state == "stopped":
    teacher_job = jobs.start(TEACHERS, experiment_job("dark_teachers", dark.teachers.TeachersConfig()))
if not teacher_job.wait(30 if teacher_job.state == "running" else 0) or teacher_job.state != "done":  # queued: say so
    jobs.live_view(TEACHERS, lambda job, snap: jobs.header(job, snap, ""))
    st.stop()
snap = teacher_job.snapshot()
logits, labels, eps = snap.logits, snap.labels, snap.eps
NAMES = dark.teachers.names(snap)
TEACHERS_ID = (array_digest(logits), eps)  # what the teachers' shared figures are keyed by


@st.cache_resource(show_spinner=False, max_entries=4)
def teacher_profiles(_snap, teachers: tuple) -> dict:
    """Both teachers' KD-loss split over temperatures (soft_targets.profiles), once per server for ``teachers``."""
    return soft_targets.profiles(_snap.logits, _snap.labels)


prof = teacher_profiles(snap, TEACHERS_ID)
teacher_figures = dark_figures.teachers(dark.teachers.TeachersConfig(), snap, cfg.image, cfg.T, log_scale, prof)
with tabs[0]:
    i, y = cfg.image, int(labels[cfg.image])
    p_t, p_1 = soft_targets.soft_targets(logits[0, i], cfg.T), soft_targets.soft_targets(logits[0, i], 1.0)
    left, right = st.columns([1, 2])
    left.plotly_chart(shared("dark.image", (TEACHERS_ID, i), teacher_figures["test image"]), width="stretch",
                      key="image_fig")
    right.plotly_chart(shared("dark.bars", (TEACHERS_ID, i, cfg.T, log_scale), teacher_figures["soft targets"]),
                       width="stretch", key="bars")
    st.markdown(soft_targets.guesses_sentence(p_t, p_1, y, cfg.T))
    exports.menu("dark_knowledge", cfg, dark.page.part("teachers", snap), "dark_targets")

with tabs[1]:
    sims = [soft_targets.similarity(logits[k], labels, cfg.T) for k in (0, 1)]
    st.markdown(f"Row *c* is the teacher's **average soft target at T = {cfg.T:g}** over the test images of digit *c* "
                "(each row sums to 1; the diagonal is hidden because it dwarfs the rest).")
    st.plotly_chart(shared("dark.sim", (TEACHERS_ID, cfg.T), teacher_figures["class similarity"]), width="stretch",
                    key="sim")
    cols = st.columns(2)
    for col, name, sim in zip(cols, NAMES, sims):
        col.markdown(soft_targets.alike_sentence(name, sim))
    st.caption("Label smoothing pulls every wrong digit towards the same small probability, so the smoothed "
               "teacher's matrix is flatter: the structure numbers above measure that on this page's data.")
    exports.menu("dark_knowledge", cfg, dark.page.part("teachers", snap), "dark_similarity")

with tabs[2]:
    st.markdown("Against a student that knows nothing (uniform output), the KD loss $KL(q^T\\|p^T)$ splits exactly "
                "into a **target part** (TCKD: how sure the teacher is of the true digit) and a **non-target part** "
                "$(1-q_t)\\,$NCKD (how the teacher spreads the rest over the wrong digits), computed by "
                "`kdviz.softening.dkd_split`; averaged over the test images.")
    st.plotly_chart(shared("dark.profile", (TEACHERS_ID, cfg.T), teacher_figures["what T reveals"]), width="stretch",
                    key="profile")
    st.markdown(soft_targets.profile_sentence(prof["normal"], prof["smoothed"]))
    exports.menu("dark_knowledge", cfg, dark.page.part("teachers", snap), "dark_profile")


def draw_omitted(job, snap) -> None:
    """The omitted-digit results: the table beside the paper's, and the bias curve."""
    snap = jobs.header(job, snap, "Press **Start** to train the students (a few seconds).")
    if snap is None or not snap.done:
        return
    chosen = omitted.best_bias(snap.val_logits["kd"], snap.y_val, snap.omit)
    st.dataframe(pd.DataFrame(omitted.comparison_rows(snap, cfg.bias, chosen)), hide_index=True, width="stretch")
    made = dark_figures.omitted(dark.omitted_config(cfg), snap, cfg.bias)
    jobs.chart("dark.omit", "bias_fig", job, made["bias curve"], variant=cfg.bias)
    st.markdown(omitted.omitted_sentence(snap, chosen))
    exports.menu("dark_knowledge", cfg, dark.page.part("omitted", snap), "dark_omit")


def draw_smoothing(job, snap) -> None:
    """KD students of the normal and the label-smoothed teacher, on the same reduced transfer set."""
    snap = jobs.header(job, snap, "Press **Start** to train the students (a few seconds).")
    if snap is None or not snap.done:
        return
    st.dataframe(pd.DataFrame(omitted.smoothing_rows(snap, eps, NAMES)), hide_index=True, width="stretch")
    st.markdown(omitted.smoothing_sentence(snap, eps))
    exports.menu("dark_knowledge", cfg, dark.page.part("smoothing", snap), "dark_smooth")


def draw_sweep(job, snap) -> None:
    """Accuracy and fidelity heatmaps of the sweep, and accuracy against T for both students."""
    snap = jobs.header(job, snap, "Press **Start** to train the sweep (a few seconds).")
    if snap is None or snap.result is None:
        return
    r, made = snap.result, dark_figures.sweep(dark.sweep_config(cfg), snap)
    for name, title in (("sweep_acc", "accuracy heatmaps"), ("sweep_fid", "fidelity heatmaps"),
                        ("sweep_t", "accuracy vs T")):
        jobs.chart("dark.sweep", name, job, made[title])
    diverged = sweep.diverged_sentence(r)
    if diverged:
        st.warning(diverged)
    for n in r.accuracy:
        st.markdown(sweep.best_temperature_sentence(r, n, sweep.SHOWN_ALPHA))
    exports.menu("dark_knowledge", cfg, dark.page.part("sweep", snap), "dark_sweep")


def training_tab(key: str, experiment: str, run_cfg, draw, prefix: str) -> None:
    """Start and Reset for one experiment run in a tab, then its results (live, or cached for these settings)."""
    jobs.controls(key, results.task(key, run_cfg, lambda: experiment_job(experiment, run_cfg, device=device_name())),
                  prefix=prefix)
    results.view(key, experiment, run_cfg, draw)


with tabs[3]:
    st.markdown("Hinton, Vinyals and Dean (2015) distilled an MNIST student on a transfer set **without a single 3**. "
                "Here 64-32-10 students learn from the training images minus one digit; the baseline is the same "
                "student (same initial weights and batch order) trained on those labels alone.")
    training_tab("dark.omit", "dark_omitted", dark.omitted_config(cfg), draw_omitted, "omit_")
    exercises.dark_omitted(cfg, "dark.omit", dark.omitted_config(cfg))
with tabs[4]:
    st.markdown(f"KD students (the Omitted digit tab's settings: digit {cfg.omit} left out, T = {cfg.kd_T:g}, "
                f"alpha = {cfg.alpha:g}) distilled from each teacher.")
    training_tab("dark.smooth", "dark_omitted", dark.omitted_config(cfg, (0.0, eps), False), draw_smoothing, "smooth_")
    exercises.dark_smoothing(cfg, "dark.smooth", dark.omitted_config(cfg, (0.0, eps), False), eps)
with tabs[5]:
    st.markdown(f"{len(sweep.TEMPERATURES)} temperatures x {len(sweep.ALPHAS)} alphas x seeds, for a small (64-32-10) "
                "and a tiny (64-8-10) student, all distilled from the normal teacher on the full training set, each "
                "size trained as one population. alpha = 1 is labels only (no KD).")
    training_tab("dark.sweep", "dark_sweep", dark.sweep_config(cfg), draw_sweep, "sweep_")
