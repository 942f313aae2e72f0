"""The Dark knowledge page's figures, one builder per figure, from its experiments' snapshots.

The page and the exports call the same builders (kdviz.experiments.dark_knowledge supplies the
numbers, kdviz.plots.digits draws them), so a downloaded figure is the one on the page.
"""
from __future__ import annotations

import plotly.graph_objects as go

from kdviz.experiments.dark_knowledge import omitted, soft_targets, sweep
from kdviz.plots import digits


def test_image(snap, i: int) -> go.Figure:
    """Test image i of the teachers' snapshot, titled with its digit."""
    return digits.digit_image(snap.images[i], f"Test image {i}: a {int(snap.labels[i])}")


def soft_target_bars(snap, i: int, T: float, log: bool = True) -> go.Figure:
    """The normal teacher's soft targets for test image i at T, beside T = 1."""
    z = snap.logits[0, i]
    return digits.soft_target_bars(soft_targets.soft_targets(z, T), soft_targets.soft_targets(z, 1.0),
                                   int(snap.labels[i]), T, log=log)


def similarity(snap, T: float, names: tuple[str, str]) -> go.Figure:
    """Both teachers' average soft target per digit at T (names: the teachers' labels)."""
    return digits.similarity_heatmaps([(n, soft_targets.similarity(snap.logits[k], snap.labels, T))
                                       for k, n in enumerate(names)])


def profiles(snap) -> dict:
    """Both teachers' KD-loss split (target and non-target parts) over temperatures."""
    return {"normal": soft_targets.temperature_profile(snap.logits[0], snap.labels),
            "smoothed": soft_targets.temperature_profile(snap.logits[1], snap.labels)}


def profile(snap, T: float, split: dict | None = None) -> go.Figure:
    """The profiles figure, with the current T marked; ``split``: profiles(snap) when the caller has it."""
    return digits.profile_curves(profiles(snap) if split is None else split, T)


def bias_curve(snap, bias: float) -> go.Figure:
    """The KD students' errors against the omitted digit's bias, with the validation-chosen one and ``bias`` marked."""
    c, y = snap.omit, snap.y_test
    chosen = omitted.best_bias(snap.val_logits["kd"], snap.y_val, c)
    return digits.bias_figure(omitted.bias_curve(snap.test_logits["kd"], y, c), c, chosen, bias, int((y == c).sum()))


def sweep_accuracy_vs_t(result, alpha: float = sweep.SHOWN_ALPHA) -> go.Figure:
    """Each student size's test accuracy against T at one alpha, beside its labels-only accuracy."""
    return digits.accuracy_vs_t(*sweep.accuracy_curves(result, alpha), alpha)
