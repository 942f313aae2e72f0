"""The Gradients page's Home card: the soft loss's gradient norm against T (the page itself draws from its
settings on the spot, with no run)."""
from __future__ import annotations

import numpy as np

from kdviz.config import parse_floats
from kdviz.experiments.gradients import GradientsConfig
from kdviz.plots import svg
from kdviz.plots.style import BASELINE, TEACHER
from kdviz.softening_curves import gradient_sweep


def card() -> str:
    """Home's card figure (SVG text): the soft loss's gradient norm against T at the page's default logits, with
    and without T^2 (log T axis)."""
    cfg = GradientsConfig()
    s = gradient_sweep(parse_floats(cfg.student), parse_floats(cfg.teacher), np.logspace(-1, 2, 60))  # 60 T values
    return svg.lines(s.T, [(s.norm_scaled, TEACHER), (s.norm_plain, BASELINE)], log_x=True)
