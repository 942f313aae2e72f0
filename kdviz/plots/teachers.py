"""Figures of the Which teacher? and Claims on trial pages: a Finding's panel as per-seed dots and their mean.

Pure functions: a kdviz.experiments.findings.Panel in, a go.Figure out. Each series is drawn as
one dot per seed (so the seed spread is visible) and its mean: a line over a swept number, a dash
over categories (models, routes, checkpoints), which no line should join.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from kdviz.experiments.findings import Panel
from kdviz.plots.style import BASELINE, PALETTE, STUDENT, TEACHER, layout

SERIES_COLOURS = {"teacher": TEACHER, "baseline": BASELINE, "student": STUDENT}  # by a word in the series' name


def series_colour(name: str, i: int) -> str:
    """A series' colour: the role colour when its name says teacher, baseline or student, else the palette's i-th."""
    low = name.lower()
    for word, colour in SERIES_COLOURS.items():
        if low.startswith(word) or f" {word}" in low.split("(")[0]:
            return colour
    return PALETTE[(i + 2) % len(PALETTE)]


def panel_figure(panel: Panel, height: int = 360) -> go.Figure:
    """Per-seed dots (S per x) and the mean of every series of ``panel``: a line over numbers, a dash per category."""
    fig = go.Figure()
    scale = 100.0 if panel.percent else 1.0
    categorical = any(isinstance(x, str) for x in panel.x)
    x = [str(v) for v in panel.x] if categorical else list(panel.x)
    many = len(x) > 40  # a curve over steps: no per-seed dots, the mean and the band of seeds
    for i, (name, values) in enumerate(panel.series.items()):
        v = np.asarray(values, dtype=np.float64) * scale  # (S, X)
        colour = series_colour(name, i)
        if not many:
            fig.add_trace(go.Scatter(x=[xv for _ in range(len(v)) for xv in x], y=v.ravel(), mode="markers",
                                     marker=dict(color=colour, size=7, opacity=0.45), legendgroup=name,
                                     showlegend=False, name=f"{name} (seeds)", hoverinfo="x+y"))
        mode = "lines" if many else "markers" if categorical else "lines+markers"  # no line across categories
        fig.add_trace(go.Scatter(x=x, y=np.nanmean(v, axis=0), mode=mode, name=name, legendgroup=name,
                                 line=dict(color=colour, width=2.2),
                                 marker=dict(size=28 if categorical else 9, symbol="line-ew-open",
                                             line=dict(color=colour, width=3))))
    fig.update_xaxes(title_text=panel.x_title, type="log" if panel.log_x else ("category" if categorical else None))
    fig.update_yaxes(title_text=panel.y_title + (" (%)" if panel.percent else ""))
    return layout(fig, panel.title, height=height)
