"""Shared look of every figure: one colour and one name per role, the same on every page."""
from __future__ import annotations

import plotly.graph_objects as go

TEACHER = "#1f4e9c"  # deep blue
STUDENT = "#d9541e"  # orange: the distilled (KD) student
BASELINE = "#7a7a7a"  # grey: the same student trained on labels alone
ACCENT = "#2a9d55"  # green: a highlighted value (the current T, the hard label)
PALETTE = ["#1f4e9c", "#d9541e", "#2a9d55", "#8e44ad", "#c0392b", "#16a085", "#b7950b", "#5d6d7e",
           "#e67e22", "#2c3e50"]  # classes and extra series

ROLE_COLOURS = {"teacher": TEACHER, "kd": STUDENT, "student": STUDENT, "baseline": BASELINE}
ROLE_NAMES = {"teacher": "Teacher", "kd": "KD student", "student": "KD student", "baseline": "Baseline (no KD)"}


def layout(fig: go.Figure, title: str | None = None, height: int = 360, **kw) -> go.Figure:
    """Apply the house layout (white template, compact margins, legend on top) and return fig."""
    fig.update_layout(
        template="plotly_white", height=height, margin=dict(l=55, r=20, t=85 if title else 30, b=45),
        title=dict(text=title, x=0.01, y=0.97, yref="container", yanchor="top", font=dict(size=15)) if title else None,
        legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="left", x=0), **kw,
    )
    return fig


def legend_below(fig: go.Figure) -> go.Figure:
    """Move the legend to the bottom edge of the figure, below the x-axis titles.

    For figures with subplot titles (no room on top) or long legends. Placed against the figure
    (yref="container"), so it never covers an axis title whatever the figure's height.
    """
    fig.update_layout(legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.01, xanchor="center",
                                  x=0.5), margin=dict(b=95))
    return fig
