"""Home's card figures: one small static SVG per page, computed once per process by the kdviz functions the page
itself plots (softened distributions, the gradient-norm curve, the data the students learn from...)."""
from __future__ import annotations

import functools

import numpy as np

from kdviz import softening
from kdviz.config import parse_floats
from kdviz.plots import svg
from kdviz.plots.style import BASELINE, CLASS_COLOURS, GREY, STUDENT, TEACHER

T_SOFT = 4.0  # the softened distribution beside T = 1 on the Temperature card
CLASS_TEMPERATURES = (1.0, 2.0, 4.0, 8.0, 16.0)  # the temperatures a class tries on the board


def _temperature() -> str:
    from kdviz.experiments.temperature import TemperatureConfig
    z = parse_floats(TemperatureConfig().logits)
    return svg.bars([(softening.softmax_t(z, 1.0).numpy(), BASELINE),
                     (softening.softmax_t(z, T_SOFT).numpy(), TEACHER)])


def _gradients() -> str:
    from kdviz.experiments.gradients import GradientsConfig
    from kdviz.sweeps import gradient_sweep
    cfg = GradientsConfig()
    s = gradient_sweep(parse_floats(cfg.student), parse_floats(cfg.teacher), np.logspace(-1, 2, 60))
    return svg.lines(s.T, [(s.norm_scaled, TEACHER), (s.norm_plain, BASELINE)], log_x=True)


def _blobs(omit: int | None) -> str:
    from kdviz.data import make_dataset
    ds = make_dataset("blobs", n=400, noise=0.0, seed=0, train_ratio=0.7)
    x, y = ds.x_train.numpy(), ds.y_train.numpy()
    return svg.points(x, [GREY if c == omit else CLASS_COLOURS[c] for c in y])


def _dark_knowledge() -> str:
    from sklearn.datasets import load_digits
    return svg.image(load_digits().images[3])  # a 3, the digit the page's students never see


def _beyond() -> str:
    from kdviz.experiments.beyond import ema_lag
    steps = np.arange(10, 3000, 20)
    return svg.lines(steps, [(np.array([ema_lag(int(t), d) for t in steps]), c)
                             for d, c in ((0.99, STUDENT), (0.999, TEACHER))])  # a mean teacher's lag behind its student


def _which_teacher() -> str:
    from kdviz.experiments.which_teacher import LADDER
    from kdviz.models import n_params
    return svg.bars([(np.log10([n_params((2, *h, 5)) for h in LADDER]), TEACHER)])


def _claims() -> str:
    from kdviz.experiments.temperature import TemperatureConfig
    from kdviz.sweeps import temperature_sweep
    s = temperature_sweep(parse_floats(TemperatureConfig().logits), np.logspace(-1, 2, 60))
    return svg.lines(s.T, [(s.entropy, TEACHER)], log_x=True)


def _market() -> str:
    from kdviz.market.prices import synthetic_prices
    close = synthetic_prices(500, 0.3, 0)["Close"].to_numpy()
    return svg.lines(np.arange(len(close)), [(close, TEACHER)])


def _board() -> str:
    from kdviz.experiments.temperature import TemperatureConfig
    z = parse_floats(TemperatureConfig().logits)
    return svg.bars([(np.array([float(softening.softmax_t(z, t).max()) for t in CLASS_TEMPERATURES]), STUDENT)])


DRAW = {"temperature": _temperature, "gradients": _gradients, "live": lambda: _blobs(None),
        "dark_knowledge": _dark_knowledge, "compare": lambda: _blobs(3), "beyond": _beyond,
        "which_teacher": _which_teacher, "claims": _claims, "market": _market, "board": _board}


@functools.cache
def thumbnail(page: str) -> str:
    """The SVG text of ``page``'s card figure (computed once per process); ValueError for an unknown page."""
    if page not in DRAW:
        raise ValueError(f"no thumbnail for page {page!r}: pages are {', '.join(DRAW)}")
    return DRAW[page]()
