"""What the feature and relation paradigms share: the layer they compare, and their adapter to the engine.

FitNets, attention, RKD and similarity-preserving KD each add a term between the student's and
the teacher's last hidden layers to the cross-entropy: ``layer_objective`` writes that
objective for a term, ``on_last_layers`` turns an objective into the engine method that feeds it
a batch, and ``on_last_layers_grad`` turns a term's closed-form gradient into the method's
analytic ``grad`` (the engine's fast path).
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from kdviz.train.kernels import hard_grad, labelled_ce
from kdviz.train.methods import Batch, Grad


def last_name(taps: dict[str, torch.Tensor]) -> str:
    """The name of the deepest hidden layer of a taps dict {"h1": ..., "h2": ...}."""
    return max(taps, key=lambda k: int(k[1:]))


def last_tap(taps: dict[str, torch.Tensor]) -> torch.Tensor:
    """The deepest hidden layer of a taps dict {"h1": ..., "h2": ...}: (K, B, H)."""
    return taps[last_name(taps)]


def layer_objective(term: Callable, default_weight: float) -> Callable:
    """The objective CE(p, y) + weight * term(h_s, h_t) of a paradigm that compares hidden layers, named after
    the term (attention_loss -> attention_objective in the term's module)."""

    def objective(z, labels, h_s, h_t, weight=default_weight, mask=None) -> torch.Tensor:
        return labelled_ce(z, labels, mask) + weight * term(h_s, h_t)

    objective.__module__ = term.__module__
    objective.__name__ = objective.__qualname__ = term.__name__.replace("_loss", "_objective")
    objective.__doc__ = (f"What the student trains: CE(p, y) + weight * {term.__name__}(h_s, h_t), weight "
                         f"{default_weight:g} by default. z (K, B, C), labels (K, B), h_s (K, B, Hs), h_t (K, B, Ht).")
    return objective


def on_last_layers(objective: Callable, default_weight: float) -> Callable[[Batch], torch.Tensor]:
    """The engine method computing objective(z, y, h_s, h_t, weight, mask) on a batch's last hidden layers,
    with the member's option "weight" (default ``default_weight``)."""

    def method(b: Batch) -> torch.Tensor:
        return objective(b.logits, b.labels, last_tap(b.taps), last_tap(b.teacher_taps),
                         b.option("weight", default_weight), b.mask)

    method.__doc__ = f"{objective.__name__} between the last hidden layers of student and teacher (option \"weight\")."
    method.__name__ = f"{objective.__name__}_method"
    return method


def last_teacher_tap(b: Batch) -> torch.Tensor:
    """The teacher's deepest hidden layer on each member's batch (K', B, Ht), gathered alone."""
    return b.points(last_tap(b.tables.teacher_taps))  # from (N, Ht)


class TeacherUnits:
    """The teacher's last hidden layer on the training set without the units that are zero on every point (dead
    ReLUs add nothing to h h^T, nor to distances between rows), made from the first batch's tables and kept while
    they are: (N, Ht') contiguous, a smaller gather and Gram product each step (the similarity and RKD terms)."""

    def __init__(self, run=None, members=None):
        self._source, self._table = None, None

    def table(self, source: torch.Tensor) -> torch.Tensor:
        """``source`` (N, Ht) without its all-zero columns: (N, Ht'), made once per source."""
        if source is not self._source:
            self._source, self._table = source, source[:, source.ne(0).any(0)].contiguous()
        return self._table


def live_teacher_tap(b: Batch, units: TeacherUnits) -> torch.Tensor:
    """The live units of the teacher's deepest hidden layer (``units``' table) on each member's batch (K', B, Ht')."""
    return b.points(units.table(last_tap(b.tables.teacher_taps)))  # from (N, Ht')


def on_last_layers_grad(term_grad: Callable, default_weight: float,
                        teacher: Callable[[Batch], torch.Tensor] = last_teacher_tap,
                        weighted: bool = False) -> Callable[[Batch], Grad]:
    """The analytic twin of on_last_layers: CE(p, y) + weight * term and their gradients.

    term_grad(h_s (K', B, Hs), teacher(batch), batch) -> (term (K',), d sum(term) / d h_s (K', B, Hs)),
    where teacher(batch) is the teacher's side of the term (by default its last hidden layer
    (K', B, Ht)) and the batch serves terms that need its state or step. The hidden-layer
    gradient goes to the engine as the tap's (class-major (K', Hs, B)), the cross-entropy's to the logits.

    ``weighted``: term_grad(h_fm (K', Hs, B), teacher(batch), batch, w (K', 1, 1)) works on the feature-major
    layout and returns w * d sum(term) / d h_fm (K', Hs, B) (the weight folded into its own products)."""

    def grad(b: Batch) -> Grad:
        name = last_name(b.taps_fm)
        w = b.option("weight", default_weight)  # (K',)
        if weighted:
            term, g_fm = term_grad(b.taps_fm[name], teacher(b), b, w.view(-1, 1, 1))
        else:
            term, g_h = term_grad(b.taps_fm[name].transpose(1, 2), teacher(b), b)
            g_fm = g_h.mul_(w.view(-1, 1, 1)).transpose(1, 2)
        hard, g, _ = hard_grad(b)
        return Grad(torch.addcmul(hard, w, term), g, {name: g_fm})

    grad.__doc__ = f"The analytic gradient of the method built from {term_grad.__name__} (see on_last_layers_grad)."
    grad.__name__ = term_grad.__name__.replace("_term_grad", "_grad")
    return grad

