"""Figures for the Dark knowledge page (8x8 digits): arrays in, go.Figure out."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kdviz.plots.style import ACCENT, BASELINE, PALETTE, STUDENT, TEACHER, layout, log_ticks, probability_range

DIGITS = [str(d) for d in range(10)]


def digit_image(image: np.ndarray, title: str, zmax: float = 16) -> go.Figure:
    """One grey image (H, W) of pixel values 0..zmax (16: the 8x8 digits; 255: 28x28 images), dark ink on white."""
    fig = go.Figure(go.Heatmap(z=np.asarray(image)[::-1], colorscale="Greys", zmin=0, zmax=zmax, showscale=False,
                               hovertemplate="row %{y}, col %{x}: %{z}<extra></extra>"))
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, scaleanchor="x")
    return layout(fig, title, height=300)


def soft_target_bars(p_t: np.ndarray, p_1: np.ndarray, label: int, T: float, log: bool = True,
                     names: list[str] = DIGITS, what: str = "digit") -> go.Figure:
    """The teacher's soft targets of one image at T beside T = 1, the true class marked; p_t, p_1: (C,).
    names: the classes' names (C,); what: what a class is called ("digit", "class")."""
    fig = go.Figure([
        go.Bar(x=names, y=p_1, name="teacher at T = 1", marker_color=BASELINE),
        go.Bar(x=names, y=p_t, name=f"teacher at T = {T:g}", marker_color=TEACHER,
               text=[f"{x:.2g}" for x in p_t], textposition="outside", cliponaxis=False),
    ])
    fig.add_vline(x=int(label), line_color=ACCENT, line_width=2, line_dash="dot",
                  annotation_text=f"true {what} {names[int(label)]}", annotation_position="top")
    fig.update_xaxes(title=what, type="category")
    if log:
        log_ticks(fig, "y", power=True, title="probability (log scale)", range=probability_range(p_t, p_1))
    else:
        fig.update_yaxes(title="probability", range=[0, 1.1])
    return layout(fig, f"Soft targets at T = {T:g}", barmode="group", height=340)


def similarity_heatmaps(panels: list[tuple[str, np.ndarray]], names: list[str] = DIGITS,
                        what: str = "digit") -> go.Figure:
    """Class-similarity matrices side by side (diagonal hidden: it dwarfs the rest); each (C, C), classes ``names``
    (what a class is called: ``what``)."""
    fig = make_subplots(1, len(panels), subplot_titles=[t for t, _ in panels], horizontal_spacing=0.08)
    off = [np.where(np.eye(len(m), dtype=bool), np.nan, m) for _, m in panels]
    top = max(float(np.nanmax(m)) for m in off)
    for i, m in enumerate(off):
        fig.add_trace(go.Heatmap(z=m, x=names, y=names, colorscale="Blues", zmin=0, zmax=top,
                                 showscale=i == len(panels) - 1, colorbar=dict(title="mean prob."),
                                 hovertemplate="true %{y}, mass on %{x}: %{z:.3f}<extra></extra>"), 1, i + 1)
        fig.update_xaxes(title=f"soft target's {what}", type="category", row=1, col=i + 1)
        fig.update_yaxes(title=f"true {what}" if i == 0 else None, type="category", autorange="reversed", row=1, col=i + 1)
    return layout(fig, None, height=420)


def profile_curves(profiles: dict[str, dict], current_T: float) -> go.Figure:
    """What soft targets carry against T (log axis): entropy, and the DKD split, per teacher."""
    fig = make_subplots(1, 2, subplot_titles=["entropy of the soft targets (nats)",
                                              "KD loss vs a know-nothing student, split (DKD)"])
    styles = [("solid", TEACHER), ("dash", STUDENT)]
    for (name, p), (dash, colour) in zip(profiles.items(), styles):
        fig.add_trace(go.Scatter(x=p["T"], y=p["entropy"], name=f"{name}: entropy", line=dict(color=colour, dash=dash)), 1, 1)
        fig.add_trace(go.Scatter(x=p["T"], y=p["tckd"], name=f"{name}: target part (TCKD)",
                                 line=dict(color=colour, dash=dash, width=1.5)), 1, 2)
        fig.add_trace(go.Scatter(x=p["T"], y=p["non_target"], name=f"{name}: non-target part (1 - q_t) NCKD",
                                 line=dict(color=PALETTE[2] if colour == TEACHER else PALETTE[3], dash=dash, width=3)), 1, 2)
    for col in (1, 2):
        fig.add_vline(x=current_T, line_color=ACCENT, line_dash="dot", row=1, col=col)
        log_ticks(fig, "x", title="temperature T", row=1, col=col)
    fig.update_yaxes(title="nats", row=1, col=2)
    layout(fig, None, height=460)
    return fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, x=0), margin=dict(b=120))


def bias_figure(curve: dict, digit: int, chosen: float, slider: float, n_digit: int,
                name: str | None = None) -> go.Figure:
    """Mean test errors (all, and on the omitted digit) against the bias added to its logit (``name``: the omitted
    class's name, for a set of named classes)."""
    what, many = (f"digit {digit}", f"test {digit}s") if name is None else (name, f"test images of {name}")
    fig = go.Figure([
        go.Scatter(x=curve["bias"], y=curve["total"], name="all test errors", line=dict(color=STUDENT, width=3)),
        go.Scatter(x=curve["bias"], y=curve["on_digit"], name=f"errors on the {n_digit} {many}",
                   line=dict(color=STUDENT, dash="dash")),
    ])
    fig.add_vline(x=chosen, line_color=ACCENT, line_dash="dot", annotation_text=f"chosen on validation: {chosen:+g}",
                  annotation_position="top right")
    if slider != chosen:
        fig.add_vline(x=slider, line_color=BASELINE, line_dash="dot", annotation_text=f"your slider: {slider:+g}",
                      annotation_position="top left")
    fig.update_xaxes(title=f"bias added to {what}'s logit")
    fig.update_yaxes(title="test errors (mean over seeds)", rangemode="tozero")
    return layout(fig, f"Raising the omitted {'digit' if name is None else 'class'}'s bias (KD students)", height=360)


def sweep_heatmaps(result, metric: str) -> go.Figure:
    """Mean over seeds of a sweep metric ("accuracy" or "fidelity") per (T, alpha), one panel per student.

    result: a SweepResult (temperatures, alphas, students, and per-student (nT, nA, S) arrays).
    """
    table = getattr(result, metric)
    names = list(table)
    fig = make_subplots(1, len(names), subplot_titles=[f"{n} student 64-{'-'.join(map(str, result.students[n]))}-10"
                                                       for n in names], horizontal_spacing=0.14)
    ts, al = [f"{t:g}" for t in result.temperatures], [f"{a:g}" for a in result.alphas]
    zmin = min(float((table[n] * 100).mean(-1).min()) for n in names)  # one colour scale for both panels
    zmax = max(float((table[n] * 100).mean(-1).max()) for n in names)
    spreads = []
    for i, n in enumerate(names):
        v = table[n] * 100  # (nT, nA, S)
        mean, std = v.mean(-1), (v.std(-1, ddof=1) if v.shape[-1] > 1 else np.zeros(v.shape[:2]))
        spreads.append(float(np.median(std)))
        text = [[f"{m:.1f}<br>± {s:.1f}" for m, s in zip(rm, rs)] for rm, rs in zip(mean.T, std.T)]
        fig.add_trace(go.Heatmap(z=mean.T, x=ts, y=al, text=text, texttemplate="%{text}", colorscale="Viridis",
                                 zmin=zmin, zmax=zmax, coloraxis="coloraxis",
                                 hovertemplate="T %{x}, alpha %{y}: %{z:.2f}%<extra></extra>"), 1, i + 1)
        fig.update_xaxes(title="temperature T", type="category", row=1, col=i + 1)
        fig.update_yaxes(title="alpha (1 = labels only)" if i == 0 else None, type="category", row=1, col=i + 1)
    label = "test accuracy" if metric == "accuracy" else "fidelity (agreement with the teacher)"
    fig.update_layout(coloraxis=dict(colorscale="Viridis", cmin=zmin, cmax=zmax,
                                     colorbar=dict(title="%", thickness=12)))
    spread = ", ".join(f"{n} ±{s:.1f}" for n, s in zip(names, spreads))
    return layout(fig, f"{label}, % (mean ± std over seeds; one colour scale; typical seed spread {spread} points: "
                       "smaller differences are noise)", height=420)


def accuracy_vs_t(curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], baselines: dict[str, float],
                  alpha: float) -> go.Figure:
    """Test accuracy against T for each student, up to four (mean with a +-std band); dotted: the same student
    without KD.

    curves: {student: (T (nT,), mean (nT,), std (nT,))} as fractions; baselines: {student: accuracy}.
    """
    fig = go.Figure()
    for (name, (t, m, s)), colour in zip(curves.items(), (STUDENT, PALETTE[3], PALETTE[2], PALETTE[1])):
        fig.add_trace(go.Scatter(x=t, y=m * 100, name=f"{name} student, KD", line=dict(color=colour, width=3),
                                 error_y=dict(type="data", array=s * 100, visible=True)))
        if name in baselines:
            fig.add_hline(y=baselines[name] * 100, line_color=colour, line_dash="dot",
                          annotation_text=f"{name}, baseline (labels only)", annotation_position="bottom right")
    log_ticks(fig, "x", title="temperature T")
    fig.update_yaxes(title="test accuracy (%)")
    return layout(fig, f"Accuracy against T at alpha = {alpha:g} (bars: ± std over seeds)", height=380)
