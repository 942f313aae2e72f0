"""Small static figures as SVG text: arrays in, an ``<svg>`` string out, for thumbnails that must cost nothing to
draw (Home's cards). No axes, no text: a thumbnail shows a shape, the page behind it shows the numbers.
"""
from __future__ import annotations

import numpy as np

from kdviz.plots.style import GREY

WIDTH, HEIGHT, PAD = 160, 90, 6


def _svg(body: list[str], width: int = WIDTH, height: int = HEIGHT) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">' + "".join(body) + "</svg>")


def _scale(values, lo: float, hi: float, out_lo: float, out_hi: float) -> np.ndarray:
    """values mapped linearly from [lo, hi] to [out_lo, out_hi] (the middle of the range when lo == hi)."""
    v = np.asarray(values, dtype=np.float64)
    if hi <= lo:
        return np.full(v.shape, (out_lo + out_hi) / 2)
    return out_lo + (v - lo) / (hi - lo) * (out_hi - out_lo)


def bars(groups: list[tuple[np.ndarray, str]]) -> str:
    """Grouped bars: ``groups`` is [(heights (N,), colour)], drawn side by side per position, from 0 up."""
    n, k = len(groups[0][0]), len(groups)
    top = max(float(np.max(h)) for h, _ in groups) or 1.0
    slot = (WIDTH - 2 * PAD) / n
    width = slot * 0.8 / k
    body = [f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="{GREY}"/>']
    for j, (heights, colour) in enumerate(groups):
        ys = _scale(heights, 0.0, top, HEIGHT - PAD, PAD)
        for i, y in enumerate(ys):
            x = PAD + i * slot + slot * 0.1 + j * width
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{HEIGHT - PAD - y:.1f}" '
                        f'fill="{colour}"/>')
    return _svg(body)


def lines(x: np.ndarray, series: list[tuple[np.ndarray, str]], log_x: bool = False) -> str:
    """Curves over a shared x (N,): ``series`` is [(y (N,), colour)], all on one y scale."""
    x = np.log10(x) if log_x else np.asarray(x, dtype=np.float64)
    ys = np.concatenate([np.asarray(y, dtype=np.float64) for y, _ in series])
    xs = _scale(x, x.min(), x.max(), PAD, WIDTH - PAD)
    body = []
    for y, colour in series:
        yy = _scale(y, ys.min(), ys.max(), HEIGHT - PAD, PAD)
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, yy))
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
    return _svg(body)


def points(xy: np.ndarray, colours: list[str]) -> str:
    """A scatter of points xy (N, 2), each with its colour (N,)."""
    xy = np.asarray(xy, dtype=np.float64)
    xs = _scale(xy[:, 0], xy[:, 0].min(), xy[:, 0].max(), PAD, WIDTH - PAD)
    ys = _scale(xy[:, 1], xy[:, 1].min(), xy[:, 1].max(), HEIGHT - PAD, PAD)
    return _svg([f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2" fill="{c}" fill-opacity="0.8"/>'
                 for a, b, c in zip(xs, ys, colours)])


def image(pixels: np.ndarray) -> str:
    """A grey-scale image (H, W), darker for larger values, centred in the thumbnail."""
    p = np.asarray(pixels, dtype=np.float64)
    h, w = p.shape
    cell = (HEIGHT - 2 * PAD) / h
    left = (WIDTH - cell * w) / 2
    shade = _scale(p, p.min(), p.max(), 255, 0).round().astype(int)
    return _svg([f'<rect x="{left + j * cell:.1f}" y="{PAD + i * cell:.1f}" width="{cell + 0.2:.1f}" '
                 f'height="{cell + 0.2:.1f}" fill="rgb({s},{s},{s})"/>'
                 for i in range(h) for j in range(w) for s in [shade[i, j]]])
