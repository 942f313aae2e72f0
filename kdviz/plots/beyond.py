"""The Beyond one teacher page's figures, one builder per figure, from a topic's result (kdviz.experiments.beyond).

The page and the exports call the same builders, so a downloaded figure is the one on the page.
Each takes the plane (a kdviz.experiments.protocol.Plane) and/or one topic's result dataclass.
"""
from __future__ import annotations

import plotly.graph_objects as go

from kdviz.paradigms.multi_teacher import RULE_NAMES, RULES
from kdviz.plots.paradigms import disagreement_map, lines, seed_strip
from kdviz.plots.training import decision_boundaries

MUTUAL_METHODS = ["baseline", "mutual"]  # the colours of the independent and the mutual cohort


def disagreement(plane, m) -> go.Figure:
    """Where the committee's teachers disagree on the plane (share of teacher pairs)."""
    xs, ys = plane.axes
    return disagreement_map(xs, ys, m.disagreement, plane.points, plane.labels)


def rule_regions(plane, m) -> go.Figure:
    """How each combination rule of the committee decides on the plane."""
    return decision_boundaries([(RULE_NAMES[r], m.rule_grids[r]) for r in RULES], *plane.axes, plane.points,
                               plane.labels, plane.class_names, height=300)


def multi_accuracy(m) -> go.Figure:
    """Test accuracy per seed of the students of each committee rule, beside the baseline and one teacher's."""
    return seed_strip(m.labels, m.methods, m.acc, "student test accuracy (%)")


def mutual_accuracy(u) -> go.Figure:
    """Test accuracy per seed, independent cohort against the mutual-learning one."""
    return seed_strip(u.labels, MUTUAL_METHODS, u.acc, "test accuracy (%)")


def mutual_agreement(u) -> go.Figure:
    """Top-1 agreement with peers per seed, independent cohort against the mutual-learning one."""
    return seed_strip(u.labels, MUTUAL_METHODS, u.agreement, "agreement with peers (%)")


def ema_distance(e) -> go.Figure:
    """||teacher - student|| / ||student|| over training, one line per decay (mean over seeds)."""
    return lines(e.steps, {f"decay {x}": e.distance[i].mean(0) for i, x in enumerate(e.decays)}, "step",
                 "||teacher - student|| / ||student||")


def ema_accuracy(e, decay: float) -> go.Figure:
    """Test accuracy over training of the student and its EMA teacher at one decay (mean over seeds)."""
    i = e.decays.index(decay)
    acc = {f"student, decay {decay}": e.student_acc[i].mean(0), f"EMA teacher, decay {decay}": e.teacher_acc[i].mean(0)}
    return lines(e.steps, acc, "step", "test accuracy", dashes={k: "dot" for k in acc if k.startswith("EMA")},
                 percent=True)


def born_again_accuracy(b) -> go.Figure:
    """Test accuracy per seed of each born-again generation (generation 0: labels only)."""
    a = b.acc  # (G + 1, S)
    return seed_strip([f"gen {g}" for g in range(len(a))], ["baseline"] + ["born_again"] * (len(a) - 1), a,
                      "test accuracy (%)")
