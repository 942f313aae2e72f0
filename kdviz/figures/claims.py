"""The Claims on trial page's figures (its Findings' panels, kdviz.figures.findings) and its Home card."""
from __future__ import annotations

import numpy as np

from kdviz.config import parse_floats
from kdviz.experiments.temperature import TemperatureConfig
from kdviz.figures import findings
from kdviz.plots import svg
from kdviz.plots.style import TEACHER
from kdviz.softening_curves import temperature_sweep

DRAWS = {"claims": findings.figures}  # experiment -> its figures (kdviz.figures.FIGURES)


def card() -> str:
    """Home's card figure (SVG text): the entropy of the default logits' softened distribution against T (log T
    axis)."""
    s = temperature_sweep(parse_floats(TemperatureConfig().logits), np.logspace(-1, 2, 60))  # 60 T values
    return svg.lines(s.T, [(s.entropy, TEACHER)], log_x=True)
