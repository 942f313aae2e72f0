"""Shared look of every figure: one colour and one name per role, the same on every page."""
from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go

# Okabe and Ito's colour-blind-safe palette (2008), one meaning per colour across the app.
BLACK, ORANGE, SKY, GREEN, YELLOW, BLUE, VERMILLION, PURPLE = ("#000000", "#E69F00", "#56B4E9", "#009E73",
                                                               "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
GREY = "#7a7a7a"
TEACHER = BLUE  # the teacher, and the teacher's softened output on the mathematics pages
STUDENT = VERMILLION  # the distilled (KD) student
BASELINE = GREY  # the baseline: the same student trained on labels alone (and T = 1 beside a chosen T)
ACCENT = BLACK  # a marked value: the current T, the hard label, a chosen bias
# Classes (decision regions, points, per-class curves): the other Okabe-Ito colours first, then
# Paul Tol's muted scheme for the 7th to 10th class; never the teacher's blue or the student's vermillion.
PALETTE = [ORANGE, SKY, GREEN, PURPLE, YELLOW, "#882255", "#44AA99", "#999933", "#332288", "#AA4499"]
CLASS_COLOURS = PALETTE
# Series without a role (or a second series of one role) in a figure: the palette in this order, so the first
# ones stand apart from the student's vermillion; orange (beside vermillion) and pale yellow come last.
SPARE = [GREEN, PURPLE, SKY, "#882255", "#44AA99", "#999933", "#332288", "#AA4499", ORANGE, YELLOW]

ROLE_COLOURS = {"teacher": TEACHER, "kd": STUDENT, "student": STUDENT, "baseline": BASELINE}
ROLE_NAMES = {"teacher": "Teacher", "kd": "KD student", "student": "KD student", "baseline": "Baseline"}


SHORT_TITLE = 45  # characters a title keeps on one line (a phone's width); longer ones put their detail below
LONG_TITLE = 50  # a title without a mark to split at is wrapped at spaces beyond this length


def split_title(title: str, marks: tuple[str, ...] = (": ", " (")) -> tuple[str, str] | None:
    """``title`` cut at the first of ``marks``: (head, rest), the rest keeping an opening parenthesis; None
    when no mark follows some text."""
    found = [(title.find(m), m) for m in marks if title.find(m) > 0]
    if not found:
        return None
    at, mark = min(found)
    return title[:at], title[at + len(mark) - mark.endswith("("):]


def wrap_words(text: str, width: int) -> str:
    """``text`` broken with <br> into lines of at most ``width`` characters where it can be, at spaces and after
    hyphens (a single longer word keeps its own line): a panel title that fits its share of a phone's width."""
    words = re.findall(r"[^ -]+-?", text)  # "Multi-teacher" -> "Multi-", "teacher"
    lines: list[str] = []
    for word in words:
        joint = "" if not lines or lines[-1].endswith("-") else " "
        if lines and len(lines[-1] + joint + word) <= width:
            lines[-1] += joint + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def two_line_title(title: str) -> str:
    """A long title split at its first ": " or " (" into the title and a smaller line of detail below it, so it
    stays whole on a narrow screen (Plotly does not wrap titles); a short one as it is, a very long one without
    either wrapped at spaces."""
    parts = split_title(title) if len(title) > SHORT_TITLE else None
    if parts is None:  # no mark to split at: wrapped at a space only when too long for a phone's width at all
        return wrap_words(title, SHORT_TITLE) if len(title) > LONG_TITLE else title
    return f"{parts[0]}<br><sup>{parts[1]}</sup>"


def layout(fig: go.Figure, title: str | None = None, height: int = 360, **kw) -> go.Figure:
    """Apply the house layout (white template, compact margins, legend on top) and return fig."""
    text = two_line_title(title) if title else None
    top = 50 if not title else 100 if "<br>" in text else 85  # the mode bar sits above any panel title
    fig.update_layout(
        template="plotly_white", height=height, margin=dict(l=55, r=20, t=top, b=45),
        title=dict(text=text, x=0.01, y=0.97, yref="container", yanchor="top", font=dict(size=15)) if title else None,
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


def log_ticks(fig: go.Figure, axis: str = "x", power: bool = False, at=None, **kw) -> go.Figure:
    """A log axis labelled at whole decades only (0.01, 0.1, 1, 10... or 10^-3 with ``power``), never at the
    2 and 5 in between, every 2nd or 3rd decade on a long range; or, with ``at``, labelled exactly at those
    values, each written out (0.9, 20, 30: never Plotly's bare "9", "2", "3" between decades). ``kw`` goes to
    update_xaxes/update_yaxes (title, range, row, col)."""
    span = abs(kw["range"][1] - kw["range"][0]) if "range" in kw else 0
    ticks = dict(dtick=1 if span <= 8 else 2 if span <= 16 else 4) if at is None else \
        dict(tickmode="array", tickvals=[float(v) for v in at], ticktext=[tick_label(v) for v in at])
    (fig.update_xaxes if axis == "x" else fig.update_yaxes)(
        type="log", exponentformat="power" if power else "none", separatethousands=True,
        minor=dict(showgrid=True, gridcolor="#f2f2f2"), **ticks, **kw)
    return fig


def tick_label(value: float) -> str:
    """A tick's value as a reader writes it: 0.9, 20, 1,500 (four significant digits at most)."""
    return f"{float(value):,.4g}"


def distinct_colours(wanted: list[str | None]) -> list[str]:
    """One colour per series of a figure: each keeps the colour it asks for (its role's) unless a series before it
    took it, then it, like a series that asks for none, gets the first palette colour no series uses yet."""
    taken = {c for c in wanted if c is not None}
    spare = iter([c for c in SPARE if c not in taken] + SPARE)
    used, out = set(), []
    for colour in wanted:
        if colour is None or colour in used:
            colour = next(spare)
        used.add(colour)
        out.append(colour)
    return out


def probability_range(*probs) -> list[float]:
    """A log10 y-range that shows every probability in ``probs`` (1e-300 at the least) up to 1."""
    positive = [float(p) for arr in probs for p in np.ravel(arr) if p > 0]
    low = max(min(positive, default=1e-6), 1e-300)
    return [float(np.floor(np.log10(low))) - 0.3, 0.25]


def zoomed_range(values, pad: float = 0.15) -> list[float]:
    """A y-range around ``values`` (any shape, NaN ignored) with ``pad`` of their span on each side:
    a difference of a point is visible, unlike on an axis from zero."""
    v = [float(x) for x in np.ravel(values) if x == x]
    lo, hi = min(v), max(v)
    span = max(hi - lo, 1e-9 + 0.02 * max(abs(hi), 1.0))
    return [lo - pad * span, hi + pad * span]
