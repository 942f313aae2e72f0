"""Figures of the paradigm pages: per-method curves and results with seed spread, teacher disagreement,
EMA lag and born-again generations. Pure functions: arrays in, go.Figure out."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kdviz.paradigms import NOTES
from kdviz.plots.style import PALETTE, TEACHER, layout, legend_below, wrap_words, zoomed_range

CURVE_TITLE_LINE = 40  # characters of panel title per line, shared by the panels side by side (a phone's width)


def method_colour(name: str) -> str:
    """The colour of a method (its Note's), the same in every figure."""
    return NOTES[name].colour


def method_curves(steps: np.ndarray, panels: dict[str, dict[str, np.ndarray]], height: int = 340) -> go.Figure:
    """Side-by-side learning curves, one line per method: panels {title: {method: values (R,)}}, steps (R,)."""
    fig = make_subplots(rows=1, cols=len(panels), horizontal_spacing=0.08,  # titles wrapped: side by side on a phone
                        subplot_titles=[wrap_words(t, CURVE_TITLE_LINE // len(panels)) for t in panels])
    for col, (title, series) in enumerate(panels.items(), start=1):
        for m, y in series.items():
            fig.add_trace(go.Scatter(x=steps, y=y, mode="lines", name=NOTES[m].name, legendgroup=m,
                                     showlegend=col == 1, line=dict(color=method_colour(m), width=2.2,
                                                                   dash="dot" if m == "baseline" else "solid")),
                          row=1, col=col)
        if "accuracy" in title.lower() or "fidelity" in title.lower():
            fig.update_yaxes(tickformat=".0%", row=1, col=col)
    fig.update_xaxes(title_text="step")
    return legend_below(layout(fig, None, height=height)).update_layout(margin=dict(t=75))  # two-line titles


def seed_strip(labels: list[str], methods: list[str], values: np.ndarray, title: str, percent: bool = True,
               height: int = 330) -> go.Figure:
    """Each method's per-seed values as dots, its mean as a short black line, on a zoomed axis: values (M, S)."""
    fig = go.Figure()
    scale = 100 if percent else 1
    for i, (lab, m) in enumerate(zip(labels, methods)):
        v = values[i] * scale
        fig.add_trace(go.Scatter(x=[lab] * len(v), y=v, mode="markers", showlegend=False,
                                 marker=dict(color=method_colour(m), size=11, opacity=0.85,
                                             line=dict(width=1, color="white")),
                                 hovertemplate=f"{lab}, one seed: %{{y:.1f}}<extra></extra>"))
        fig.add_trace(go.Scatter(x=[lab], y=[v.mean()], mode="markers", showlegend=False,
                                 marker=dict(symbol="line-ew-open", size=30, color="black", line=dict(width=2)),
                                 hovertemplate=f"{lab}, mean over seeds: %{{y:.1f}}<extra></extra>"))
    fig.update_yaxes(title_text=title, range=zoomed_range(values * scale))
    return layout(fig, None, height=height, annotations=[dict(
        text="dots: one per seed; line: mean (axis zoomed to the results)", xref="paper", yref="paper", x=0, y=1.02,
        xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=11, color="#555"))])


def disagreement_map(xs: np.ndarray, ys: np.ndarray, disagreement: np.ndarray, points: np.ndarray,
                     labels: np.ndarray, height: int = 380) -> go.Figure:
    """Where the teachers disagree: disagreement (H, W) in [0, 1] as a heatmap with the data on top."""
    fig = go.Figure(go.Heatmap(x=xs, y=ys, z=disagreement, colorscale=[[0, "#ffffff"], [1, TEACHER]], zmin=0, zmax=1,
                               colorbar=dict(title="share of teacher<br>pairs disagreeing", thickness=12),
                               hovertemplate="x %{x:.2f}, y %{y:.2f}: %{z:.0%} of pairs disagree<extra></extra>"))
    for k in np.unique(labels):
        sel = labels == k
        fig.add_trace(go.Scatter(x=points[sel, 0], y=points[sel, 1], mode="markers", name=f"class {k}",
                                 marker=dict(size=4, color=PALETTE[int(k) % len(PALETTE)])))
    fig.update_xaxes(range=[xs[0], xs[-1]])
    fig.update_yaxes(range=[ys[0], ys[-1]])
    return legend_below(layout(fig, None, height=height))


def lines(x: np.ndarray, series: dict[str, np.ndarray], xtitle: str, ytitle: str, colours: dict[str, str] | None = None,
          dashes: dict[str, str] | None = None, percent: bool = False, log_x: bool = False,
          height: int = 340) -> go.Figure:
    """Simple named lines on shared x (each series (R,)); colours and dashes by name."""
    fig = go.Figure()
    for i, (name, y) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers" if len(x) < 12 else "lines", name=name,
                                 line=dict(color=(colours or {}).get(name, PALETTE[i % len(PALETTE)]), width=2.2,
                                           dash=(dashes or {}).get(name, "solid"))))
    fig.update_xaxes(title_text=xtitle, type="log" if log_x else None)
    fig.update_yaxes(title_text=ytitle, tickformat=".0%" if percent else None)
    return layout(fig, None, height=height)
