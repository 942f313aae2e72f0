"""Figures of real 28x28 images: arrays in, go.Figure out."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kdviz.plots.style import layout

COLUMNS = 4  # images per row of a gallery


def image_grid(images: np.ndarray, titles: list[str], title: str | None = None, zmax: float = 255) -> go.Figure:
    """A gallery of grey images (K, H, W) of pixel values 0..zmax, dark ink on white, each with its title."""
    k = len(images)
    rows = max(1, -(-k // COLUMNS))
    fig = make_subplots(rows, COLUMNS, subplot_titles=titles, horizontal_spacing=0.03, vertical_spacing=0.12)
    for i, img in enumerate(images):
        r, c = i // COLUMNS + 1, i % COLUMNS + 1
        fig.add_trace(go.Heatmap(z=np.asarray(img)[::-1], colorscale="Greys", zmin=0, zmax=zmax, showscale=False,
                                 hovertemplate="row %{y}, col %{x}: %{z}<extra></extra>"), r, c)
        fig.update_xaxes(visible=False, constrain="domain", row=r, col=c)
        fig.update_yaxes(visible=False, scaleanchor=f"x{i + 1 if i else ''}", row=r, col=c)
    fig.update_annotations(font_size=11)
    return layout(fig, title, height=60 + 190 * rows)
