"""A dataset's points on the plane, coloured by class: the picture of an uploaded CSV (raw 2-D or projected)."""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from kdviz.plots.style import PALETTE, layout

SHOWN = 3000  # points drawn at most (the first ones), as SVG: a page may hold only a few WebGL contexts


def projection_scatter(points: np.ndarray, labels: np.ndarray, class_names: list[str],
                       axes: tuple[str, str] = ("axis 1", "axis 2")) -> go.Figure:
    """Points (N, 2) coloured by labels (N,) in [0, C), one trace per class (legend: the class names, cut and
    escaped: Plotly renders a subset of HTML in them)."""
    fig = go.Figure()
    p, y = points[:SHOWN], labels[:SHOWN]
    for c, name in enumerate(class_names):
        mask = y == c
        fig.add_trace(go.Scatter(x=p[mask, 0], y=p[mask, 1], mode="markers",
                                 name=html.escape(str(name)[:30], quote=False),
                                 marker=dict(size=5, color=PALETTE[c % len(PALETTE)], opacity=0.7)))
    fig.update_xaxes(title=axes[0])
    fig.update_yaxes(title=axes[1])
    return layout(fig, height=320)
