"""The width tab's figure: test accuracy against T for each student width, its labels-only accuracy dotted."""
from __future__ import annotations

from kdviz.experiments.real_images.width import WidthConfig, WidthSnapshot, curves
from kdviz.plots import digits


def figures(cfg: WidthConfig, snap: WidthSnapshot) -> dict:
    """{"accuracy vs T": one line per width (mean ± std over seeds), dotted: the same width on labels alone}."""
    if not snap.done:
        return {}
    return {"accuracy vs T": lambda: digits.accuracy_vs_t(*curves(snap), cfg.alpha)}


DRAWS = {"real_width": figures}
