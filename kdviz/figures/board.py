"""The Class board page's Home card (the board itself draws the class's posts: kdviz.board.summary)."""
from __future__ import annotations

import numpy as np

from kdviz import softening
from kdviz.config import parse_floats
from kdviz.experiments.temperature import TemperatureConfig
from kdviz.plots import svg
from kdviz.plots.style import STUDENT

CLASS_TEMPERATURES = (1.0, 2.0, 4.0, 8.0, 16.0)  # the temperatures a class tries on the board


def card() -> str:
    """Home's card figure (SVG text): the largest softened probability of the default logits at each temperature a
    class tries on the board, as bars."""
    z = parse_floats(TemperatureConfig().logits)  # (C,)
    return svg.bars([(np.array([float(softening.softmax_t(z, t).max()) for t in CLASS_TEMPERATURES]), STUDENT)])
