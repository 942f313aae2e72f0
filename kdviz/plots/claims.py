"""Figures of the Which teacher? and Claims on trial pages: a Finding's panel as per-seed dots and their mean.

Pure functions: a kdviz.experiments.findings.Panel in, a go.Figure out. Each series is drawn as
one dot per seed (so the seed spread is visible) and its mean: a line over a swept number, a dash
over categories (models, routes, checkpoints), which no line should join.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from kdviz.plots.style import BASELINE, STUDENT, TEACHER, distinct_colours, layout, log_ticks

if TYPE_CHECKING:  # a Panel is plain series: this module reads its fields, never imports the experiments
    from kdviz.experiments.findings import Panel

SERIES_COLOURS = {"teacher": TEACHER, "baseline": BASELINE, "student": STUDENT}  # by a word in the series' name


def role_colour(name: str) -> str | None:
    """The role colour a series' name asks for: that of the first of teacher, baseline or student it names
    ("small student, high-confidence teacher" is a student), else None."""
    words = name.lower().split("(")[0].replace(",", " ").split()
    return next((SERIES_COLOURS[w] for w in words if w in SERIES_COLOURS), None)


def panel_figure(panel: Panel, height: int = 360) -> go.Figure:
    """Per-seed dots (S per x) and the mean of every series of ``panel``: a line over numbers, a dash per category."""
    fig = go.Figure()
    scale = 100.0 if panel.percent else 1.0
    categorical = any(isinstance(x, str) for x in panel.x)
    x = [str(v) for v in panel.x] if categorical else list(panel.x)
    many = len(x) > 40  # a curve over steps: no per-seed dots, the mean and the band of seeds
    colours = distinct_colours([role_colour(name) for name in panel.series])  # never two series in one colour
    for colour, (name, values) in zip(colours, panel.series.items()):
        v = np.asarray(values, dtype=np.float64) * scale  # (S, X)
        if not many:
            fig.add_trace(go.Scatter(x=[xv for _ in range(len(v)) for xv in x], y=v.ravel(), mode="markers",
                                     marker=dict(color=colour, size=7, opacity=0.45), legendgroup=name,
                                     showlegend=False, name=f"{name} (seeds)", hoverinfo="x+y"))
        mode = "lines" if many else "markers" if categorical else "lines+markers"  # no line across categories
        fig.add_trace(go.Scatter(x=x, y=np.nanmean(v, axis=0), mode=mode, name=name, legendgroup=name,
                                 line=dict(color=colour, width=2.2),
                                 marker=dict(size=28 if categorical else 9, symbol="line-ew-open",
                                             line=dict(color=colour, width=3))))
    if panel.log_x:
        log_ticks(fig, "x", at=x, title_text=panel.x_title)
    else:
        fig.update_xaxes(title_text=panel.x_title, type="category" if categorical else None)
    fig.update_yaxes(title_text=panel.y_title + (" (%)" if panel.percent else ""))
    return layout(fig, panel.title, height=height)
