"""Each page's figures of a run, one module per page: what the page draws is what an export writes.

Every module has ``figures(cfg, snap, **view) -> {title: builder}``: each builder makes one of the
figures the page draws for that snapshot, only when called (``builder()`` -> go.Figure; a builder
whose plot can update an earlier figure in place also takes ``into``, that figure). ``view`` holds
what the page's widgets choose beyond the settings (Live's replay step, Compare's curves shown);
kdviz.exports passes none, so an exported figure is the page's in its default view. The modules
compute with kdviz.experiments and draw with kdviz.plots (arrays in, figures out).

FIGURES: experiment name (kdviz.experiments.EXPERIMENTS) -> its figures function; figures_of(name).
"""
from __future__ import annotations

from collections.abc import Callable

from kdviz.figures import beyond, compare, dark_knowledge, findings, live, market

FIGURES: dict[str, Callable[..., dict]] = {
    "live": live.figures, "compare": compare.figures, "beyond": beyond.figures,
    "dark_knowledge": dark_knowledge.figures, "dark_teachers": dark_knowledge.teachers,
    "dark_omitted": dark_knowledge.omitted, "dark_sweep": dark_knowledge.sweep,
    "market": market.figures, "market_transfer": market.transfer,
    "which_teacher": findings.figures, "claims": findings.figures}


def figures_of(name: str) -> Callable[..., dict]:
    """The figures function of experiment ``name``; ValueError naming the choices otherwise."""
    if name not in FIGURES:
        raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(FIGURES)}")
    return FIGURES[name]
