"""Temperature: how T softens a teacher's output, and what it never changes."""
import streamlit as st

from kdviz import softening
from kdviz.config import parse_floats
from kdviz.experiments.temperature import CUSTOM, LOGIT_PRESETS, TemperatureConfig
from kdviz.plots import softening as softening_plots
from kdviz.softening_curves import ranking_never_changes, temperature_sweep
from ui import exercises, guide
from ui.figures import shared
from ui.controls import control
from ui.messages import stop_with_error
from ui.state import bind, collect, set_fields, widget_key

KEY = "temp"
st.title("Temperature")
st.markdown("A teacher's logits $v$ become probabilities through a softmax at temperature $T$. "
            "Raising $T$ flattens the distribution and reveals how the teacher ranks the *wrong* classes, "
            "the dark knowledge a student learns from.")
guide.notice("temperature")
st.latex(r"q_i^T = \frac{\exp(v_i / T)}{\sum_j \exp(v_j / T)}")
st.latex(r"H(q^T) = -\sum_i q_i^T \log q_i^T")
st.caption("Computed by `kdviz.softening.softmax_t` and `kdviz.softening.entropy`.")


def preset_chosen() -> None:
    """A preset fills in its logits."""
    preset = st.session_state[widget_key(KEY, "preset")]
    set_fields(KEY, logits=LOGIT_PRESETS.get(preset, st.session_state[widget_key(KEY, "logits")]))


bind(TemperatureConfig, KEY)
left, right = st.columns([1, 2], gap="large")
with left:
    control(TemperatureConfig, KEY, "preset", on_change=preset_chosen)
    control(TemperatureConfig, KEY, "logits", on_change=lambda: set_fields(KEY, preset=CUSTOM))
    control(TemperatureConfig, KEY, "label")
    control(TemperatureConfig, KEY, "T")
    log_scale = st.toggle("Log scale for probabilities", key="temp.log_probs",
                          help="Shows the wrong classes' small probabilities, which vanish on a linear axis at T = 1.")
cfg = collect(TemperatureConfig, KEY)

try:
    z = parse_floats(cfg.logits)
except ValueError as err:
    stop_with_error(f"Teacher {err}")
if cfg.label >= len(z):
    stop_with_error(f"The true class must be below the number of classes ({len(z)}): pick 0 to {len(z) - 1}.")

sweep = temperature_sweep(z)
p_t, p_1 = softening.softmax_t(z, cfg.T).numpy(), softening.softmax_t(z, 1.0).numpy()
shows = (tuple(z), cfg.T)  # what every figure here is drawn from (the bars also show the label and scale)
with right:
    st.plotly_chart(shared("temperature.bars", (*shows, cfg.label, log_scale), lambda: softening_plots.softmax_bars(
        p_t, p_1, cfg.label, cfg.T, log=log_scale)), width="stretch", key="bars")

a, b = st.columns(2)
a.plotly_chart(shared("temperature.entropy", shows, lambda: softening_plots.entropy_curve(
    sweep.T, sweep.entropy, sweep.max_entropy, cfg.T, float(softening.entropy(z, cfg.T)))), width="stretch", key="entropy")
b.plotly_chart(shared("temperature.probs", shows, lambda: softening_plots.probs_vs_temperature(sweep.T, sweep.probs, cfg.T)),
               width="stretch", key="probs")

cold, hot = softening.zero_temperature_limit(z).numpy(), sweep.probs[-1]
tied = [i for i, x in enumerate(cold) if x > 0]  # the classes that share the mass at T -> 0
ranks_fixed = ranking_never_changes(z, sweep.T)
st.subheader("What the figures show")
st.markdown(
    "- **T → 0**: all mass goes to the largest logit"
    + (f"; here classes {', '.join(map(str, tied))} tie and **share it equally** ({cold[tied[0]]:.2f} each)."
       if len(tied) > 1 else f" (class {tied[0]}): the softmax becomes the one-hot argmax.")
    + f"\n- **T = 1** is the model's own prediction; deploy the student at T = 1."
    f"\n- **T → ∞**: every class tends to 1/N = {1 / len(z):.3f} (at T = 10,000 the largest is {hot.max():.4f}), "
    f"entropy tends to log N = {sweep.max_entropy:.3f} nats."
    + ("\n- **The ranking never changes**: checked at all 200 temperatures, the curves on the right never cross, "
       "so the argmax is the same at every T." if ranks_fixed else "")
    + ("\n- Tied logits keep equal probabilities at every T." if len(set(z)) < len(z) else "")
)
exercises.temperature(z, cfg.label, cfg.T)
