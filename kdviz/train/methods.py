"""The engine's protocol: what a training method sees at a step (Batch), what it is (Method), the registry.

A method maps a Batch (the K' members using it) to one batch-mean loss per member, shape (K',).
It may also give the loss's gradient with respect to the student's logits (and hidden taps)
analytically (``grad``): when every method of a run does, the engine skips autograd. Methods that keep state
across steps (a regressor, an EMA teacher, target tables) build it once per run in ``setup``;
the run hands that state to every Batch of the method (``Batch.state``) and to ``after_step``.

A Batch receives everything it may need when it is made: the batch indices, the students'
outputs, the run's data-side tables (labels, teacher logits and taps), the members' constants
and a handle for the peers' predictions. It never holds the run. Student outputs come
class-major, (K', C, B): on the CPU a softmax over a short LAST dimension costs ~10x more than
over this layout, so the built-in losses work on it (``Batch.logits`` gives the (K', B, C) view).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Tables:
    """Per-run tensors on the training set, made once: what a Batch gathers its labels and targets from."""

    y_train: torch.Tensor  # (N,) int64 labels; -1 marks an unlabelled (transfer) point
    has_unlabelled: bool  # whether any label is -1
    teacher_fm: torch.Tensor | None  # (C, N) teacher logits, class-major (None without a teacher)
    teacher_train: torch.Tensor | None  # (N, C) the same logits, sample-major
    teacher_taps: Mapping[str, torch.Tensor] | None  # {"h1": (N, Ht1), ...} teacher hidden activations
    minus_one: torch.Tensor  # (1, 1, 1) the constant -1, for in-place one-hot subtraction
    neg_onehot_b: torch.Tensor | None = None  # (C, N) -onehot(y) / B, class-major: the hard gradient's label term
    onehot_batch: int = 0  # the batch size B that neg_onehot_b is divided by


@dataclass(frozen=True)
class MemberConsts:
    """Per-member constants of the KD family, each with the members' dimension K first."""

    T: torch.Tensor  # (K, 1, 1) temperature
    alpha: torch.Tensor  # (K,) weight of the hard-label term
    soft_weight: torch.Tensor  # (K,) (1 - alpha) T^2, the KD soft term's factor
    alpha_b: torch.Tensor  # (K, 1, 1) alpha / B
    sw_b: torch.Tensor  # (K, 1, 1) (1 - alpha) T^2 / B
    sw_tb: torch.Tensor  # (K, 1, 1) (1 - alpha) T / B

    @classmethod
    def make(cls, T: list[float], alpha: list[float], batch_size: int, device,
             dtype: torch.dtype = torch.float32) -> "MemberConsts":
        """Constants for members with temperatures T and hard-label weights alpha (one value each)."""
        floats = dict(dtype=dtype, device=device)
        k = len(T)
        t = torch.tensor(T, **floats).view(k, 1, 1)
        a = torch.tensor(alpha, **floats)
        sw = (1 - a) * t.view(-1) ** 2
        b = batch_size
        return cls(t, a, sw, (a / b).view(k, 1, 1), (sw / b).view(k, 1, 1), (sw / b).view(k, 1, 1) / t)

    def select(self, ix: torch.Tensor) -> "MemberConsts":
        """The constants of the members at positions ``ix``."""
        return replace(self, **{f.name: getattr(self, f.name).index_select(0, ix) for f in fields(self)})


class Grad(NamedTuple):
    """What an analytic method gives: its loss and the gradient of the summed loss with respect to the logits
    and, for methods on hidden layers, to the taps (post-activation outputs; Population.backward_fm adds them)."""

    loss: torch.Tensor  # (K',) batch-mean loss per member
    logits: torch.Tensor  # (K', C, B) d sum(loss) / d logits_fm
    taps: dict[str, torch.Tensor] | None = None  # {"h1": (K', H1, B), ...} d sum(loss) / d taps_fm, absent = 0


class Batch:
    """What a method sees at one step, for the K' members that use it (every tensor leads with K').

    Student outputs are class-/feature-major, (K', C, B) and (K', H, B) (the fast layout on the
    CPU; see Population.forward_fm); ``logits`` and ``taps`` give the usual (K', B, ...) views.
    Labels and teacher quantities are gathered from ``tables`` on first use.
    """

    def __init__(self, *, idx: torch.Tensor, members: torch.Tensor, x_fm: torch.Tensor, logits_fm: torch.Tensor,
                 taps_fm: dict | None, tables: Tables, consts: MemberConsts, options: list[dict], step: int,
                 peers: Callable[[torch.Tensor], torch.Tensor], member_seeds: list[int], state: Any = None,
                 option_table: Callable[[str, float], torch.Tensor] | None = None):
        self.idx = idx  # (K', B) training-set index of each member's batch
        self.members = members  # (K',) these members' positions in the run
        self.x_fm = x_fm  # (K', D, B) inputs
        self.logits_fm = logits_fm  # (K', C, B) student logits (requiring grad on the autograd path)
        self.taps_fm = taps_fm  # {"h1": (K', H1, B), ...} student hidden activations, or None
        self.tables = tables
        self.consts = consts
        self.T = consts.T  # (K', 1, 1) temperature per member
        self.alpha = consts.alpha  # (K',) weight of the hard-label term
        self.soft_weight = consts.soft_weight  # (K',) (1 - alpha) T^2, the KD soft term's factor
        self.options = options  # per-member MemberConfig.options
        self.step = step  # optimiser steps taken before this one
        self.peers = peers  # x (M, D) -> (K, M, C): every member's logits (no grad), for methods with peers
        self.member_seeds = member_seeds  # each member's seed
        self.state = state  # what the method's setup built for this run
        self.option_table = option_table  # (key, default) -> (K,) that option of every member of the run, on device
        self.span: tuple[int, int] | None = None  # (start, stop) when the members are positions start..stop-1 of the run
        self.parent: Batch | None = None  # the run's whole batch this one is a contiguous slice of (see slice)
        self.hard: Grad | None = None  # this slice's share of the parent's hard_grad, once a method asked for it
        self._labels = None
        self._mask = None
        self._hard_all: Grad | None = None

    @property
    def labels(self) -> torch.Tensor:
        """(K', B) int64 class labels of the batch; -1 marks an unlabelled (transfer) point."""
        if self._labels is None:
            self._labels = self.tables.y_train.index_select(0, self.idx.reshape(-1)).view(self.idx.shape)
        return self._labels

    @property
    def mask(self) -> torch.Tensor | None:
        """(K', B) bool, True where labelled; None when the training set has no unlabelled point."""
        if self._mask is None and self.tables.has_unlabelled:
            self._mask = self.labels >= 0
        return self._mask

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
        return self.points(self.tables.teacher_train)

    def points(self, table: torch.Tensor) -> torch.Tensor:
        """Rows of a per-point table (N, F) at each member's batch: (K', B, F)."""
        return table.index_select(0, self.idx.reshape(-1)).view(*self.idx.shape, -1)

    @property
    def teacher_taps(self) -> dict[str, torch.Tensor]:
        """Teacher hidden activations on each member's batch {"h1": (K', B, Ht1), ...}."""
        return {k: v[self.idx] for k, v in self.tables.teacher_taps.items()}

    @property
    def teacher_log_probs_fm(self) -> torch.Tensor:
        """log softmax(v / T) of the teacher at each member's T on the batch, (K', C, B)."""
        v = self.tables.teacher_fm.index_select(1, self.idx.reshape(-1))  # (C, K' B) from the (C, N) logits
        return F.log_softmax(v.view(-1, *self.idx.shape).transpose(0, 1) / self.T, 1)  # (K', C, B)

    def option(self, key: str, default: float) -> torch.Tensor:
        """Per-member numeric option ``key`` of the batch's members as a (K',) tensor (default where absent).

        From the run's option table when there is one (made once per run, so a step creates nothing on the host)."""
        if self.option_table is not None:
            table = self.member_rows(self.option_table(key, default))
            return table if table.dtype == self.logits_fm.dtype else table.to(self.logits_fm.dtype)
        vals = [float(o.get(key, default)) for o in self.options]
        return torch.tensor(vals, dtype=self.logits_fm.dtype, device=self.logits_fm.device)

    def member_rows(self, table: torch.Tensor) -> torch.Tensor:
        """The rows of a per-member tensor of the run (K, ...) for this batch's members: (K', ...)."""
        return table[self.span[0]:self.span[1]] if self.span is not None else table.index_select(0, self.members)

    def gather_members(self, table: torch.Tensor) -> torch.Tensor:
        """Rows of a per-member, per-point table (K, ..., N) for this batch: (K', ..., B)."""
        if self.span is not None and self.span[1] - self.span[0] < table.shape[0]:
            table = table[self.span[0]:self.span[1]]  # a contiguous slice of the run's members: its rows
        if len(self.members) == table.shape[0]:  # every member: a plain gather (cheaper than advanced indexing)
            ix = self.idx.view(self.idx.shape[0], *([1] * (table.dim() - 2)), -1)
            return table.gather(-1, ix.expand(*table.shape[:-1], -1))
        n = table.shape[-1]
        inner = table[0].numel()  # elements per member
        lead = torch.arange(0, inner, n, device=table.device).view(*table.shape[1:-1], 1)  # (..., 1) row starts
        base = self.members.view(-1, *([1] * (table.dim() - 1))) * inner + lead
        return table.reshape(-1).take(base + self.idx.view(self.idx.shape[0], *([1] * (table.dim() - 2)), -1))

    def slice(self, start: int, stop: int, state: Any = None, consts: MemberConsts | None = None) -> "Batch":
        """The same batch restricted to the members at positions start..stop-1 (views, no copies), with ``state``.

        The slice shares this batch's hard-label gradient: the first hard_grad of any slice computes
        it once for every member (one set of tensor ops for the run, not one per method group), and
        each slice gets views of its rows (``hard``), which a method may update in place."""
        cut = (lambda t: t[start:stop])
        taps = None if self.taps_fm is None else {k: cut(v) for k, v in self.taps_fm.items()}
        out = Batch(idx=cut(self.idx), members=cut(self.members), x_fm=cut(self.x_fm), logits_fm=cut(self.logits_fm),
                    taps_fm=taps, tables=self.tables,
                    consts=self.consts.select(torch.arange(start, stop, device=self.idx.device)) if consts is None
                    else consts, options=self.options[start:stop], step=self.step, peers=self.peers,
                    member_seeds=self.member_seeds[start:stop], state=state, option_table=self.option_table)
        base = 0 if self.span is None else self.span[0]
        out.span, out.parent = (base + start, base + stop), self
        out._labels = cut(self.labels)  # gathered once for all slices
        return out

    def shared_hard(self, compute: Callable[["Batch"], Grad]) -> Grad | None:
        """This slice's rows of the hard-label Grad that ``compute`` (kdviz.train.kernels' own, on a whole batch)
        gives on the parent batch, computed once for all members; None without a parent. The same Grad object on
        every call (``hard``)."""
        if self.parent is None:
            return None
        if self.hard is None:
            p = self.parent
            if p._hard_all is None:
                p._hard_all = compute(p)
            lo = self.span[0] - (0 if p.span is None else p.span[0])
            hi = lo + len(self.members)
            self.hard = Grad(p._hard_all.loss[lo:hi], p._hard_all.logits[lo:hi])
        return self.hard

    def select(self, ix: torch.Tensor, state: Any = None, rows: list[int] | None = None,
               consts: MemberConsts | None = None) -> "Batch":
        """The same batch restricted to the members at positions ``ix`` of this batch, with a method's ``state``.

        ``rows``: ix as a Python list, and ``consts``: consts.select(ix), when the caller has them (a run
        keeps both per method group: they do not change between steps)."""
        pick = (lambda t: t.index_select(0, ix))
        taps = None if self.taps_fm is None else {k: pick(v) for k, v in self.taps_fm.items()}
        rows = ix.tolist() if rows is None else rows
        return Batch(idx=pick(self.idx), members=pick(self.members), x_fm=pick(self.x_fm),
                     logits_fm=pick(self.logits_fm), taps_fm=taps, tables=self.tables,
                     consts=self.consts.select(ix) if consts is None else consts,
                     options=[self.options[i] for i in rows], step=self.step, peers=self.peers,
                     member_seeds=[self.member_seeds[i] for i in rows], state=state, option_table=self.option_table)


@dataclass(frozen=True)
class Method:
    """A training method: its loss and what it needs from the engine.

    setup(run, members) builds the method's state once per run (members: (K',) positions of its
    members); after_step(state, run, members) runs after each optimiser update. Both see only the
    run's public interface.
    """

    name: str
    loss: Callable[[Batch], torch.Tensor]  # Batch -> (K',) loss per member, batch-averaged
    grad: Callable[[Batch], Grad] | None = None  # optional analytic form of the loss and its gradient
    teacher: bool = True  # needs the teacher's logits for the batch
    unlabelled: bool = True  # draws batches from all training points (True) or only labelled ones
    taps: bool = False  # needs hidden activations of student and teacher
    setup: Callable | None = None  # (run, members) -> state
    after_step: Callable | None = None  # (state, run, members) -> None


METHODS: dict[str, Method] = {}


def register_method(name: str, *, teacher: bool = True, unlabelled: bool = True, taps: bool = False,
                    grad: Callable | None = None, setup: Callable | None = None,
                    after_step: Callable | None = None) -> Callable:
    """Decorator adding a loss function ``fn(batch) -> (K',)`` to METHODS under ``name`` (see Method)."""

    def wrap(fn: Callable) -> Callable:
        if name in METHODS:
            raise ValueError(f"training method {name!r} is registered twice")
        METHODS[name] = Method(name, fn, grad, teacher, unlabelled, taps, setup, after_step)
        return fn

    return wrap


def lookup(name: str) -> Method:
    """The registered method ``name``; a ValueError naming the choices otherwise."""
    if name not in METHODS:
        raise ValueError(f"unknown training method {name!r}; choose one of {', '.join(METHODS)}")
    return METHODS[name]
