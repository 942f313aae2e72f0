"""Whether a trained student learned: the one rule behind every page's "did not learn", the command line and sweeps.

A student did not learn when, on held-out points it never trained on,
1. its outputs are not finite (NaN or infinite logits or loss), or its training loss ended above
   3 x max(its first value, log C) (it exploded without becoming NaN);
2. its accuracy is no better than always answering the most common held-out class: at most the
   majority rate m plus NOISE_SDS binomial standard deviations, sqrt(m (1 - m) / n) over the n
   held-out points, so a student that merely guessed the majority class, or sits at chance,
   never passes for one that learned; or
3. it collapsed a class it trained on: a class with labelled training points and at least
   MIN_CLASS_POINTS held-out points, none of which it gets right. A student that learned its
   classes gets each of them right sometimes; one that never does has folded that class into
   others (dead or saturated units after too high a learning rate), which the overall accuracy
   hides. A class the student never saw (an omitted digit) may honestly get recall 0.
Checks 2 and 3 assume the task is learnable beyond the majority class; on real market returns it
is not (no model beats the majority class there), so those runs ask for check 1 only.
Why the rule stops where it does: the 2-sd margin makes a student at the majority rate pass by
chance in ~2% of runs, and a student with recall 30% on a 10-point class scores 0 in ~3%.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from kdviz import metrics

NOISE_SDS = 2.0  # binomial standard deviations above the majority rate that count as learning
MIN_CLASS_POINTS = 10  # held-out points of a seen class below which recall 0 is not called a collapse
GROWTH = 3.0  # the final training loss above GROWTH x max(first loss, log C) counts as exploded
PREFIX = "did not learn: "


def did_not_learn(accuracy: float, recall, support, nll: float = 0.0, loss_curve=(), seen=None,
                  learnable: bool = True, class_names=None) -> str | None:
    """Why a student did not learn ("did not learn: ..."), or None when it learned (the rule above).

    accuracy, nll: on the held-out points; recall (C,) per class on them (NaN where a class is
    absent), support (C,) their count per class; loss_curve (R,) the recorded training loss;
    seen (C,) bool, the classes it had labelled training points of (None: all); learnable: False
    where the majority class is what good models reach (checks 2 and 3 skipped).
    """
    recall, support = np.asarray(recall, dtype=np.float64), np.asarray(support, dtype=np.int64)  # (C,)
    classes, n = len(support), int(support.sum())
    names = list(class_names) if class_names is not None else [str(c) for c in range(classes)]
    if not (math.isfinite(accuracy) and math.isfinite(nll)):
        return PREFIX + "its outputs on held-out points are not finite (NaN or infinite)"
    loss = np.asarray(loss_curve, dtype=np.float64).ravel()
    loss = loss[np.isfinite(loss)]  # a NaN loss is the engine's own "diverged" status, reported as such
    if len(loss) >= 2 and loss[-1] > GROWTH * max(loss[0], math.log(classes)):
        return PREFIX + f"its training loss grew from {loss[0]:.3g} to {loss[-1]:.3g}"
    if not learnable or n == 0:
        return None
    m = float(support.max()) / n  # the majority class's rate among the held-out points
    bar = m + NOISE_SDS * math.sqrt(m * (1 - m) / n)
    if accuracy <= bar:
        return PREFIX + (f"accuracy {accuracy:.1%} is no better than always answering the most common class "
                         f"({m:.1%} of {n} held-out points; {bar:.1%} counts as better)")
    seen = np.ones(classes, dtype=bool) if seen is None else np.asarray(seen, dtype=bool)
    dead = [c for c in range(classes) if seen[c] and support[c] >= MIN_CLASS_POINTS and recall[c] == 0]
    if dead:
        which = " or ".join(names[c] if names[c].startswith("class") else f"class {names[c]}" for c in dead)
        return PREFIX + (f"it never predicts {which} right (0 of {int(support[dead].sum())} held-out points) "
                         f"though it trained on {'it' if len(dead) == 1 else 'them'}")
    return None


def seen_classes(y_train: torch.Tensor, classes: int) -> np.ndarray:
    """(C,) bool: the classes with a labelled training point (y == -1 marks unlabelled points); all when none is."""
    y = y_train[y_train >= 0].long().cpu()
    seen = torch.bincount(y, minlength=classes).numpy() > 0 if len(y) else np.ones(classes, dtype=bool)
    return seen[:classes]


def failures(z: torch.Tensor, y: torch.Tensor, seen=None, loss=None, status=None, learnable: bool = True,
             class_names=None) -> list[str | None]:
    """Per member: why it failed (the engine's status when it diverged, else did_not_learn), or None.

    z: held-out logits (K, N, C); y: their labels (N,); loss (K, R) recorded training loss (None:
    not checked); status (K,) the engine's ("ok" or how it diverged).
    """
    z = z.detach()
    y = torch.as_tensor(y, device=z.device).long()
    k, classes = z.shape[0], z.shape[-1]
    out = metrics.Outputs(z)
    acc, nll = metrics.accuracy(out, y).cpu().numpy(), metrics.nll(out, y).cpu().numpy()  # (K,)
    recall = metrics.recall_per_class(out, y).cpu().numpy()  # (K, C)
    support = torch.bincount(y, minlength=classes).cpu().numpy()  # (C,)
    status = ["ok"] * k if status is None else list(status)
    loss = [()] * k if loss is None else np.asarray(loss)
    return [st if st != "ok" else did_not_learn(float(acc[i]), recall[i], support, float(nll[i]), loss[i], seen,
                                                learnable, class_names)
            for i, st in enumerate(status)]


def run_failures(run, members: slice = slice(None), learnable: bool = True) -> list[str | None]:
    """failures() of the members ``members`` of a PopulationRun on its dataset's test split."""
    ds = run.ds
    z = run.logits(ds.x_test)[members]  # (K', N, C)
    loss = run.history.get("hard_loss")  # (K, R)
    return failures(z, ds.y_test, seen_classes(ds.y_train, z.shape[-1]), None if loss is None else loss[members],
                    run.status[members], learnable, ds.class_names)


def run_status(run, learnable: bool = True) -> list[str]:
    """Per member of a PopulationRun: "ok", or why it diverged or did not learn (run_failures): the status
    an export's rows and a sweep's results carry."""
    return [why or "ok" for why in run_failures(run, learnable=learnable)]


def named(names: list[str], why: list[str | None]) -> list[str]:
    """"name: why" for each member that failed (``why`` from failures)."""
    return [f"{name}: {w}" for name, w in zip(names, why) if w]


def run_named(run, learnable: bool = True) -> list[str]:
    """"<method> student (T, alpha, seed): why" for each member of a PopulationRun that failed (run_failures)."""
    names = [f"{m.method} student (T = {m.T:g}, alpha = {m.alpha:g}, seed {m.seed})" for m in run.members]
    return named(names, run_failures(run, learnable=learnable))
