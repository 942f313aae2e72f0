"""The class board's figure: everyone's setting against everyone's result, one dot per post (the newest
posts of a large room, with the mean of all of them per setting value)."""
from __future__ import annotations

import html

import plotly.graph_objects as go

from kdviz.board.headlines import Quantity
from kdviz.board.summary import Scatter
from kdviz.plots.style import ACCENT, STUDENT, layout


def class_scatter(points: Scatter, x: Quantity, y: Quantity) -> go.Figure:
    """One dot per drawn post at (setting, number), each axis titled in words and a fraction in percent; hovering
    shows who posted it (names escaped: they are typed text). When the room holds more posts than are drawn, a
    line of the mean per setting value over all of them."""
    hover = [html.escape(n) for n in points.names]  # Plotly renders a subset of HTML in hover text
    suffix = {"%": "%", "pts": " pts"}
    value = "%{y:.1f}" + suffix[y.unit] if y.unit else "%{y:.3g}"
    fig = go.Figure(go.Scatter(x=_times(points.x, x.scale), y=_times(points.y, y.scale), mode="markers",
                               marker=dict(size=12, color=STUDENT, opacity=0.75, line=dict(width=1, color="white")),
                               hovertext=hover, hovertemplate="%{hovertext}<br>%{x:g}, " + value + "<extra></extra>",
                               name="posts"))
    title = f"{len(points.x)} post{'s' if len(points.x) != 1 else ''}: {y.words} against {x.words}"
    if points.means is not None:
        m = points.means
        fig.add_trace(go.Scatter(x=_times(m.x, x.scale), y=_times(m.y, y.scale), customdata=m.n,
                                 mode="lines+markers", name="mean of all posts",
                                 line=dict(color=ACCENT, width=2), marker=dict(size=7, color=ACCENT),
                                 hovertemplate="mean of %{customdata} posts<br>%{x:g}, " + value + "<extra></extra>"))
        title = (f"{y.words} against {x.words}: the newest {len(points.x)} of {points.total} posts as dots, "
                 "the mean of all as a line")
    fig.update_xaxes(title=x.title, ticksuffix=suffix.get(x.unit, ""))
    fig.update_yaxes(title=y.title, ticksuffix=suffix.get(y.unit, ""))
    return layout(fig, title, height=420, showlegend=points.means is not None)


def _times(values: list[float], scale: float) -> list[float]:
    """Posted values in the unit shown (a plain list: the figure's data stays readable as JSON)."""
    return [v * scale for v in values]
