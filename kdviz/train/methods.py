"""Training methods: what a method sees at a step (Batch), the METHODS registry, baseline and Hinton KD.

A method maps a Batch (the K' members using it) to one batch-mean loss per member, shape (K',).
It may also give the loss's gradient with respect to the logits analytically (``grad``): when
every method of a run does, the engine skips autograd (about twice as fast for small students).
Register new ones with register_method (later: dkd, fitnet, rkd, mutual, ema). Student logits
come class-major, (K', C, B): on the CPU a softmax over a short LAST dimension costs ~10x more than
over this layout, so the built-in losses work on it (``Batch.logits`` gives the (K', B, C) view).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from kdviz.train.run import PopulationRun


class Batch:
    """What a method sees at one step, for the K' members that use it (every tensor leads with K').

    Student outputs are class-/feature-major, (K', C, B) and (K', H, B) (the fast layout on the
    CPU; see Population.forward_fm); ``logits`` and ``taps`` give the usual (K', B, ...) views.
    Labels and teacher quantities are gathered on first use. ``consts`` holds per-member constants:
    T (K', 1, 1), alpha and soft_weight = (1 - alpha) T^2 (K',), and their batch-scaled forms.
    """

    def __init__(self, run: "PopulationRun", idx: torch.Tensor, members: torch.Tensor, x_fm, logits_fm, taps_fm,
                 consts: dict[str, torch.Tensor], options: list[dict], step: int):
        self.run = run  # the PopulationRun (for methods needing more: peers, EMA state)
        self.idx = idx  # (K', B) training-set index of each member's batch
        self.members = members  # (K',) these members' positions in the run
        self.x_fm = x_fm  # (K', D, B) inputs
        self.logits_fm = logits_fm  # (K', C, B) student logits (requiring grad on the autograd path)
        self.taps_fm = taps_fm  # {"h1": (K', H1, B), ...} student hidden activations, or None
        self._labels = None
        self.T = consts["T"]  # (K', 1, 1) temperature per member
        self.alpha = consts["alpha"]  # (K',) weight of the hard-label term
        self.soft_weight = consts["soft_weight"]  # (K',) (1 - alpha) T^2, the KD soft term's factor
        self.consts = consts
        self.options = options  # per-member MemberConfig.options
        self.step = step  # optimiser steps taken before this one

    @property
    def labels(self) -> torch.Tensor:
        """(K', B) int64 class labels of the batch; -1 marks an unlabelled (transfer) point."""
        if self._labels is None:
            self._labels = self.run.ds.y_train.index_select(0, self.idx.reshape(-1)).view(self.idx.shape)
        return self._labels

    @property
    def mask(self) -> torch.Tensor | None:
        """(K', B) bool, True where labelled; None when the training set has no unlabelled point."""
        return (self.labels >= 0) if self.run._has_unlabelled else None

    @property
    def x(self) -> torch.Tensor:
        """Inputs (K', B, D)."""
        return self.x_fm.transpose(1, 2)

    @property
    def logits(self) -> torch.Tensor:
        """Student logits (K', B, C) (a view of logits_fm)."""
        return self.logits_fm.transpose(1, 2)

    @property
    def taps(self) -> dict[str, torch.Tensor] | None:
        """Student hidden activations {"h1": (K', B, H1), ...} (views), or None if no method asked for them."""
        return None if self.taps_fm is None else {k: v.transpose(1, 2) for k, v in self.taps_fm.items()}

    @property
    def teacher_logits(self) -> torch.Tensor:
        """Teacher logits on each member's batch (K', B, C)."""
        return self.run.teacher.train.index_select(0, self.idx.reshape(-1)).view(*self.idx.shape, -1)

    @property
    def teacher_taps(self) -> dict[str, torch.Tensor]:
        """Teacher hidden activations on each member's batch {"h1": (K', B, Ht1), ...}."""
        return {k: v[self.idx] for k, v in self.run.teacher.train_taps.items()}

    @property
    def teacher_log_probs_fm(self) -> torch.Tensor:
        """log softmax(v / T) of the teacher at each member's T on the batch, (K', C, B)."""
        v = self.run._teacher_fm.index_select(1, self.idx.reshape(-1))  # (C, K' B) from the (C, N) logits
        return F.log_softmax(v.view(-1, *self.idx.shape).transpose(0, 1) / self.T, 1)  # (K', C, B)

    def gather_members(self, table: torch.Tensor) -> torch.Tensor:
        """Rows of a per-member, per-point table (K, ..., N) for this batch: (K', ..., B)."""
        if len(self.members) == table.shape[0]:  # every member: a plain gather (5x faster than advanced indexing)
            ix = self.idx.view(self.idx.shape[0], *([1] * (table.dim() - 2)), -1)
            return table.gather(-1, ix.expand(*table.shape[:-1], -1))
        n = table.shape[-1]
        inner = table[0].numel()  # elements per member
        lead = torch.arange(0, inner, n, device=table.device).view(*table.shape[1:-1], 1)  # (..., 1) row starts
        base = self.members.view(-1, *([1] * (table.dim() - 1))) * inner + lead
        return table.reshape(-1).take(base + self.idx.view(self.idx.shape[0], *([1] * (table.dim() - 2)), -1))

    def select(self, ix: torch.Tensor) -> "Batch":
        """The same batch restricted to the members at positions ``ix`` of this batch."""
        pick = (lambda t: None if t is None else t.index_select(0, ix))
        taps = None if self.taps_fm is None else {k: v.index_select(0, ix) for k, v in self.taps_fm.items()}
        return Batch(self.run, pick(self.idx), pick(self.members), pick(self.x_fm), pick(self.logits_fm), taps,
                     {k: pick(v) for k, v in self.consts.items()}, [self.options[i] for i in ix.tolist()], self.step)


@dataclass(frozen=True)
class Method:
    """A training method: its loss and what it needs from the engine."""

    loss: Callable[[Batch], torch.Tensor]  # Batch -> (K',) loss per member, batch-averaged
    grad: Callable | None = None  # optional Batch -> (loss (K',), d sum(loss) / d logits_fm (K', C, B)), analytic
    teacher: bool = True  # needs teacher logits for the batch
    unlabelled: bool = True  # draws batches from all training points (True) or only labelled ones
    taps: bool = False  # needs hidden activations of student and teacher
    after_step: Callable | None = None  # called as after_step(run, members) after each optimiser update


METHODS: dict[str, Method] = {}


def register_method(name: str, *, teacher: bool = True, unlabelled: bool = True, taps: bool = False,
                    after_step: Callable | None = None, grad: Callable | None = None) -> Callable:
    """Decorator adding a loss function ``fn(batch) -> (K',)`` to METHODS under ``name``.

    ``grad`` (optional) computes the loss and its gradient with respect to the logits analytically;
    when every method of a run has one (and the students allow it), the engine skips autograd.
    """

    def wrap(fn: Callable) -> Callable:
        if name in METHODS:
            raise ValueError(f"training method {name!r} is registered twice")
        METHODS[name] = Method(fn, grad, teacher, unlabelled, taps, after_step)
        return fn

    return wrap


def hard_loss(b: Batch) -> torch.Tensor:
    """Cross-entropy on the labelled points of each member's batch, at T = 1: (K',).

    A member whose batch holds no labelled point gets 0. Computed feature-major (fast on the CPU).
    """
    logp = F.log_softmax(b.logits_fm, 1)  # (K', C, B)
    if b.mask is None:
        return -logp.gather(1, b.labels.unsqueeze(1)).mean((1, 2))
    ce = -logp.gather(1, b.labels.clamp_min(0).unsqueeze(1)).squeeze(1)  # (K', B)
    return (ce * b.mask).sum(-1) / b.mask.sum(-1).clamp_min(1)


def soft_loss(b: Batch) -> torch.Tensor:
    """T^2 KL(q^T || p^T) with the teacher as target, batch mean over all points: (K',).

    The soft term of kdviz.softening.kd_loss, written with kl_from_log's formula on the
    class-major layout so it batches over members and never syncs (kd_loss validates its inputs,
    which a diverging member must not trip).
    """
    logq = b.teacher_log_probs_fm  # (K', C, B), no grad
    logp = F.log_softmax(b.logits_fm / b.T, 1)  # (K', C, B)
    return b.T.view(-1) ** 2 * kl_fm(logq, logp)


def kl_fm(logq: torch.Tensor, logp: torch.Tensor) -> torch.Tensor:
    """Batch mean of KL(q || p) from feature-major log-probabilities (K', C, B) -> (K',) (kl_from_log's formula)."""
    return (logq.exp() * (logq - logp)).sum(1).mean(-1)


def hard_grad(b: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """hard_loss and its gradient d sum(loss) / d logits_fm = (p - onehot(y)) * w, w = 1/n on labelled points."""
    lp = F.log_softmax(b.logits_fm, 1)  # (K', C, B)
    g = lp.exp()
    y = b.labels.unsqueeze(1)  # (K', 1, B)
    if b.mask is None:
        loss = -lp.gather(1, y).mean((1, 2))
        g.scatter_add_(1, y, b.run._minus_one.expand_as(y))  # p - onehot(y)
        return loss, g.div_(y.shape[-1])
    mask = b.mask
    w = mask / mask.sum(-1, keepdim=True).clamp_min(1)  # (K', B) 1/n on labelled points, 0 elsewhere
    y = y.clamp_min(0)
    loss = -(lp.gather(1, y).squeeze(1) * w).sum(-1)
    g.scatter_add_(1, y, b.run._minus_one.expand_as(y))
    return loss, g.mul_(w.unsqueeze(1))


def baseline_grad(b: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """Analytic form of baseline_loss: (loss (K',), gradient (K', C, B))."""
    return hard_grad(b)


def kd_grad(b: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """Analytic form of kd_loss: (loss (K',), gradient (K', C, B)).

    d/dz [alpha CE] = alpha (p - onehot(y)) / n; d/dz [(1 - alpha) T^2 KL(q^T||p^T)] = (1 - alpha) T (p^T - q^T) / B.
    """
    tables, z = b.run._kd_tables, b.logits_fm
    if tables is not None:
        return tables.grad(b)
    lq = b.teacher_log_probs_fm  # (K', C, B)
    lpt = F.log_softmax(z / b.T, 1)
    hard, g = hard_grad(b)
    q = lq.exp()
    soft = (q * (lq - lpt)).sum(1).mean(-1)  # KL(q^T || p^T), batch mean
    g.mul_(b.alpha.view(-1, 1, 1)).add_((lpt.exp() - q).mul_(b.consts["sw_tb"]))
    return b.alpha * hard + b.soft_weight * soft, g


@register_method("baseline", teacher=False, unlabelled=False, grad=baseline_grad)
def baseline_loss(b: Batch) -> torch.Tensor:
    """Hard labels only: CE(softmax(z), y). The student a KD student is compared with."""
    return hard_loss(b)


@register_method("kd", teacher=True, unlabelled=True, grad=kd_grad)
def kd_loss(b: Batch) -> torch.Tensor:
    """Hinton KD: alpha * CE(softmax(z), y) + (1 - alpha) * T^2 KL(q^T || p^T) (kdviz.softening.kd_loss).

    With few members the run holds per-member target tables (see KDTables) and the loss is two
    weighted sums of log-probabilities; otherwise the teacher's q^T is computed on the batch.
    """
    tables = b.run._kd_tables
    if tables is None:
        logp_t = F.log_softmax(b.logits_fm / b.T, 1)  # (K', C, B)
        return b.alpha * hard_loss(b) + b.soft_weight * kl_fm(b.teacher_log_probs_fm, logp_t)
    return tables.loss(b)


class KDTables:
    """Per-member KD targets on every training point, made once, for runs with small tables.

    The KD loss of a member is sum_{c,b} A[c, b] log p[c, b] + Q[c, b] log p^T[c, b] + H[b] with
    A = -alpha onehot(y) / n (n = labelled points in the batch), Q = -(1 - alpha) T^2 q^T / B and
    H = (1 - alpha) T^2 sum_c q^T log q^T / B: the same value and gradient as
    alpha CE + (1 - alpha) T^2 KL(q^T||p^T), in fewer tensor operations (per-op overhead dominates
    small models). Tables are (K, C, N), so they are used only while K C N is small (MAX_TABLE).
    """

    def __init__(self, run: "PopulationRun"):
        c = run.ds.n_classes
        k = len(run.members)
        alpha = run._consts["alpha"].view(k, 1, 1)
        sw = run._consts["soft_weight"].view(k, 1, 1)
        b = run.batch_size
        logq = F.log_softmax(run._teacher_fm.unsqueeze(0) / run._T, 1)  # (K, C, N)
        q = logq.exp()
        y = run.ds.y_train
        onehot = F.one_hot(y.clamp_min(0), c).t().float() * (y >= 0)  # (C, N), zero for unlabelled points
        self.per_batch = run._has_unlabelled  # divide the hard term by the labelled count of each batch
        self.A = (-alpha * onehot / (1 if self.per_batch else b)).contiguous()  # (K, C, N)
        self.Q = (-sw * q / b).contiguous()  # (K, C, N)
        self.H = (sw.view(k, 1) * (q * logq).sum(1) / b).contiguous()  # (K, N)

    def loss(self, b: Batch) -> torch.Tensor:
        """The KD loss of every member of batch ``b``: (K',)."""
        z = b.logits_fm  # (K', C, B)
        hard = (b.gather_members(self.A) * F.log_softmax(z, 1)).sum((1, 2))
        if self.per_batch:
            hard = hard / b.mask.sum(-1).clamp_min(1)
        soft = (b.gather_members(self.Q) * F.log_softmax(z / b.T, 1)).sum((1, 2))
        return hard + soft + b.gather_members(self.H).sum(-1)

    def grad(self, b: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """The loss and its gradient: sum_c A = -alpha/B and sum_c Q = -(1 - alpha) T^2 / B per point, so
        d/dz = A - p sum_c A + (Q - p^T sum_c Q) / T (hard part divided by the batch's labelled count)."""
        z, c = b.logits_fm, b.consts
        a, q = b.gather_members(self.A), b.gather_members(self.Q)  # (K', C, B)
        lp, lpt = F.log_softmax(z, 1), F.log_softmax(z / b.T, 1)
        hard = (a * lp).sum((1, 2))
        loss = (q * lpt).sum((1, 2)) + b.gather_members(self.H).sum(-1)
        g = torch.addcmul(q, lpt.exp(), c["sw_b"]).div_(b.T)  # soft part, (K', C, B)
        if self.per_batch:
            n = b.mask.sum(-1).clamp_min(1)  # (K',)
            g.add_((a - lp.exp() * a.sum(1, keepdim=True)).div_(n.view(-1, 1, 1)))
            return loss + hard / n, g
        return loss + hard, g.add_(a).addcmul_(lp.exp(), c["alpha_b"])
