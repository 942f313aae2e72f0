"""Real images: dark knowledge you can see on Fashion-MNIST, and Hinton's three-way at scale."""
import pandas as pd
import streamlit as st

from kdviz.data.image_files import SOURCES
from kdviz.experiments import experiment
from kdviz.experiments.dark_knowledge import omitted as digits_omitted, soft_targets
from kdviz.experiments.real_images import omitted, seen, teachers, threeway, width
from kdviz.experiments.real_images.page import omitted_config, seen_config, threeway_config, width_config
from kdviz.experiments.real_images.settings import RealConfig
from kdviz.experiments.task import job as experiment_job
from kdviz.figures.real_images import omitted as omitted_figures, seen as seen_figures, threeway as threeway_figures, \
    width as width_figures
from ui import exports, guide, jobs, results
from ui.controls import control, controls
from ui.intro import about
from ui.sidebar import device_name
from ui.state import bind, collect

KEY = "real"
st.title("Real images")
about("A teacher's soft targets on real 28x28 images of clothing, and Hinton's distillation at its own scale.",
      "Fashion-MNIST holds 70,000 28x28 grey images of clothing in 10 classes (MNIST, the paper's handwritten "
      "digits, has the same format and is used where it is on the machine). A shirt looks like a T-shirt, a "
      "pullover and a coat; a sandal like a sneaker and an ankle boot: that is what a teacher's small "
      "probabilities carry. The teacher (784-400-400-10 at the page's defaults) learns from every training image, "
      "once, and is stored; the students learn from a 6,000-image subset (the transfer set) so that they train "
      "live; the command line runs Hinton's sizes (`--teacher full --n 0 --width 800`). What differs "
      "from the paper: no ±2 pixel input jitter and no weight constraint, Adam instead of momentum SGD.")
guide.notice("real_images")

bind(RealConfig, KEY)
c1, c2, c3 = st.columns(3)
control(RealConfig, KEY, "image_set", c1)
control(RealConfig, KEY, "n", c2)
control(RealConfig, KEY, "teacher", c3)
tabs = st.tabs(["Dark knowledge you can see", "Hinton's three-way", "Omitted class", "Width against T"])
with tabs[0]:
    pick, temp, scale = st.columns(3, vertical_alignment="bottom")
    control(RealConfig, KEY, "image", pick)
    control(RealConfig, KEY, "shown_T", temp)
    log_scale = scale.toggle("Log scale for probabilities", value=True, key="real.log_probs",
                             help="On a log axis the wrong classes' probabilities at T = 1 stay visible.")
with tabs[1]:
    c1, c2, c3 = st.columns(3)
    controls(RealConfig, KEY, ("width", "seeds"), c1)
    controls(RealConfig, KEY, ("T", "alpha"), c2)
    controls(RealConfig, KEY, ("steps", "lr"), c3)
with tabs[2]:
    c1, c2 = st.columns(2)
    control(RealConfig, KEY, "omit", c1)
    control(RealConfig, KEY, "bias", c2)
    st.caption("The students' width, T, alpha, steps, seeds and learning rate are the three-way tab's.")
with tabs[3]:
    c1, c2 = st.columns(2)
    control(RealConfig, KEY, "sweep_steps", c1)
    control(RealConfig, KEY, "sweep_seeds", c2)
cfg = collect(RealConfig, KEY)

absent = teachers.missing(cfg.image_set)
if absent:
    st.info(absent, icon=":material/download:")
    st.stop()
TITLE = SOURCES[cfg.image_set].title


def finished(job, snap, idle: str):
    """The job's status above its results (jobs.header); its snapshot once the run is done, else None."""
    snap = jobs.header(job, snap, idle)
    return snap if getattr(snap, "done", False) or getattr(snap, "progress", 0) >= 1 else None


def conclusion(name: str, run_cfg, snap, key: str) -> None:
    """A finished run's sentences (its experiment's verdict, as the exports state it), then its export menu."""
    st.markdown(experiment(name).verdict(run_cfg, snap))
    exports.menu(name, run_cfg, snap, key)


def draw_seen(job, snap) -> None:
    """The teacher's soft targets for the chosen image, the class similarity, the ambiguous images, what each class
    is taken for."""
    snap = finished(job, snap, "Press **Start** to train the teacher (once; it is stored).")
    if not isinstance(snap, seen.SeenSnapshot):
        return
    i, t = min(cfg.image, len(snap.labels) - 1), cfg.shown_T
    made = seen_figures.figures(seen_config(cfg), snap, i, t, log_scale)
    left, right = st.columns([1, 2])
    jobs.chart("real.seen", "real_image", job, made["test image"], variant=i, where=left)
    jobs.chart("real.seen", "real_bars", job, made["soft targets"], variant=(i, t, log_scale), where=right)
    p_t, p_1 = soft_targets.soft_targets(snap.logits[i], t), soft_targets.soft_targets(snap.logits[i], 1.0)
    st.markdown(soft_targets.guesses_sentence(p_t, p_1, int(snap.labels[i]), t, snap.class_names,
                                              f"{snap.architecture} teacher", "classes"))
    st.markdown(f"Row *c* is the teacher's **average soft target at T = {t:g}** over the test images of class *c* "
                "(each row sums to 1; the diagonal is hidden because it dwarfs the rest).")
    jobs.chart("real.seen", "real_sim", job, made["class similarity"], variant=t)
    jobs.chart("real.seen", "real_ambiguous", job, made["ambiguous images"])
    st.caption(f"Images: {snap.source}.")
    conclusion("real_seen", seen_config(cfg), snap, "real_seen")


def draw_threeway(job, snap) -> None:
    """Test errors of the teacher and the students, beside the paper's, and KD's paired effect."""
    snap, run_cfg = finished(job, snap, "Press **Start** to train the students."), threeway_config(cfg)
    if snap is None:
        return
    st.dataframe(pd.DataFrame(threeway.comparison_rows(run_cfg, snap, TITLE)), hide_index=True, width="stretch")
    jobs.chart("real.three", "real_errors", job, threeway_figures.figures(run_cfg, snap)["test errors"])
    conclusion("real_threeway", run_cfg, snap, "real_three")


def draw_omitted(job, snap) -> None:
    """The omitted-class results: the table beside the paper's, the bias curve, the sentence."""
    snap, run_cfg = finished(job, snap, "Press **Start** to train the students."), omitted_config(cfg)
    if snap is None:
        return
    rows = digits_omitted.comparison_rows(snap, cfg.bias, omitted.chosen_bias(snap), TITLE,
                                          omitted.class_names(run_cfg))
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    jobs.chart("real.omit", "real_bias", job, omitted_figures.figures(run_cfg, snap, cfg.bias)["bias curve"],
               variant=cfg.bias)
    conclusion("real_omitted", run_cfg, snap, "real_omit")


def draw_width(job, snap) -> None:
    """Accuracy against T for each width, and each width's best T in words beside Hinton's statement."""
    snap, run_cfg = finished(job, snap, "Press **Start** to train the sweep."), width_config(cfg)
    if snap is None:
        return
    jobs.chart("real.width", "real_width_fig", job, width_figures.figures(run_cfg, snap)["accuracy vs T"])
    conclusion("real_width", run_cfg, snap, "real_width")


def training_tab(key: str, experiment: str, run_cfg, draw, prefix: str) -> None:
    """Start and Reset for one experiment's run in a tab, then its results (live, or computed ahead)."""
    jobs.controls(key, results.task(key, run_cfg, lambda: experiment_job(experiment, run_cfg, device=device_name())),
                  prefix=prefix)
    results.view(key, experiment, run_cfg, draw)


with tabs[0]:
    training_tab("real.seen", "real_seen", seen_config(cfg), draw_seen, "seen_")
with tabs[1]:
    st.markdown(f"Hinton, Vinyals and Dean (2015) trained a 784-1200-1200-10 teacher on MNIST, a 784-800-800-10 net "
                f"alone, and the same net distilled at T = 20. Here on {TITLE}: a baseline (labels only) and a KD "
                "student per seed on the transfer set, with the same initial weights and batch order.")
    training_tab("real.three", "real_threeway", threeway_config(cfg), draw_threeway, "three_")
with tabs[2]:
    st.markdown(f"Hinton et al. left every 3 out of MNIST's transfer set: the distilled student still recognised most "
                f"test 3s from the soft targets on other digits' images. Here one class of {TITLE} is left out; the "
                "bias that restores it is chosen on the validation split.")
    training_tab("real.omit", "real_omitted", omitted_config(cfg), draw_omitted, "omit_")
with tabs[3]:
    st.markdown(f"Students of {', '.join(map(str, width.WIDTHS))} units per hidden layer, each distilled at T = "
                f"{', '.join(f'{t:g}' for t in width.TEMPERATURES)} (alpha and learning rate: the three-way tab's) "
                "and trained on labels alone, over seeds. The command line adds Hinton's 800 units "
                "(`python -m kdviz real-width --config` with `\"widths\": [30, 100, 300, 800]`).")
    training_tab("real.width", "real_width", width_config(cfg), draw_width, "width_")
