"""Figures for the Temperature and Gradients pages: arrays in, go.Figure out."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kdviz.plots.style import ACCENT, BASELINE, PALETTE, STUDENT, TEACHER, layout, legend_below, log_ticks, probability_range


def class_labels(n: int) -> list[str]:
    """Default class names for an N-way logit vector: "class 0" ... "class N-1"."""
    return [f"class {i}" for i in range(n)]


def softmax_bars(p_t: np.ndarray, p_1: np.ndarray, label: int, T: float, log: bool = False) -> go.Figure:
    """Grouped bars: the teacher's softmax at T, at T = 1, and the one-hot hard label. p_t, p_1: (N,).

    At T = 1 the two teacher distributions are one, drawn once. With ``log``, a log axis deep enough for the
    smallest probability, so the wrong classes' mass at T = 1 shows.
    """
    names = class_labels(len(p_t))
    hard = np.eye(len(p_t))[label]
    at_one = [] if T == 1 else [go.Bar(x=names, y=p_1, name="teacher at T = 1", marker_color=BASELINE)]
    fig = go.Figure([
        go.Bar(x=names, y=hard, name="hard label", marker_color=ACCENT, opacity=0.25),
        *at_one,
        go.Bar(x=names, y=p_t, name=f"teacher at T = {T:g}", marker_color=TEACHER,
               text=[f"{x:.3g}" if log else f"{x:.3f}" for x in p_t], textposition="outside", cliponaxis=False),
    ])
    if log:
        log_ticks(fig, "y", power=True, title="probability (log scale)", range=probability_range(p_t, p_1))
    else:
        fig.update_yaxes(title="probability", range=[0, 1.12])
    return layout(fig, f"Soft targets at T = {T:g}", barmode="group")


def entropy_curve(T: np.ndarray, entropy: np.ndarray, max_entropy: float, current_T: float,
                  current_entropy: float) -> go.Figure:
    """Entropy against T on a log axis, the current T marked, 0 and log N as guides."""
    fig = go.Figure(go.Scatter(x=T, y=entropy, mode="lines", name="entropy H(softmax(v/T))",
                               line=dict(color=TEACHER, width=3)))
    fig.add_hline(y=max_entropy, line_dash="dot", line_color=BASELINE,
                  annotation_text=f"log N = {max_entropy:.3f} (uniform, T → ∞)", annotation_position="bottom right")
    fig.add_trace(go.Scatter(x=[current_T], y=[current_entropy], mode="markers", name=f"T = {current_T:g}",
                             marker=dict(color=ACCENT, size=13, symbol="diamond")))
    log_ticks(fig, "x", title="temperature T")
    fig.update_yaxes(title="entropy (nats)", range=[-0.05 * max_entropy, 1.12 * max_entropy])
    return layout(fig, "Entropy rises with T")


def probs_vs_temperature(T: np.ndarray, probs: np.ndarray, current_T: float) -> go.Figure:
    """Each class's probability against T (log axis): lines never cross, so the ranking is fixed."""
    n = probs.shape[1]
    fig = go.Figure([go.Scatter(x=T, y=probs[:, i], mode="lines", name=name,
                                line=dict(color=PALETTE[i % len(PALETTE)], width=2.5))
                     for i, name in enumerate(class_labels(n))])
    fig.add_hline(y=1.0 / n, line_dash="dot", line_color=BASELINE, annotation_text=f"1/N = {1 / n:.3f}",
                  annotation_position="top right")
    fig.add_vline(x=current_T, line_color=ACCENT, line_width=2)
    log_ticks(fig, "x", title="temperature T")
    fig.update_yaxes(title="probability", range=[0, 1.02])
    return layout(fig, "Every class's probability as T sweeps from 0.01 to 10,000")


def gradient_bars(analytic: np.ndarray, autograd: np.ndarray, T: float) -> go.Figure:
    """Per-class gradient T (p - q) beside autograd's. Both (N,)."""
    names = class_labels(len(analytic))
    fig = go.Figure([
        go.Bar(x=names, y=analytic, name="analytic T (p − q)", marker_color=STUDENT),
        go.Bar(x=names, y=autograd, name="autograd", marker_color=TEACHER),
    ])
    fig.update_yaxes(title="∂ [T² KL(q‖p)] / ∂z_i", zeroline=True, zerolinecolor="#999")
    return layout(fig, f"Gradient of the soft loss at T = {T:g}", barmode="group")


def gradient_norm_curve(T: np.ndarray, scaled: np.ndarray, plain: np.ndarray, current_T: float) -> go.Figure:
    """||gradient|| against T, with and without the T^2 factor, log-log."""
    fig = go.Figure([
        go.Scatter(x=T, y=scaled, mode="lines", name="with T²: ‖T (p − q)‖", line=dict(color=STUDENT, width=3)),
        go.Scatter(x=T, y=plain, mode="lines", name="without T²: ‖(p − q) / T‖",
                   line=dict(color=BASELINE, width=3, dash="dash")),
    ])
    fig.add_vline(x=current_T, line_color=ACCENT, line_width=2)
    log_ticks(fig, "x", title="temperature T")
    log_ticks(fig, "y", power=True, title="gradient norm")
    return layout(fig, "Gradient norm against T")


def limit_curve(T: np.ndarray, loss: np.ndarray, limit: float, error: np.ndarray) -> go.Figure:
    """Two panels over T: T^2 KL with its logit-matching limit, and the limit's relative error.

    The error is |T^2 KL - limit| / limit, so it dips towards 0 where T^2 KL crosses the limit (the
    signed error changes sign there); each crossing is marked and named.
    """
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        "T² KL(q‖p) and its high-T limit", "relative error of the limit"))
    fig.add_trace(go.Scatter(x=T, y=loss, mode="lines", name="T² KL(q‖p)", line=dict(color=STUDENT, width=3)), 1, 1)
    fig.add_trace(go.Scatter(x=T, y=np.full_like(T, limit), mode="lines", name="limit (1/2N)‖z̃ − ṽ‖²",
                             line=dict(color=TEACHER, width=2, dash="dot")), 1, 1)
    fig.add_trace(go.Scatter(x=T, y=np.maximum(error, 1e-16), mode="lines", name="|T² KL − limit| / limit",
                             line=dict(color=ACCENT, width=2)), 1, 2)
    signed = loss - limit
    for i in np.flatnonzero(np.sign(signed[:-1]) * np.sign(signed[1:]) < 0):
        fig.add_vline(x=float(np.sqrt(T[i] * T[i + 1])), line_dash="dot", line_color=BASELINE, row=1, col=2,
                      annotation_text="T² KL crosses the limit: the error changes sign", annotation_font_size=10,
                      annotation_position="bottom left")
    log_ticks(fig, "x", title="temperature T")
    fig.update_yaxes(title_text="loss", row=1, col=1)
    log_ticks(fig, "y", power=True, title="relative error", row=1, col=2)
    return legend_below(layout(fig, None, height=380))
