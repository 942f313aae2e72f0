"""The class board's figure: everyone's setting against everyone's result, one dot per post (the newest
posts of a large room, with the mean of all of them per setting value)."""
from __future__ import annotations

import html

import plotly.graph_objects as go

from kdviz.board.summary import Scatter
from kdviz.plots.style import ACCENT, STUDENT, layout


def class_scatter(points: Scatter, x_label: str, y_label: str) -> go.Figure:
    """One dot per drawn post at (setting, number); hovering shows who posted it (names escaped: they are typed
    text). When the room holds more posts than are drawn, a line of the mean per setting value over all of them."""
    hover = [html.escape(n) for n in points.names]  # Plotly renders a subset of HTML in hover text
    fig = go.Figure(go.Scatter(x=points.x, y=points.y, mode="markers",
                               marker=dict(size=12, color=STUDENT, opacity=0.75, line=dict(width=1, color="white")),
                               hovertext=hover, hovertemplate="%{hovertext}<br>%{x:g}, %{y:.3g}<extra></extra>",
                               name="posts"))
    title = f"{len(points.x)} post{'s' if len(points.x) != 1 else ''}: {y_label} against {x_label}"
    if points.means is not None:
        m = points.means
        fig.add_trace(go.Scatter(x=m.x, y=m.y, customdata=m.n, mode="lines+markers", name="mean of all posts",
                                 line=dict(color=ACCENT, width=2), marker=dict(size=7, color=ACCENT),
                                 hovertemplate="mean of %{customdata} posts<br>%{x:g}, %{y:.3g}<extra></extra>"))
        title = (f"{y_label} against {x_label}: the newest {len(points.x)} of {points.total} posts as dots, "
                 "the mean of all as a line")
    fig.update_xaxes(title=x_label)
    fig.update_yaxes(title=y_label)
    return layout(fig, title, height=420, showlegend=points.means is not None)
