"""Figures for training pages: decision boundaries on the plane and learning curves."""
from __future__ import annotations

import base64
import hashlib
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

from kdviz.plots.style import (PALETTE, ROLE_COLOURS, ROLE_NAMES, SHORT_TITLE, layout, legend_below, split_title,
                               wrap_words)

METRIC_TITLES = {
    "hard_loss": "hard loss (CE)",
    "soft_loss": "soft loss (T² KL)",
    "test_acc": "test accuracy",
    "fidelity": "fidelity to teacher",
}


def _hex_rgb(colour: str) -> np.ndarray:
    """'#rrggbb' -> float array (3,) in [0, 255]."""
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


def probability_image(probs: np.ndarray) -> np.ndarray:
    """Colour a grid of class probabilities: the winning class's colour, paler where unsure.

    probs: (H, W, C) with rows summing to 1 -> uint8 RGB image (H, W, 3). Confidence 1/C is
    white, confidence 1 is the full class colour.
    """
    h, w, c = probs.shape
    colours = np.stack([_hex_rgb(PALETTE[i % len(PALETTE)]) for i in range(c)])  # (C, 3)
    top = probs.argmax(-1)  # (H, W)
    conf = (probs.max(-1) - 1.0 / c) / (1.0 - 1.0 / c)  # (H, W) in [0, 1]
    strength = 0.25 + 0.55 * conf[..., None]  # never fully saturated: points stay visible
    rgb = 255.0 * (1 - strength) + colours[top] * strength
    return rgb.clip(0, 255).astype(np.uint8)


class FigureSpec(go.Figure):
    """A built figure frozen into its plain dict, for live redraws: the builders below replace data
    in that dict in place (no re-validation), and to_dict() returns it as it is, so st.plotly_chart
    (which calls to_dict, then serialises) neither copies nor walks it again.
    """

    def __init__(self, figure: go.Figure):
        super().__init__()
        self._spec = figure.to_dict()
        self._drawn: dict = {}  # what the builders last drew into it (e.g. a digest per image panel)

    @property
    def drawn(self) -> dict:
        """What the builders last drew into this figure, by part (mutable; empty for a fresh copy)."""
        return self._drawn

    @classmethod
    def of_spec(cls, spec: dict) -> "FigureSpec":
        """A FigureSpec holding ``spec`` (a figure's plain dict) as it is."""
        figure = cls(go.Figure())
        figure._spec = spec
        return figure

    @property
    def spec(self) -> dict:
        """The figure as a plain dict (data, layout), shared, not copied."""
        return self._spec

    def to_dict(self) -> dict:
        return self._spec


def array_digest(a: np.ndarray) -> bytes:
    """A short digest of an array's values: equal arrays give equal digests (what a drawn figure shows)."""
    return hashlib.blake2b(np.ascontiguousarray(a).data, digest_size=16).digest()


def image_source(rgb: np.ndarray) -> str:
    """An RGB image (H, W, 3) uint8 as a PNG data URI for go.Image(source=...): a few kB to send
    instead of H * W * 3 numbers in JSON (the live redraw's main cost)."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def decision_boundaries(panels: list[tuple[str, np.ndarray]], xs: np.ndarray, ys: np.ndarray,
                        points: np.ndarray, labels: np.ndarray, class_names: list[str],
                        height: int = 360, omit: int | None = None, into: go.Figure | None = None) -> go.Figure:
    """Side-by-side decision regions with the data on top.

    panels: [(title, probs (H, W, C))], xs: (W,) grid x, ys: (H,) grid y, points: (n, 2), labels: (n,).
    ``omit``: the class the students never see, drawn as crosses and named so in the legend.
    ``into``: a FigureSpec of a figure this function built for the same plane and points; its titles
    and regions are replaced in place and it is returned (a live redraw: nothing rebuilt or validated).
    """
    per_panel = 1 + len(class_names)  # the image, then one scatter per class
    spec = into.spec if isinstance(into, FigureSpec) else None
    if spec is not None and len(spec["data"]) == per_panel * len(panels) and \
            len(spec["layout"].get("annotations", ())) == len(panels):
        for i, (title, probs) in enumerate(panels):
            spec["layout"]["annotations"][i]["text"] = panel_title(title, len(panels))
            digest = array_digest(probs)
            if into.drawn.get(("panel", i)) != digest:  # an unchanged panel (the teacher's) keeps its image
                spec["data"][i * per_panel]["source"] = image_source(probability_image(probs))
                into.drawn[("panel", i)] = digest
        return into
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[panel_title(t, len(panels)) for t, _ in panels],
                        horizontal_spacing=0.03, shared_yaxes=True)
    dx, dy = float(xs[1] - xs[0]), float(ys[1] - ys[0])
    for col, (_, probs) in enumerate(panels, start=1):
        fig.add_trace(go.Image(source=image_source(probability_image(probs)), x0=float(xs[0]), dx=dx,
                               y0=float(ys[0]), dy=dy, hoverinfo="skip"), row=1, col=col)
        for k, name in enumerate(class_names):
            sel = labels == k
            unseen = k == omit
            fig.add_trace(go.Scatter(
                x=points[sel, 0], y=points[sel, 1], mode="markers",
                name=f"{name}: never seen by the students" if unseen else name, legendgroup=name,
                showlegend=col == 1, marker=dict(size=7 if unseen else 5, color=PALETTE[k % len(PALETTE)],
                                                 symbol="x" if unseen else "circle",
                                                 line=dict(width=0.6 if not unseen else 0, color="white"))),
                row=1, col=col)
        fig.update_xaxes(range=[xs[0], xs[-1]], showticklabels=False, row=1, col=col)
        fig.update_yaxes(range=[ys[0], ys[-1]], showticklabels=col == 1, autorange=False, row=1, col=col)
    fig = legend_below(layout(fig, None, height=height))
    if len(panels) > 2 or any(len(t) > SHORT_TITLE for t, _ in panels):  # two-line panel titles; four panels a
        fig.update_layout(margin=dict(t=70 if len(panels) < NARROW_PANELS else 85))  # row: three short lines
    if len(panels) >= NARROW_PANELS:
        fig.update_annotations(font_size=13)
    return fig


NARROW_PANELS = 4  # from this many panels a row, each title line keeps to PANEL_LINE characters (a phone's quarter)
PANEL_LINE = 11


def panel_title(title: str, panels: int) -> str:
    """A panel's title; beside two or more others, split into two lines at its first ", " or " (" so that
    neighbouring titles do not run into each other on a narrow screen; four or more a row also wrap each line, and a
    long title of one or two panels wraps at spaces."""
    if panels <= 2 and len(title) > SHORT_TITLE:  # a long title alone in its row: wrapped at spaces
        return wrap_words(title, SHORT_TITLE)
    parts = split_title(title, (", ", " (")) if panels > 2 else None
    lines = [title] if parts is None else list(parts)
    return "<br>".join(wrap_words(line, PANEL_LINE) if panels >= NARROW_PANELS else line for line in lines)


def learning_curves(steps: np.ndarray, series: dict[str, dict[str, np.ndarray]],
                    metrics: tuple[str, ...] = ("hard_loss", "soft_loss", "test_acc", "fidelity"),
                    height: int = 420, into: go.Figure | None = None) -> go.Figure:
    """A 2x2 grid of learning curves, one line per role ("kd", "baseline", ...).

    steps: (R,); series[role][metric]: (R,). Roles use the house colours and names.
    ``into``: a FigureSpec of a figure this function built with the same roles and metrics; its lines
    are replaced in place and it is returned (a live redraw).
    """
    lines = [(role, metric) for metric in metrics for role, data in series.items() if metric in data]
    spec = into.spec if isinstance(into, FigureSpec) else None
    if spec is not None and [(t.get("legendgroup"), t.get("meta")) for t in spec["data"]] == lines:
        for trace, (role, metric) in zip(spec["data"], lines):
            trace["x"], trace["y"] = np.asarray(steps), np.asarray(series[role][metric])
        return into
    fig = make_subplots(rows=2, cols=2, subplot_titles=[METRIC_TITLES.get(m, m) for m in metrics],
                        vertical_spacing=0.16, horizontal_spacing=0.08)
    for i, metric in enumerate(metrics):
        r, c = divmod(i, 2)
        for role, data in series.items():
            if metric not in data:
                continue
            fig.add_trace(go.Scatter(x=steps, y=data[metric], mode="lines", name=ROLE_NAMES.get(role, role),
                                     legendgroup=role, showlegend=i == 0, meta=metric,
                                     line=dict(color=ROLE_COLOURS.get(role, PALETTE[0]), width=2.5)),
                          row=r + 1, col=c + 1)
        if metric in ("test_acc", "fidelity"):
            fig.update_yaxes(tickformat=".0%", row=r + 1, col=c + 1)
    fig.update_xaxes(title_text="step", row=2)
    return legend_below(layout(fig, None, height=height))
