"""Gradients: the soft loss's gradient, the T^2 factor, the high-T limit, and common errors."""
import pandas as pd
import streamlit as st

from kdviz import softening
from kdviz.config import parse_floats
from kdviz.experiments.gradients import GradientsConfig
from kdviz.misstatements import MATCHES, check_all, match_sentence, to_rows
from kdviz.plots import softening as softening_plots
from kdviz.softening_curves import autograd_soft_gradient, gradient_sweep, high_t_gradient_norm, logit_spread
from ui import exercises, guide
from ui.figures import shared
from kdviz.torchdistill_check import scale_jump, sentence as torchdistill_sentence
from ui.controls import controls
from ui.messages import stop_with_error
from ui.state import bind, collect

KEY = "grad"
st.title("Gradients")
st.markdown("The soft term of the KD loss pulls the student's softened outputs $p^T$ towards the teacher's $q^T$. "
            "A softmax ignores adding one number to every logit, so it pulls the logits $z$ towards $v$ only up to "
            "a shift of each sample's logits. Its gradient is simple, and often misquoted:")
guide.notice("gradients")
st.latex(r"\frac{\partial}{\partial z_i}\Big[T^2\,\mathrm{KL}(q^T \Vert p^T)\Big] = T\,(p_i^T - q_i^T)")
st.latex(r"p^T = \mathrm{softmax}(z/T),\quad q^T = \mathrm{softmax}(v/T)")  # two lines: a phone shows both whole
st.caption("Computed by `kdviz.softening.soft_gradient`; checked live against `torch.autograd` below.")

bind(GradientsConfig, KEY)
for column, name in zip(st.columns([2, 2, 3]), ("student", "teacher", "T")):
    controls(GradientsConfig, KEY, (name,), column)
cfg = collect(GradientsConfig, KEY)
try:
    z, v = parse_floats(cfg.student, what="student logits"), parse_floats(cfg.teacher, what="teacher logits")
    if len(z) != len(v):
        raise ValueError(f"student has {len(z)} logits and teacher {len(v)}: give both the same number of classes")
except ValueError as err:
    stop_with_error(f"{str(err)[:1].upper()}{str(err)[1:]}")

matches = match_sentence(z, v)  # None unless the student already matches the teacher: then every term is 0
if matches:
    st.info(matches)
analytic = softening.soft_gradient(z, v, cfg.T).numpy()
oracle = autograd_soft_gradient(z, v, cfg.T)
sweep = gradient_sweep(z, v)
left, right = st.columns(2)
shows = (tuple(z), tuple(v), cfg.T)  # what every figure here is drawn from
left.plotly_chart(shared("gradients.bars", shows, lambda: softening_plots.gradient_bars(analytic, oracle, cfg.T)),
                  width="stretch", key="grad_bars")
left.caption(f"Largest difference between analytic and autograd: **{abs(analytic - oracle).max():.2e}** "
             "(float64 rounding).")
right.plotly_chart(shared("gradients.norm", shows, lambda: softening_plots.gradient_norm_curve(
    sweep.T, sweep.norm_scaled, sweep.norm_plain, cfg.T)), width="stretch", key="grad_norm")
right.caption(f"Here {MATCHES}, both norms included, at every $T$; the curves show float64 rounding alone (at most "
              f"{sweep.norm_scaled.max():.1g})." if matches else
              "Once $T$ is much larger than the logits' spread (here "
              f"{logit_spread(z, v):.3g}), the soft gradient without $T^2$ shrinks like $1/T^2$ and the hard labels "
              "take over, while with $T^2$ its norm tends to $\\lVert \\tilde z - \\tilde v\\rVert / N$ = "
              f"{high_t_gradient_norm(z, v):.3g}. Below that, neither holds and the norm is often not monotone in $T$. "
              "That is why the loss carries $T^2$.")

st.subheader("High temperature: KD becomes logit matching")
st.latex(r"T^2\,\mathrm{KL}(q^T\Vert p^T)\;\xrightarrow{T\to\infty}\;\frac{1}{2N}\,\lVert \tilde z-\tilde v\rVert^2")
st.latex(r"\tilde z = z-\bar z,\quad \tilde v = v-\bar v")
st.plotly_chart(shared("gradients.limit", shows[:2], lambda: softening_plots.limit_curve(
    sweep.T, sweep.loss_scaled, sweep.limit, sweep.limit_error)), width="stretch", key="limit")
at = {t: float(softening.logit_matching_error(z, v, t)) for t in (20.0, 1000.0)}
st.caption((f"Here {MATCHES}, the limit and T² KL alike, at every T. " if matches else
            f"Relative error of the limit here: {at[20.0]:.1%} at T = 20, {at[1000.0]:.2%} at T = 1000. ")
           + "It needs T much larger than the logits' spread; the logits must be centred "
           "(`kdviz.softening.logit_matching`).")

st.subheader("Common misstatements, checked on your logits")
st.caption("Each claim's prediction beside what torch computes for the logits above (`kdviz.misstatements`).")
rows = pd.DataFrame(to_rows(check_all(z, v, cfg.T)))
st.table(rows[["claim", "verdict", "correct form"]].set_index("claim"))
st.markdown(torchdistill_sentence(scale_jump(z, v, cfg.T)))
with st.expander("The numbers behind each verdict"):
    st.dataframe(rows, hide_index=True, width="stretch", key="myths")
if matches:
    st.caption(f"The exercises ask where the gradient peaks and where it ends; here {MATCHES}, the gradient too, "
               "so there is nothing to predict. Change one logit to try them.")
else:
    exercises.gradients(sweep, analytic, high_t_gradient_norm(z, v), cfg.T)
