"""Compare paradigms: several KD methods x seeds trained as one population, beside the baseline."""
import streamlit as st

from kdviz.experiments import compare
from kdviz.experiments.task import job as experiment_job
from kdviz.figures import compare as compare_figures
from kdviz.paradigms import NOTES
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
cfg = settings(compare.CompareConfig, KEY, [("methods",), ("dataset", "teacher", "omit", "lr", "seed"), ("T", "alpha", "steps", "seeds")],
               expanded=False, validate=compare.validate, widths=[2, 1, 1])
cfg = omission.fit(upload.dataset(cfg, KEY), KEY)  # your own CSV replaces the dataset when one is uploaded

jobs.controls(JOB, results.task(JOB, cfg, lambda: experiment_job("compare", cfg, device=device_name())))


def draw(job, snap) -> None:
    """Status, decision regions, curves and (at the end) the results table."""
    idle = f"Press **Start** to train {len(compare.roles(cfg))} methods x {cfg.seeds} seeds. Defaults take ~15 s."
    snap = jobs.header(job, snap, idle)
    if snap is None:
        return
    made = compare_figures.figures(cfg, snap)  # the regions, then the curves of the methods chosen under them
    for k, title in enumerate(t for t in made if t.startswith(compare_figures.REGIONS)):
        name = f"regions{k * compare_figures.ROW}"
        st.plotly_chart(jobs.kept_figure(JOB, name, job, lambda kept, title=title: made[title](into=kept),
                                         variant=cfg.omit), width="stretch", key=name)
    shown = st.multiselect(f"Curves shown (at most {compare_figures.MAX_CURVES}, so the lines stay readable)",
                           list(snap.scene.methods), default=compare_figures.default_curves(snap),
                           max_selections=compare_figures.MAX_CURVES, format_func=lambda m: NOTES[m].name,
                           key="compare.curves_shown")
    made = compare_figures.figures(cfg, snap, shown)
    st.plotly_chart(jobs.kept_figure(JOB, "curves", job, lambda _: made["learning curves"](), variant=tuple(shown)),
                    width="stretch", key="curves")
    if snap.final is not None:
        final_results(job, snap, made)
        exports.menu("compare", cfg, snap, KEY)


def final_results(job, snap, made: dict) -> None:
    """The results table over seeds, the honest takeaway, and per-seed accuracies."""
    rows = compare.summarise(snap, cfg.omit)
    st.subheader(f"Results over {snap.scene.seeds} seeds")
    st.markdown(f"{compare.teacher_text(snap.scene)} **{compare.takeaway(rows)}** "
                "A verdict of *better* needs every seed to agree and a mean gain larger than its seed spread.")
    st.dataframe(compare.table(rows), hide_index=True, width="stretch", key="table")
    st.plotly_chart(jobs.kept_figure(JOB, "seeds", job, lambda _: made["accuracy per seed"](), variant=cfg.omit),
                    width="stretch", key="seeds")
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
