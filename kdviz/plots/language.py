"""Figures of the language-model page: next-character distributions side by side, the bell-curve fits, samples."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from kdviz.plots.style import BLUE, GREY, layout, legend_below

SHOWN_TEXT = 160  # characters of a sample a table cell shows


def char_label(ch: str) -> str:
    """A character as an axis label: a space and a newline spelled out."""
    return {" ": "␣ (space)", "\n": "↵ (newline)"}.get(ch, ch)


def next_char_bars(chars: list[str], dists: dict[str, np.ndarray], colours: dict[str, str], title: str,
                   height: int = 360) -> go.Figure:
    """Grouped bars of next-character probabilities: ``dists`` {name: (C,)} over the characters ``chars`` (C,)."""
    fig = go.Figure()
    labels = [char_label(c) for c in chars]
    for name, p in dists.items():
        fig.add_trace(go.Bar(x=labels, y=np.asarray(p), name=name, marker_color=colours.get(name, GREY),
                             hovertemplate=f"{name}: %{{y:.1%}}<extra>%{{x}}</extra>"))
    fig.update_layout(barmode="group", bargap=0.2)
    fig.update_yaxes(title_text="probability", tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(title_text="next character")
    return legend_below(layout(fig, title, height=height))


def bell_fits(grid: np.ndarray, teacher: np.ndarray, fits: dict[str, np.ndarray], colours: dict[str, str],
              title: str, height: int = 340) -> go.Figure:
    """The two-peaked teacher (filled) and each fitted bell curve (a line) on ``grid`` (G,): fits {name: (G,)}."""
    fig = go.Figure(go.Scatter(x=grid, y=teacher, mode="lines", name="teacher (two peaks)", fill="tozeroy",
                               line=dict(color=BLUE, width=1.5)))
    for name, p in fits.items():
        fig.add_trace(go.Scatter(x=grid, y=p, mode="lines", name=name, line=dict(color=colours.get(name, GREY),
                                                                                 width=2.4)))
    fig.update_xaxes(title_text="x")
    fig.update_yaxes(title_text="probability per grid point", rangemode="tozero")
    return legend_below(layout(fig, title, height=height))


def samples_table(names: list[str], texts: list[str], title: str, height: int = 420) -> go.Figure:
    """One row per model: its name and its sample (cut to SHOWN_TEXT characters, newlines shown as ↵)."""
    shown = [t[:SHOWN_TEXT].replace("\n", "↵ ") for t in texts]
    fig = go.Figure(go.Table(columnwidth=[1, 5], header=dict(values=["model", "sample"], align="left"),
                             cells=dict(values=[names, shown], align="left", font=dict(family="monospace", size=11))))
    return layout(fig, title, height=height)
