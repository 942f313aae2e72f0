"""Dark knowledge on real data: what a digits teacher's soft targets say, and what a student learns from them."""
import pandas as pd
import streamlit as st

from kdviz.lessons import dark_knowledge as D
from kdviz.lessons import digits_omitted as O
from kdviz.lessons import sweep as W
from kdviz.plots import digits as P
from ui import jobs
from ui.state import bind, collect, widget_key

K = "dark"
w = lambda name: widget_key(K, name)  # noqa: E731
st.title("Dark knowledge")
st.markdown("A teacher (64-256-256-10, dropout 0.5) trained on scikit-learn's 8x8 handwritten digits gives, "
            "for each image, probabilities for *every* digit. The small ones, which digits this image resembles, "
            "are Hinton's **dark knowledge**. A second teacher, identical but trained with **label smoothing** "
            "(targets 0.9 on the true digit, 0.01 on each digit), is shown beside it.")

bind(D.DarkConfig, K)
st.select_slider("Temperature T of the soft targets shown", options=D.T_CHOICES, key=w("T"))
tabs = st.tabs(["Soft targets", "Class similarity", "What T reveals", "Omitted digit", "Label-smoothed teacher",
                "T x alpha sweep"])
with tabs[0]:
    st.number_input(f"Test image (0 to {D.N_TEST - 1})", 0, D.N_TEST - 1, key=w("image"))
with tabs[3]:
    c1, c2, c3 = st.columns(3)
    c1.number_input("Digit left out of the students' transfer set", 0, 9, key=w("omit"))
    c1.number_input("Seeds (students per role)", 1, 5, key=w("seeds"))
    c2.select_slider("Distillation temperature", options=D.T_CHOICES, key=w("kd_T"))
    c2.slider("alpha (weight of the hard labels)", 0.0, 1.0, step=0.05, key=w("alpha"))
    c3.number_input("Training steps", 50, 5000, step=50, key=w("steps"))
    c3.slider("Bias added to the omitted digit's logit", -2.0, 10.0, step=0.25, key=w("bias"))
with tabs[5]:
    c1, c2 = st.columns(2)
    c1.number_input("Steps per student", 50, 3000, step=50, key=w("sweep_steps"))
    c2.number_input("Seeds per cell", 1, 5, key=w("sweep_seeds"))
cfg = collect(D.DarkConfig, K)

if jobs.current("dark.teachers") is None:
    jobs.start("dark.teachers", D.teachers_job())
with st.spinner("Training the two teachers (a few seconds, once per server worker)…"):
    teacher_job = jobs.current("dark.teachers")
    teacher_job.wait(300)
snap = teacher_job.snapshot()
if teacher_job.state != "done" or not snap or "logits" not in snap:
    st.error(f"The teachers could not be trained: {jobs.status_line(teacher_job)}", icon=":material/error:")
    st.stop()
logits, labels, acc, eps = snap["logits"], snap["labels"], snap["test_acc"], snap["eps"]
NAMES = (f"normal teacher ({acc[0]:.1%} test)", f"label-smoothed teacher, eps {eps:g} ({acc[1]:.1%} test)")

with tabs[0]:
    i, y = cfg.image, int(labels[cfg.image])
    p_t, p_1 = D.soft_targets(logits[0, i], cfg.T), D.soft_targets(logits[0, i], 1.0)
    left, right = st.columns([1, 2])
    left.plotly_chart(P.digit_image(snap["images"][i], f"Test image {i}: a {y}"), width="stretch", key="image_fig")
    right.plotly_chart(P.soft_target_bars(p_t, p_1, y, cfg.T), width="stretch", key="bars")
    (g1, q1), (g2, q2), (g3, q3) = D.ranked_guesses(p_t)
    st.markdown(f"The normal teacher's guesses at T = {cfg.T:g}: **{g1}** ({q1:.3g}), second **{g2}** ({q2:.3g}), "
                f"third **{g3}** ({q3:.3g}). At T = 1 the non-target digits share {1 - p_1[y]:.2g} of the mass; at "
                f"T = {cfg.T:g} they share {1 - p_t[y]:.2g}. The log scale shows the small values a student learns from.")

with tabs[1]:
    sims = [D.similarity(logits[k], labels, cfg.T) for k in (0, 1)]
    st.markdown(f"Row *c* is the teacher's **average soft target at T = {cfg.T:g}** over the test images of digit *c* "
                "(each row sums to 1; the diagonal is hidden because it dwarfs the rest).")
    st.plotly_chart(P.similarity_heatmaps([(NAMES[0], sims[0]), (NAMES[1], sims[1])]), width="stretch", key="sim")
    cols = st.columns(2)
    for col, name, sim in zip(cols, NAMES, sims):
        pairs = ", ".join(f"{a}-{b} ({s:.3f})" for a, b, s in D.alike_pairs(sim))
        col.markdown(f"**{name}**: most alike pairs {pairs}. Structure (std / mean of the off-diagonal "
                     f"entries): **{D.structure_score(sim):.2f}**.")
    st.caption("Label smoothing pulls every wrong digit towards the same small probability, so the smoothed "
               "teacher's matrix is flatter: the structure numbers above measure that on this page's data.")

with tabs[2]:
    prof = {"normal": D.temperature_profile(logits[0], labels), "smoothed": D.temperature_profile(logits[1], labels)}
    st.markdown("Against a student that knows nothing (uniform output), the KD loss $KL(q^T\\|p^T)$ splits exactly "
                "into a **target part** (TCKD: how sure the teacher is of the true digit) and a **non-target part** "
                "$(1-q_t)\\,$NCKD (how the wrong digits are ranked), computed by `kdviz.softening.dkd_split`; "
                "averaged over the test images.")
    st.plotly_chart(P.profile_curves(prof, cfg.T), width="stretch", key="profile")
    n, s = prof["normal"], prof["smoothed"]
    k_n, k_s = n["non_target"].argmax(), s["non_target"].argmax()
    st.markdown(f"The normal teacher's non-target part peaks at T = {n['T'][k_n]:.2g} ({n['non_target'][k_n]:.3f} nats); "
                f"the smoothed teacher's peaks at T = {s['T'][k_s]:.2g} with only {s['non_target'][k_s]:.3f} nats. "
                "At high T every soft target tends to uniform and both parts vanish.")


def run_button(key: str, job_key: str, task, label: str = "Run") -> None:
    """A Run button starting ``task`` as this session's job ``job_key``."""
    running = jobs.current(job_key) is not None and not jobs.current(job_key).done
    if st.button(label, key=key, type="primary", icon=":material/play_arrow:", disabled=running):
        jobs.start(job_key, task)
        st.rerun()


def progress(job, snap) -> bool:
    """Status and progress; True once the final snapshot is there."""
    if job is None:
        st.info("Press **Run** to train the students (a few seconds).")
        return False
    jobs.show_status(job)
    if not job.done:
        st.progress(job.progress)
    return bool(snap) and snap.get("phase") == "done" or bool(snap and "result" in snap)


def draw_omitted(job, snap) -> None:
    """The omitted-digit results: the table beside the paper's, and the bias curve."""
    if not progress(job, snap):
        return
    c, kd = snap["omit"], snap["test_logits"]["kd"]
    chosen = O.best_bias(snap["val_logits"]["kd"], snap["y_val"], c)
    st.dataframe(pd.DataFrame(O.comparison_rows(snap, cfg.bias, chosen)), hide_index=True, width="stretch")
    e0, e1 = O.errors(kd, snap["y_test"], c), O.errors(kd, snap["y_test"], c, chosen)
    st.plotly_chart(P.bias_figure(O.bias_curve(kd, snap["y_test"], c), c, chosen, cfg.bias, e0.n_digit),
                    width="stretch", key="bias_fig")
    st.markdown(f"The students never saw a {c}. Without KD they miss all {e0.n_digit} test {c}s. Distilled, they "
                f"recognise {e0.recall.mean():.0%} of them from the soft targets on other digits' images; raising the "
                f"{c}'s bias by {chosen:+g} (chosen on the validation split) brings that to {e1.recall.mean():.0%}.")


def draw_smoothing(job, snap) -> None:
    """KD students of the normal and the label-smoothed teacher, on the same reduced transfer set."""
    if not progress(job, snap):
        return
    c, y = snap["omit"], snap["y_test"]
    rows, recalls = [], {}
    for role, name in (("kd", NAMES[0]), (O.role_name(eps), NAMES[1])):
        e = O.errors(snap["test_logits"][role], y, c)
        recalls[role] = e.recall
        rows.append({"student distilled from": name, "test errors": f"{O.fmt(e.total)} of {e.n}",
                     f"errors on the {e.n_digit} test {c}s": O.fmt(e.on_digit),
                     f"recall of {c}": f"{e.recall.mean():.0%}"})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    gap = recalls["kd"] - recalls[O.role_name(eps)]
    spread = gap.std(ddof=1) if len(gap) > 1 else float("nan")
    verdict = ("larger than its seed spread" if len(gap) > 1 and abs(gap.mean()) > spread
               else "not larger than the seed spread, so no clear effect in this run")
    st.markdown(f"Both teachers are about as accurate, but the smoothed one's soft targets carry less about which digits "
                f"look alike. Students distilled from it recognise the unseen {c} {gap.mean() * 100:+.0f} points less often "
                f"({verdict}), as Müller, Kornblith and Hinton (2019) found: a better teacher is not always a better "
                "teacher to distil from.")


def draw_sweep(job, snap) -> None:
    """Accuracy and fidelity heatmaps of the sweep, and accuracy against T for both students."""
    if not progress(job, snap):
        return
    r = snap["result"]
    st.plotly_chart(P.sweep_heatmaps(r, "accuracy"), width="stretch", key="sweep_acc")
    st.plotly_chart(P.sweep_heatmaps(r, "fidelity"), width="stretch", key="sweep_fid")
    curves = {n: (r["temperatures"], *W.accuracy_vs_t(r, n, 0.1)) for n in r["accuracy"]}
    base = {n: W.accuracy_vs_t(r, n, 1.0)[0][0] for n in r["accuracy"]}
    st.plotly_chart(P.accuracy_vs_t(curves, base, 0.1), width="stretch", key="sweep_t")
    for n in r["accuracy"]:
        b = W.best_temperature(r, n, 0.1)
        st.markdown(f"**{n} student**: best at T = {b['T']:g} ({b['acc']:.1%} ± {b['std']:.1%}) vs T = 1 "
                    f"({b['acc_t1']:.1%} ± {b['std_t1']:.1%}) and labels only ({b['baseline']:.1%}): "
                    + ("a gap larger than the seed spread." if b["clear"]
                       else "the gap is within the seed spread, so no clear preference for a temperature here."))


with tabs[3]:
    st.markdown("Hinton, Vinyals and Dean (2015) distilled an MNIST student on a transfer set **without a single 3**. "
                "Here 64-32-10 students learn from the training images minus one digit; the baseline is the same "
                "student (same initial weights and batch order) trained on those labels alone.")
    run_button("run_omit", "dark.omit", O.distil_job(cfg.omit, cfg.kd_T, cfg.alpha, cfg.steps, cfg.seeds))
    jobs.live_view("dark.omit", draw_omitted)
with tabs[4]:
    st.markdown(f"KD students (the Omitted digit tab's settings: digit {cfg.omit} left out, T = {cfg.kd_T:g}, "
                f"alpha = {cfg.alpha:g}) distilled from each teacher.")
    run_button("run_smooth", "dark.smooth", O.distil_job(cfg.omit, cfg.kd_T, cfg.alpha, cfg.steps, cfg.seeds,
                                                         (0.0, eps), baseline=False))
    jobs.live_view("dark.smooth", draw_smoothing)
with tabs[5]:
    st.markdown(f"{len(W.TEMPERATURES)} temperatures x {len(W.ALPHAS)} alphas x seeds, for a small (64-32-10) and a "
                "tiny (64-8-10) student, all distilled from the normal teacher on the full training set, each size "
                "trained as one population. alpha = 1 is labels only (no KD).")
    run_button("run_sweep", "dark.sweep", W.sweep_job(cfg.sweep_seeds, cfg.sweep_steps))
    jobs.live_view("dark.sweep", draw_sweep)
