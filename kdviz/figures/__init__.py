"""Each page's figures of a run, one module per page named as the page's path: what the page draws is what an
export writes, and the module also draws the page's Home card.

A page's module declares ``DRAWS = {experiment name: its figures function}`` for the experiments the page runs,
and ``card() -> str``, Home's card figure for the page (a small static SVG, kdviz.plots.svg); kdviz.site.thumbnail
computes it once per process. A figures function is ``figures(cfg, snap, **view) -> {title: builder}``: each
builder makes one of the figures the page draws for that snapshot, only when called (``builder()`` -> go.Figure; a
builder whose plot can update an earlier figure in place also takes ``into``, that figure). ``view`` holds what the
page's widgets choose beyond the settings (Live's replay step, Compare's curves shown); kdviz.exports passes none,
so an exported figure is the page's in its default view. The modules compute with kdviz.experiments and draw with
kdviz.plots (arrays in, figures out); findings.py is shared by the two pages that draw Findings.

Both registries are found by looking (kdviz.discovery), so a new page's figures module is registered by existing:
FIGURES: experiment name (kdviz.experiments.EXPERIMENTS) -> its figures function, gathered from every module's
DRAWS; figures_of(name). CARDS: page path -> its card function, from every module that defines card().
"""
from __future__ import annotations

from collections.abc import Callable

from kdviz.discovery import gather, submodules

_MODULES = submodules(__name__)
FIGURES: dict[str, Callable[..., dict]] = gather(
    ((name, draw, m) for m in _MODULES for name, draw in getattr(m, "DRAWS", {}).items()), "figures of experiments")
CARDS: dict[str, Callable[[], str]] = {m.__name__.rpartition(".")[2]: m.card for m in _MODULES if hasattr(m, "card")}


def figures_of(name: str) -> Callable[..., dict]:
    """The figures function of experiment ``name``; ValueError naming the choices otherwise."""
    if name not in FIGURES:
        raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(FIGURES)}")
    return FIGURES[name]
