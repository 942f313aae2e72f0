"""Figures shared by every session of the server: built once for what they show, then handed out read-only.

A figure that is a pure function of a page's settings (the Temperature page's bars at T = 4 for
the default logits) looks the same to every session that asks for it, so it is built once per
server and kept as a FigureSpec (its plain dict, which st.plotly_chart sends without walking it
again). Building a Plotly figure costs 10-30 ms of the server's CPU; handing out a kept one costs
next to nothing, which keeps light interactions quick while a class trains.
"""
from __future__ import annotations

from typing import Any, Callable

from kdviz.plots.training import FigureSpec
from ui.figure_cache import SharedFigures

FIGURES = SharedFigures(512)  # by (figure name, what it shows); the least recently used go first


def frozen(figure) -> FigureSpec:
    """``figure`` as a FigureSpec (frozen once)."""
    return figure if isinstance(figure, FigureSpec) else FigureSpec(figure)


def shared(name: str, shows: Any, build: Callable[[], Any]) -> FigureSpec:
    """The figure ``name`` for ``shows`` (hashable: everything the figure depends on), built by ``build()``
    the first time this server needs it and shared, read-only, by every session after that."""
    return FIGURES.get((name, shows), lambda: frozen(build()))
