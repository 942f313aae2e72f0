"""Figures of the Market page: accuracy against baselines, calibration, latency, equity, transfer."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from kdviz.plots.style import ACCENT, BASELINE, PALETTE, PURPLE, STUDENT, TEACHER, layout, legend_below, log_ticks, zoomed_range

MIN_BIN = 5  # fewest days a reliability bin needs to be drawn
NAMES = {"teacher": "Teacher ensemble", "kd": "KD student", "baseline": "Baseline",
         "logistic": "Logistic regression", "majority": "Majority class", "buy_and_hold": "Buy and hold"}
COLOURS = {"teacher": TEACHER, "kd": STUDENT, "baseline": BASELINE, "logistic": PURPLE,
           "majority": PALETTE[7], "buy_and_hold": ACCENT}


def _mean_std(v) -> tuple[float, float]:
    a = np.atleast_1d(np.asarray(v, dtype=np.float64))
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0


def accuracy_bars(models: dict[str, dict], height: int = 340) -> go.Figure:
    """Test accuracy and balanced accuracy of each model as dots (one per seed for the students), on a
    zoomed axis; a short black line marks each mean."""
    fig = go.Figure()
    for metric, title, symbol, shift in (("accuracy", "accuracy", "circle", -0.15),
                                         ("balanced_accuracy", "balanced accuracy", "diamond-open", 0.15)):
        for i, k in enumerate(models):
            v = np.atleast_1d(np.asarray(models[k][metric], dtype=np.float64))
            fig.add_trace(go.Scatter(x=np.full(len(v), i + shift), y=v, mode="markers", name=title, legendgroup=title,
                                     showlegend=i == 0, marker=dict(color=COLOURS[k], size=10, symbol=symbol,
                                                                    line=dict(width=1.5, color=COLOURS[k])),
                                     hovertemplate=f"{NAMES[k]}, {title}: %{{y:.1%}}<extra></extra>"))
            fig.add_trace(go.Scatter(x=[i + shift], y=[v.mean()], mode="markers", showlegend=False,
                                     marker=dict(symbol="line-ew-open", size=22, color="black", line=dict(width=2)),
                                     hovertemplate=f"{NAMES[k]}, mean {title}: %{{y:.1%}}<extra></extra>"))
    values = [np.ravel(models[k][m]) for k in models for m in ("accuracy", "balanced_accuracy")]
    fig.update_xaxes(tickvals=list(range(len(models))), ticktext=[NAMES[k] for k in models])
    fig.update_yaxes(tickformat=".1%", range=zoomed_range(np.concatenate(values)), title_text="test period")
    fig = layout(fig, "Test-period accuracy: dots per seed (students), lines at the means, axis zoomed", height=height)
    return legend_below(fig)


def reliability_chart(curves: dict[str, tuple], height: int = 340) -> go.Figure:
    """Reliability diagram: accuracy against mean confidence per bin (bins of at least MIN_BIN days);
    the diagonal is perfect calibration."""
    fig = go.Figure(go.Scatter(x=[0.5, 1], y=[0.5, 1], mode="lines", name="perfectly calibrated",
                               line=dict(color="#bbbbbb", dash="dash")))
    for name, (conf, acc, count) in curves.items():
        keep = count >= MIN_BIN  # a bin of a few days is noise
        fig.add_trace(go.Scatter(x=conf[keep], y=acc[keep], mode="lines+markers", name=NAMES[name],
                                 line=dict(color=COLOURS[name]), marker=dict(size=4 + 10 * np.sqrt(count[keep] / count.max())),
                                 customdata=count[keep], hovertemplate="confidence %{x:.2f}<br>accuracy %{y:.2f}"
                                 "<br>%{customdata} days<extra></extra>"))
    fig.update_xaxes(title_text="confidence (top probability)", range=[0.48, 1.0])
    fig.update_yaxes(title_text="accuracy in bin", range=[0.2, 1.02])
    return legend_below(layout(fig, "Calibration on the test period (marker size: days in the bin)", height=height))


def latency_chart(latency: dict[str, list[float]], batches: list[int], params: dict[str, int],
                  height: int = 320) -> go.Figure:
    """Microseconds per prediction of teacher and student at each batch size (log scale)."""
    fig = go.Figure()
    for name, colour in (("teacher", TEACHER), ("student", STUDENT)):
        us = latency[name]
        fig.add_trace(go.Bar(x=[f"batch {b}" for b in batches], y=us, marker_color=colour,
                             name=f"{'Teacher ensemble' if name == 'teacher' else 'Student'} ({params[name]:,} weights)",
                             text=[f"{u:.3g} µs" for u in us], textposition="outside"))
    log_ticks(fig, "y", title_text="µs per prediction (median)")
    return layout(fig, "Inference latency, measured now on this server", height=height, barmode="group")


MAX_EQUITY_LINES = 4  # a curve chart stays readable with at most four lines
EQUITY_LINES = ("kd", "baseline", "teacher", "buy_and_hold")  # shown unless the page asks for others


def equity_lines(backtests: dict[str, dict], shown=None) -> list[str]:
    """The backtests an equity chart draws: ``shown`` (at most MAX_EQUITY_LINES of them), else the default
    EQUITY_LINES that are present; ValueError for more, or for a name without a backtest."""
    names = [n for n in EQUITY_LINES if n in backtests] if shown is None else list(shown)
    if len(names) > MAX_EQUITY_LINES:
        raise ValueError(f"an equity chart draws at most {MAX_EQUITY_LINES} lines, got {len(names)}: choose fewer")
    missing = [n for n in names if n not in backtests]
    if missing:
        raise ValueError(f"no backtest for {', '.join(missing)}")
    return names


def equity_chart(dates: np.ndarray, backtests: dict[str, dict], height: int = 380, shown=None) -> go.Figure:
    """Equity curves (start = 1) of the long/flat signals of the ``shown`` models (equity_lines: at most four)
    and of buy-and-hold over the test period."""
    fig = go.Figure()
    x = np.asarray(dates)
    for name in equity_lines(backtests, shown):
        bt = backtests[name]
        eq = bt["equity"][1:]  # (N,) value after each day's return
        fig.add_trace(go.Scatter(x=x, y=eq, mode="lines", name=NAMES[name],
                                 line=dict(color=COLOURS[name], width=2.5 if name in ("kd", "teacher") else 1.5,
                                           dash="dot" if name == "buy_and_hold" else None)))
    fig.update_yaxes(title_text="equity (start = 1)")
    return layout(fig, "Illustration only, not advice: long/flat on each model's up signal, with costs",
                  height=height)


def transfer_chart(rows: list, height: int = 360) -> go.Figure:
    """NASDAQ test accuracy against the student's history length: KD and no-KD students (mean +- std
    over seeds), the S&P teacher and the majority class. rows: TransferRow-like (months, kd, baseline,
    teacher, majority)."""
    months = [r.months for r in rows]
    fig = go.Figure()
    for key, name, colour in (("kd", "KD student (S&P teacher's soft targets)", STUDENT),
                              ("baseline", "Baseline", BASELINE)):
        stats = [_mean_std(getattr(r, key)) for r in rows]
        fig.add_trace(go.Scatter(x=months, y=[m for m, _ in stats], mode="lines+markers", name=name,
                                 line=dict(color=colour, width=2.5),
                                 error_y=dict(type="data", array=[s for _, s in stats], visible=True)))
    fig.add_trace(go.Scatter(x=months, y=[r.teacher for r in rows], mode="lines", name="S&P teacher on NASDAQ",
                             line=dict(color=TEACHER, dash="dash")))
    fig.add_trace(go.Scatter(x=months, y=[r.majority for r in rows], mode="lines", name="Majority class",
                             line=dict(color=COLOURS["majority"], dash="dot")))
    fig.update_xaxes(type="log", title_text="NASDAQ history the student sees (months)", tickvals=months)
    fig.update_yaxes(tickformat=".0%", title_text="NASDAQ test accuracy (2017-2018)")
    return layout(fig, "Cross-market transfer: accuracy against history length", height=height)
