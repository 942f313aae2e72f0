"""The Temperature page's Home card: its default logits softened at T = 1 and at T_SOFT (the page itself draws
from its settings on the spot, with no run)."""
from __future__ import annotations

from kdviz import softening
from kdviz.config import parse_floats
from kdviz.experiments.temperature import TemperatureConfig
from kdviz.plots import svg
from kdviz.plots.style import BASELINE, TEACHER

T_SOFT = 4.0  # the softened distribution beside T = 1 on the card


def card() -> str:
    """Home's card figure (SVG text): the default logits softened at T = 1 and at T_SOFT, as bars."""
    z = parse_floats(TemperatureConfig().logits)  # (C,)
    return svg.bars([(softening.softmax_t(z, 1.0).numpy(), BASELINE),
                     (softening.softmax_t(z, T_SOFT).numpy(), TEACHER)])
