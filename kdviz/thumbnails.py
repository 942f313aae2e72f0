"""Home's card figures: one small static SVG per page, drawn by the kdviz functions the page itself plots
(softened distributions, the gradient-norm curve, the data the students learn from...). Each page's record
(kdviz.site) names its function here; kdviz.site.thumbnail computes it once per process."""
from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits

from kdviz import softening
from kdviz.config import parse_floats
from kdviz.data import make_dataset
from kdviz.experiments.beyond import ema_lag
from kdviz.experiments.gradients import GradientsConfig
from kdviz.experiments.temperature import TemperatureConfig
from kdviz.experiments.which_teacher import LADDER
from kdviz.market.prices import synthetic_prices
from kdviz.models import n_params
from kdviz.plots import svg
from kdviz.plots.style import BASELINE, CLASS_COLOURS, GREY, STUDENT, TEACHER
from kdviz.sweeps import gradient_sweep, temperature_sweep

T_SOFT = 4.0  # the softened distribution beside T = 1 on the Temperature card
CLASS_TEMPERATURES = (1.0, 2.0, 4.0, 8.0, 16.0)  # the temperatures a class tries on the board
OMITTED_BLOB = 3  # the class Compare's card greys out (a class a student may never see)


def temperature() -> str:
    """The default logits softened at T = 1 and at T_SOFT, as bars."""
    z = parse_floats(TemperatureConfig().logits)
    return svg.bars([(softening.softmax_t(z, 1.0).numpy(), BASELINE),
                     (softening.softmax_t(z, T_SOFT).numpy(), TEACHER)])


def gradients() -> str:
    """The soft loss's gradient norm against T, with and without T^2 (log T axis)."""
    cfg = GradientsConfig()
    s = gradient_sweep(parse_floats(cfg.student), parse_floats(cfg.teacher), np.logspace(-1, 2, 60))
    return svg.lines(s.T, [(s.norm_scaled, TEACHER), (s.norm_plain, BASELINE)], log_x=True)


def _blobs(omit: int | None) -> str:
    """The blobs dataset's training points coloured by class, class ``omit`` (if any) in grey."""
    ds = make_dataset("blobs", n=400, noise=0.0, seed=0, train_ratio=0.7)
    x, y = ds.x_train.numpy(), ds.y_train.numpy()
    return svg.points(x, [GREY if c == omit else CLASS_COLOURS[c] for c in y])


def live() -> str:
    """The plane's data a Live student learns from."""
    return _blobs(None)


def compare() -> str:
    """The same data with one class greyed out."""
    return _blobs(OMITTED_BLOB)


def dark_knowledge() -> str:
    """A handwritten 3, the digit the page's students never see."""
    return svg.image(load_digits().images[3])


def beyond() -> str:
    """A mean teacher's lag behind its student against the step, for two decays."""
    steps = np.arange(10, 3000, 20)
    return svg.lines(steps, [(np.array([ema_lag(int(t), d) for t in steps]), c)
                             for d, c in ((0.99, STUDENT), (0.999, TEACHER))])


def which_teacher() -> str:
    """The teacher ladder's sizes (log10 of the parameter counts), as bars."""
    return svg.bars([(np.log10([n_params((2, *h, 5)) for h in LADDER]), TEACHER)])


def claims() -> str:
    """The entropy of the default logits' softened distribution against T (log T axis)."""
    s = temperature_sweep(parse_floats(TemperatureConfig().logits), np.logspace(-1, 2, 60))
    return svg.lines(s.T, [(s.entropy, TEACHER)], log_x=True)


def market() -> str:
    """A synthetic price series."""
    close = synthetic_prices(500, 0.3, 0)["Close"].to_numpy()
    return svg.lines(np.arange(len(close)), [(close, TEACHER)])


def board() -> str:
    """The largest softened probability at each temperature a class tries on the board, as bars."""
    z = parse_floats(TemperatureConfig().logits)
    return svg.bars([(np.array([float(softening.softmax_t(z, t).max()) for t in CLASS_TEMPERATURES]), STUDENT)])
