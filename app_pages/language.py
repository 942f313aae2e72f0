"""Distilling a language model: character GRU students of one stored teacher, seven methods beside labels only."""
import streamlit as st

from kdviz.experiments import budget, language
from kdviz.experiments.task import job as experiment_job
from kdviz.figures import language as language_figures
from kdviz.lm.distil import FORMULAS, LOW
from ui import exercises, exports, guide, jobs, links, results
from ui.controls import settings
from ui.figures import shared
from ui.intro import about
from ui.sidebar import device_name

KEY = JOB = "language"
st.title("Distilling a language model")
about("A small character model learns from a bigger one's next-character distributions, seven ways, beside "
      "**labels only** (the text alone), over paired seeds.",
      "Soft targets become next-character distributions: which other characters would fit here. The students "
      "(small GRUs, the same initial weights and text per seed) learn by: the text alone; the teacher's "
      "distribution per character under forward KL (Hinton per token), reverse KL (MiniLLM) or JSD(β) (GKD); "
      "forward KL from the teacher's top-k probabilities only; text the teacher wrote (sequence-level KD); or "
      "their own text, scored by the teacher (on-policy). The teacher is trained once per server on CPython's "
      "documentation and stored.")
guide.notice("language")

cfg = settings(language.LanguageConfig, KEY, [("methods", "prompt"), ("T", "beta", "k", "top_k_mode"),
                                              ("steps", "seeds", "hidden", "lr", "sample_T", "seed")],
               expanded=False, validate=language.validate, widths=[2, 2, 2])
jobs.controls(JOB, results.task(JOB, cfg, lambda: experiment_job("language", cfg, device=device_name())))


def draw(job, snap) -> None:
    """Status, the torn position, the curves, the samples and (at the end) the verdicts and claims."""
    idle = (f"Press **Start** to train {len(language.parse_methods(cfg.methods))} methods x {cfg.seeds} seeds for "
            f"{cfg.steps} steps: {budget.duration(budget.estimate('language', cfg))} on one core of this server.")
    snap = jobs.header(job, snap, idle)
    if snap is None:
        return
    scene, torn = snap.scene, snap.scene.torn
    chosen = [m for m in st.session_state.get("language.shown", language_figures.default_shown(snap))
              if m in scene.methods]  # the methods box below, as last chosen
    made = language_figures.figures(cfg, snap, chosen)
    st.plotly_chart(jobs.kept_figure(JOB, "torn", job, lambda _: made["torn position"](), variant=tuple(chosen)),
                    width="stretch", key="torn")
    st.text(f"…{torn.context[-60:]}⟨next: {torn.actual!r}⟩".replace("\n", "↵"))
    st.caption("Where the teacher is torn: " + ("the held-out position where its two most likely next characters "
                                                "are closest. " if torn.torn else "no held-out position here gives two "
                                                "characters most of its probability; this is where its second choice "
                                                "is most likely. ")
               + "Forward KL pulls a student to cover both; reverse KL lets it pick one.")
    shown = st.multiselect(f"Methods shown (at most {language_figures.MAX_CURVES}, so the lines stay readable)",
                           scene.methods, default=chosen, max_selections=language_figures.MAX_CURVES,
                           format_func=language.NAMES.get, key="language.shown")
    made = language_figures.figures(cfg, snap, shown)
    for k, title in enumerate(language_figures.METRICS.values()):
        st.plotly_chart(jobs.kept_figure(JOB, f"curve{k}", job, lambda _, t=title: made[t](), variant=tuple(shown)),
                        width="stretch", key=f"curve{k}")
    st.subheader(f"Samples at sampling temperature {cfg.sample_T:g}, one prompt and seed")
    st.dataframe([{"model": "teacher" if m == "teacher" else language.NAMES[m], "sample": text}
                  for m, text in snap.samples.items()], hide_index=True, width="stretch", key="samples")
    st.caption(f"Teacher: a {scene.teacher_shape} ({scene.teacher_params:,} parameters), "
               f"{scene.teacher_bits:.3f} held-out bits per character; students: {scene.student_params:,} parameters "
               f"each. Text: {scene.corpus}.")
    if snap.done:
        final_results(snap)
        exports.menu("language", cfg, snap, KEY)


def final_results(snap) -> None:
    """The verdicts over seeds, the claims tested, and the KL direction written both ways."""
    st.subheader(f"Results over {snap.scene.seeds} seeds")
    if snap.failed:
        st.warning(language.verdict(cfg, snap), icon=":material/warning:")
        return
    rows = language.summarise(snap)
    st.markdown(f"**{language.takeaway(rows)}** A verdict of *better* needs every seed to agree and a mean larger "
                "than its seed spread.")
    st.dataframe(language.table(rows), hide_index=True, width="stretch", key="table")
    st.caption(f"Training time: {snap.train_s:.1f} s for every student together on {snap.scene.device}. "
               f"Mass where teacher < {LOW:.0%}: the probability a student puts on next characters the teacher "
               "gives less than that; own text: the teacher's bits per character on text the student wrote.")
    st.subheader("The papers' claims, tested here")
    for c in language.claims(snap):
        with st.container(border=True):
            st.markdown(f"**{c.claim}** Verdict: **{c.verdict}**. {c.evidence}")
    if "reverse_kl" in snap.scene.methods:
        right, misstated = language.kl_directions(snap, "reverse_kl")
        st.subheader("Which way round the KL goes")
        st.markdown("Often written (wrongly) for the reverse KL:")
        st.latex(r"\mathrm{KL}(p_s \,\|\, p_t) = -\sum_i p_t(i) \log \frac{p_s(i)}{p_t(i)} \quad\text{(that sum is "
                 r"}\mathrm{KL}(p_t \,\|\, p_s)\text{, the forward KL)}")
        st.markdown("What the reverse-KL students train with (`kdviz.lm.losses.reverse_kl`):")
        st.latex(r"\mathrm{KL}(p_s \,\|\, p_t) = \sum_i p_s(i) \log \frac{p_s(i)}{p_t(i)}")
        st.caption(f"At the torn position, for the reverse-KL student of seed 0: KL(p_s ‖ p_t) = {right:.4f} nats, "
                   f"while the misstated sum gives {misstated:.4f} nats.")


results.view(JOB, "language", cfg, draw)

with exercises.section("exercise.language_best"):
    done = exercises.finished(JOB, cfg, lambda s: isinstance(s, language.LanguageSnapshot) and s.done)
    exercises.predict_then_check("exercise.language_best", None if done is None else (lambda: language.summarise(done)),
                                 exercises.START, choices=tuple(language.NAMES[m] for m in language.parse_methods(
                                     cfg.methods)[1:]))

if links.text_hidden():  # a presented step: its run's figure is the one on the projector
    st.caption("The textbook picture (one bell curve fitted to two peaks under each divergence) is on this page "
               "outside presenter mode.")
else:
    st.subheader("The textbook picture: one bell curve fitted to two peaks")
    st.markdown("The same three divergences the students train with, fitted on the spot: forward KL covers both "
                "peaks, reverse KL settles on one, JSD(β) lies between (move β).")
    beta = st.slider("β of JSD(β)", 0.05, 0.95, 0.5, 0.05, key="language.toy_beta")
    st.plotly_chart(shared("language.bells", beta, lambda: language_figures.bell_figure(4.0, 0.7, beta)),
                    width="stretch", key="bells")
    st.caption("Fitted by `kdviz.lm.toy.fit` with the very loss functions below.")

st.subheader("Each loss, exactly as trained")
st.markdown("z: student logits, v: teacher logits, p^T = softmax(z / T), q^T = softmax(v / T), averaged over the "
            "batch's B windows and L positions.")
for m in language.parse_methods(cfg.methods):
    function, formula = FORMULAS[m]
    with st.container(border=True):
        st.markdown(f"**{language.NAMES[m]}**, computed by `{function}`")
        st.latex(formula)
