"""The engine's loss kernels: the hard-label cross-entropy, the KL between class-major distributions and the
KD loss toward any target, each with its analytic gradient (the fast path's twins, tested against autograd).

Every objective the engine trains is built from these on a Batch's class-major outputs (K', C, B);
kdviz.softening holds the same formulas on the usual (..., C) layout, checked, for the pages.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from kdviz.train.methods import Batch, Grad


def labelled_ce(z: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy CE(softmax(z), y) at T = 1, averaged over each member's labelled points: (K',) or ().

    z: logits (K', B, C) or (B, C); y: labels (K', B) or (B,); mask: True where labelled (points
    with label -1 are then ignored; a batch without one gives 0), or None when every point is.
    Computed over the class-major view z^T (a contiguous tensor for the engine's logits, fast on
    the CPU). The hard-label term of every objective the engine trains.
    """
    logp = F.log_softmax(z.transpose(-1, -2), -2)  # (K', C, B)
    if mask is None:
        return -logp.gather(-2, y.unsqueeze(-2)).mean((-2, -1))
    ce = -logp.gather(-2, y.clamp_min(0).unsqueeze(-2)).squeeze(-2)  # (K', B)
    return (ce * mask).sum(-1) / mask.sum(-1).clamp_min(1)


def hard_loss(b: Batch) -> torch.Tensor:
    """labelled_ce on the batch: cross-entropy on the labelled points of each member's batch, (K',)."""
    return labelled_ce(b.logits, b.labels, b.mask)


def hard_grad(b: Batch) -> Grad:
    """hard_loss and its gradient d sum(loss) / d logits_fm = (p - onehot(y)) * w, w = 1/n on labelled points.

    The analytic twin of hard_loss (tested against autograd). On a slice of a run's batch (Batch.slice)
    it is computed once for all the run's members and the slice gets its rows (views it may update in
    place: the engine's gradient buffer).
    """
    shared = b.shared_hard(_hard_grad)
    return shared if shared is not None else _hard_grad(b)


def onehot_fm(y: torch.Tensor, classes: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Labels y (N,) as a class-major one-hot table (C, N) of ``dtype``; an unlabelled point (y = -1) is all zeros.

    Contiguous: a gather of points from the transposed view of one_hot's (N, C) copied the whole table each time."""
    return (F.one_hot(y.clamp_min(0), classes).t().to(dtype) * (y >= 0)).contiguous()


def _hard_grad(b: Batch) -> Grad:
    """hard_grad computed on the batch's own members.

    Every point labelled, with the run's table O = -onehot(y) / B (C, N): g = p / B + O and
    loss = sum_{c,b} O log p, one gather of O in place of a label gather, a gather and a scatter."""
    lp = F.log_softmax(b.logits_fm, 1)  # (K', C, B)
    table = b.tables.neg_onehot_b
    k, n = b.idx.shape
    if b.mask is None and table is not None and n == b.tables.onehot_batch:
        o = table.index_select(1, b.idx.reshape(-1)).view(-1, k, n).transpose(0, 1)  # (K', C, B) a view
        return Grad((o * lp).sum((1, 2)), torch.add(o, lp.exp(), alpha=1.0 / n))
    g = lp.exp()
    y = b.labels.unsqueeze(1)  # (K', 1, B)
    minus_one = b.tables.minus_one
    if b.mask is None:
        loss = -lp.gather(1, y).mean((1, 2))
        g.scatter_add_(1, y, minus_one.expand_as(y))  # p - onehot(y)
        return Grad(loss, g.div_(y.shape[-1]))
    mask = b.mask.to(lp.dtype)
    w = mask / mask.sum(-1, keepdim=True).clamp_min(1)  # (K', B) 1/n on labelled points, 0 elsewhere
    y = y.clamp_min(0)
    loss = -(lp.gather(1, y).squeeze(1) * w).sum(-1)
    g.scatter_add_(1, y, minus_one.expand_as(y))
    return Grad(loss, g.mul_(w.unsqueeze(1)))


def kl_fm(logq: torch.Tensor, logp: torch.Tensor) -> torch.Tensor:
    """Batch mean of KL(q || p) from class-major log-probabilities (K', C, B) -> (K',), or (C, B) -> ().

    kdviz.softening.kl_from_log's formula on the class-major layout (no validation, so a
    diverging member yields NaN instead of an exception).
    """
    return (logq.exp() * (logq - logp)).sum(-2).mean(-1)


def soft_toward(b: Batch, log_target_fm: torch.Tensor) -> torch.Tensor:
    """alpha CE + (1 - alpha) T^2 KL(r || p^T) toward target log-probabilities r (K', C, B) at each member's T.

    Hinton's KD loss with any target distribution in place of the teacher's q^T: the loss of
    multi-teacher and born-again students (kdviz.softening.kd_loss when r = q^T).
    """
    logp = F.log_softmax(b.logits_fm / b.T, 1)  # (K', C, B)
    return b.alpha * hard_loss(b) + b.soft_weight * kl_fm(log_target_fm, logp)


def soft_toward_grad(b: Batch, log_target_fm: torch.Tensor) -> Grad:
    """soft_toward and its gradient: alpha (p - onehot(y)) / n + (1 - alpha) T (p^T - r) / B (analytic twin)."""
    lpt = F.log_softmax(b.logits_fm / b.T, 1)  # (K', C, B)
    hard, g, _ = hard_grad(b)
    r = log_target_fm.exp()
    soft = (r * (log_target_fm - lpt)).sum(1).mean(-1)  # KL(r || p^T), batch mean
    g.mul_(b.alpha.view(-1, 1, 1)).add_((lpt.exp() - r).mul_(b.consts.sw_tb))
    return Grad(b.alpha * hard + b.soft_weight * soft, g)
