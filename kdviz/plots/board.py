"""The class board's figure: everyone's setting against everyone's result, one dot per post."""
from __future__ import annotations

import html

import plotly.graph_objects as go

from kdviz.plots.style import STUDENT, layout


def class_scatter(x: list[float], y: list[float], names: list[str], x_label: str, y_label: str) -> go.Figure:
    """One dot per post at (setting, number); hovering shows who posted it (names escaped: they are typed text)."""
    hover = [html.escape(n) for n in names]  # Plotly renders a subset of HTML in hover text
    fig = go.Figure(go.Scatter(x=x, y=y, mode="markers", marker=dict(size=12, color=STUDENT, opacity=0.75,
                                                                       line=dict(width=1, color="white")),
                               hovertext=hover, hovertemplate="%{hovertext}<br>%{x:g}, %{y:.3g}<extra></extra>",
                               name="posts"))
    fig.update_xaxes(title=x_label)
    fig.update_yaxes(title=y_label)
    return layout(fig, f"{len(x)} post{'s' if len(x) != 1 else ''}: {y_label} against {x_label}", height=420,
                  showlegend=False)
