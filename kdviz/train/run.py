"""PopulationRun: K students of one shape trained together in one pass (the engine's core).

What makes it fast, by design:
- teacher logits on the train and test sets are computed once, at construction;
- batches are (K, B) index tensors sliced from per-member shuffles made in chunks, no DataLoader;
- every parameter and gradient is a view into one (K, P) buffer, so Adam, the per-member
  gradient norm and the divergence mask are a handful of tensor ops whatever the depth;
- with analytic method gradients the step skips autograd (Population.backward_fm);
- method groups of consecutive members get views of the step's tensors (Batch.slice), one hard-label
  gradient computed for all members, and write their gradients side by side into one buffer;
- nothing syncs with the device during a step; metrics are recorded every ``record_every`` steps.
A member whose loss or gradient becomes NaN/inf is frozen (its update is skipped from that step
on) and reported in ``status``; the others keep training.

Methods come from the registry (kdviz.train.methods.METHODS; importing kdviz registers every
paradigm). A run can hold several teachers (``teachers``, for multi-teacher students) and
per-member target logits (``targets``, for born-again generations) besides its main teacher.
"""
from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn

from kdviz import metrics
from kdviz.data.registry import Dataset
from kdviz.device import resolve_device
from kdviz.models import Population
from kdviz.train.batches import IndexStream
from kdviz.train.configs import MemberConfig, non_negative, whole
from kdviz.train.evaluate import evaluate
from kdviz.train.history import History
from kdviz.train.outputs import TeacherOutputs, teacher_outputs
from kdviz.train.kernels import onehot_fm
from kdviz.train.optimiser import FUSED_PARAMS, adam_update, flatten_parameters, fused_adam_update
from kdviz.train.methods import Batch, MemberConsts, Tables, lookup

# Parameters are views into one (K, P) buffer with member-major strides, which autograd's layout
# check flags once; accumulation into them is correct (tested), only the hint is noisy.
warnings.filterwarnings("ignore", message="grad and param do not obey the gradient layout contract")

CHUNK_STEPS = 128  # batches of indices prepared at once
FAST_PATH = True  # use analytic gradients when every method has them (tests turn it off to compare)
ROW_GATHER = 32  # input features from which a step gathers whole points (rows of x) rather than columns of x^T
EVAL_ELEMENTS = 1 << 24  # cap on K * points * width held at once when evaluating a population


@dataclass
class RunSnapshot:
    """A picklable copy of a run's progress (PopulationRun.snapshot)."""

    step: int  # optimiser steps taken
    history: dict[str, np.ndarray]  # see PopulationRun.history
    status: list[str]  # per member: "ok" or how it diverged
    members: list[dict]  # each member's MemberConfig as a dict
    weights: dict | None = None  # Population.arrays(), when asked for


class PopulationRun:
    """K students of one shape trained together on one dataset, each with its own method and settings.

    ds: the student's Dataset (y_train == -1 marks unlabelled transfer points). teacher: an MLP (or
    any module with forward_taps), TeacherOutputs, or None when no member needs one. hidden: the
    students' hidden widths (input and output come from the data). members: one MemberConfig per
    student. teachers: several teacher models, or their (N, C) train logits, for "multi_teacher"
    members. targets: {member position: (N, C) train logits} of an earlier generation, for
    "born_again" members. record_every: steps between history records (also recorded at step 0
    and at the end of each step() call). dropout, weight_decay, activation: shared by all members.
    dtype: float32 (the default) or float64, for every weight, gradient and table of the run (float64
    lets tests compare long trajectories without float32 rounding compounding). hook: called with
    the run before each of its optimiser steps (a job's preemption point, Control.tick), or None.

    Call step(n) to train; read history (dict of NumPy arrays (K, R)), status and snapshot();
    logits(x) and evaluate(split) give every member's outputs and metrics.
    """

    def __init__(self, ds: Dataset, teacher, hidden, members, *, teachers=None, targets=None, batch_size: int = 64,
                 device=None, activation: str = "relu", record_every: int = 50, dropout: float = 0.0,
                 weight_decay: float = 0.0, dtype: torch.dtype = torch.float32,
                 hook: Callable[[PopulationRun], None] | None = None):
        self.hook = hook
        self.device = device if isinstance(device, torch.device) else resolve_device(device)
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"a run trains in float32 or float64, got {dtype}")
        self.dtype = dtype
        self.members = [m if isinstance(m, MemberConfig) else MemberConfig(**m) for m in members]
        if not self.members:
            raise ValueError("a run needs at least one member")
        self.batch_size = whole(batch_size, "batch size", 1, 100_000)
        self.record_every = whole(record_every, "record interval", 1)
        self.weight_decay = non_negative(weight_decay, "weight decay")
        self.ds = ds.to(self.device, dtype)
        if isinstance(hidden, (int, str)) or not hasattr(hidden, "__iter__"):
            raise ValueError(f"hidden sizes must be a list of widths, e.g. [16], got {hidden!r}")
        self.hidden = tuple(whole(h, "hidden width", 1) for h in hidden)
        k, dev = len(self.members), self.device
        self.population = Population((ds.n_features, *self.hidden, ds.n_classes), [m.seed for m in self.members],
                                     activation, dropout, device=dev).to(dtype)
        self._flatten()
        floats = dict(dtype=dtype, device=dev)  # tensors of the run's float type
        self.consts = MemberConsts.make([m.T for m in self.members], [m.alpha for m in self.members],
                                        self.batch_size, dev, dtype)
        self._lrs = [m.lr for m in self.members]
        self._lr = torch.tensor(self._lrs, **floats).view(k, 1)  # (K, 1)
        self._options = [dict(m.options) for m in self.members]
        self._option_tables: dict[tuple[str, float], torch.Tensor] = {}
        self._seeds = [m.seed for m in self.members]
        self._setup_data(teacher, teachers, targets)
        self._adam_m = torch.zeros_like(self._flat)  # (K, P) first moments
        self._adam_v = torch.zeros_like(self._flat)  # (K, P) second moments
        # fused Adam's step t and per-member skip flags (float32 scalars on the device, as its kernel reads them)
        self._fused_adam = ((torch.zeros((), device=dev, dtype=torch.float32),
                             torch.zeros(k, device=dev, dtype=torch.float32))
                            if self._flat.shape[1] >= FUSED_PARAMS else None)
        self._live = torch.ones(k, **floats)  # (K,) 1.0 while training, 0.0 once frozen (diverged)
        self._alive_steps = torch.zeros(k, **floats)  # steps each member trained before diverging
        self._loss_sum = torch.zeros(k, **floats)  # sums since the last record
        self._gnorm_sum = torch.zeros(k, **floats)
        self._since = 0
        self._gen = torch.Generator(dev).manual_seed(self.members[0].seed) if dropout > 0 else None
        self.t = 0  # optimiser steps taken
        self.status = ["ok"] * k
        self._lock = threading.Lock()
        self._chunk, self._pos = None, 0
        self.population.train()
        self._states = {name: (lookup(name).setup(self, ix) if lookup(name).setup else None)
                        for name, ix in self._groups}
        self._record()

    # ---- setup
    def _flatten(self) -> None:
        """Make every parameter (and its grad) a view into one (K, P) buffer, member-major."""
        self._flat, self._grad = flatten_parameters(list(self.population.parameters()), self.population.n_members)

    def _setup_data(self, teacher, teachers, targets) -> None:
        """Teacher outputs (once), extra targets, per-member index pools, method groups and the run's tables."""
        specs = [lookup(m.method) for m in self.members]
        self._need_taps = any(s.taps for s in specs)
        self._fast = all(s.grad is not None for s in specs) and self.population.manual_backward and FAST_PATH
        self._setup_teacher(teacher, specs)
        self._setup_targets(teachers, targets)
        has_unlabelled = self._setup_pools(specs)
        self._setup_groups()
        self._history = History(self.ds, self.teacher, self.consts.T, has_unlabelled)
        self._gather_points = self.ds.n_features >= ROW_GATHER  # see _inputs
        x = self.ds.x_train
        self._step_x = x.contiguous() if self._gather_points else x.t().contiguous()  # gathered: (N, D) or (D, N)
        t = self.teacher
        teacher_fm = None if t is None else t.train.t().contiguous()  # (C, N) teacher logits, class-major
        y = self.ds.y_train
        self.tables = Tables(y, has_unlabelled, teacher_fm, None if t is None else t.train,
                             None if t is None else t.train_taps,
                             torch.full((1, 1, 1), -1.0, dtype=self.dtype, device=self.device),
                             onehot_fm(y, self.ds.n_classes, self.dtype).div_(-self.batch_size), self.batch_size)

    def _setup_teacher(self, teacher, specs) -> None:
        """The teacher's logits (and taps) on train and test, computed once and checked against the data."""
        if teacher is None:
            needy = sorted({m.method for m, s in zip(self.members, specs) if s.teacher})
            if needy:
                raise ValueError(f"method {', '.join(needy)} needs a teacher; pass a trained teacher model")
            self.teacher = None
            return
        if isinstance(teacher, nn.Module):
            teacher = teacher_outputs(teacher, self.ds, self.device, taps=self._need_taps)
        elif not isinstance(teacher, TeacherOutputs):
            raise ValueError(f"teacher must be a model, TeacherOutputs or None, got {type(teacher).__name__}")
        ds, c = self.ds, self.ds.n_classes
        if tuple(teacher.train.shape) != (len(ds.x_train), c) or tuple(teacher.test.shape) != (len(ds.x_test), c):
            raise ValueError(f"teacher logits {tuple(teacher.train.shape)}/{tuple(teacher.test.shape)} do not match "
                             f"the data: expected ({len(ds.x_train)}, {c})/({len(ds.x_test)}, {c})")
        if self._need_taps and teacher.train_taps is None:
            raise ValueError("a method here needs the teacher's hidden activations; pass the teacher model")
        cast = (lambda v: v.to(self.device, self.dtype))
        move = (lambda d: None if d is None else {k: cast(v) for k, v in d.items()})
        self.teacher = TeacherOutputs(cast(teacher.train), cast(teacher.test),
                                      move(teacher.train_taps), move(teacher.test_taps))  # a copy: callers' stay

    def _setup_targets(self, teachers, targets) -> None:
        """Several teachers' train logits (M, N, C) and earlier generations' logits {k: (N, C)}, checked."""
        logits = [t if isinstance(t, torch.Tensor) else teacher_outputs(t, self.ds, self.device, taps=False).train
                  for t in (teachers or [])]
        n, c = len(self.ds.y_train), self.ds.n_classes
        for v in [*logits, *(targets or {}).values()]:
            if tuple(v.shape) != (n, c):
                raise ValueError(f"target logits have shape {tuple(v.shape)}; expected ({n}, {c}) for this data")
        self.teacher_set = torch.stack([v.to(self.device, self.dtype) for v in logits]) if logits else None  # (M, N, C)
        self.targets = {int(k): v.to(self.device, self.dtype) for k, v in (targets or {}).items()}  # k -> (N, C)

    def _setup_pools(self, specs) -> bool:
        """Which training points each member draws: labelled ones for hard-label methods, all for the rest.
        Returns whether the training set has unlabelled points."""
        y = self.ds.y_train
        if y.dim() != 1 or len(y) != len(self.ds.x_train):
            raise ValueError(f"y_train has shape {tuple(y.shape)} but x_train has {len(self.ds.x_train)} rows")
        labelled = (y >= 0).cpu()
        has_unlabelled = bool((~labelled).any())
        all_idx = torch.arange(len(y), device="cpu")  # pools live on the CPU, as the labelled mask
        lab_idx = all_idx[labelled]
        pools = []
        for m, s in zip(self.members, specs):
            pool = all_idx if (s.unlabelled or not has_unlabelled) else lab_idx
            if len(pool) == 0:
                raise ValueError(f"method {m.method!r} trains on labelled points, but the training set has none")
            pools.append(pool)
        self._stream = IndexStream(pools, [m.seed for m in self.members], self.batch_size, len(y))
        return has_unlabelled

    def _setup_groups(self) -> None:
        """Members grouped by method (each group's loss is one batched call) and the order to undo the grouping."""
        groups: dict[str, list[int]] = {}
        for i, m in enumerate(self.members):
            groups.setdefault(m.method, []).append(i)
        dev = self.device
        self._groups = [(name, torch.tensor(ix, device=dev)) for name, ix in groups.items()]
        self._group_rows = list(groups.values())  # the same positions as Python lists
        self._group_consts = [self.consts.select(ix) for _, ix in self._groups]  # each group's MemberConsts
        # groups that are runs of consecutive members, in order (methods listed one after another, as pages
        # build them), are handed out as views and their results written side by side: no gathers, no scatter
        spans, start = [], 0
        for rows in self._group_rows:
            spans.append((start, start + len(rows)))
            start = spans[-1][1] if rows == list(range(start, start + len(rows))) else -1
        self._spans = spans if start == len(self.members) else None
        self._all = torch.arange(len(self.members), device=dev)
        order = torch.cat([ix for _, ix in self._groups])
        self._inverse = torch.empty_like(order)
        self._inverse[order] = torch.arange(len(order), device=dev)

    def preview(self, method: str | None = None) -> Batch:
        """The Batch the next optimiser step will train on, at the current weights, without training.

        With ``method``: restricted to that method's members, with its state (as its loss sees it).
        Taps are always included, so every method's view can be inspected.
        """
        idx = self._next_indices()  # (K, B)
        self._pos -= 1  # the next step takes the same indices
        x_fm = self._inputs(idx)
        z, taps = self.population.forward_fm(x_fm, True, self._gen)
        b = self._make_batch(idx, x_fm, z, taps)
        if method is None:
            return b
        ix = dict(self._groups).get(method)
        if ix is None:
            raise ValueError(f"no member of this run is trained with {method!r}")
        return b.select(ix, self._states[method])

    def own_tensors(self) -> dict[str, torch.Tensor]:
        """The tensors only this run holds: its weights (K, P), their gradients and the Adam moments
        (what a paused job may move to disk; kdviz.jobs.parking)."""
        return {"weights": self._flat, "grads": self._grad, "adam_m": self._adam_m, "adam_v": self._adam_v}

    def method_state(self, name: str):
        """What method ``name``'s setup built for this run (e.g. the EMA teachers), or None."""
        return self._states.get(name)

    # ---- training
    def step(self, n: int = 1, record: bool = True) -> "PopulationRun":
        """Train every member for ``n`` steps; records every record_every steps and (``record``) at the end.

        record=False leaves the end's record to a later call (benchmarks time the optimiser steps alone)."""
        n = whole(n, "number of steps", 0, 10_000_000)
        hook = self.hook
        for _ in range(n):
            if hook is not None:
                hook(self)
            self._train_step()
            if self.t % self.record_every == 0:
                self._record()
        if record and self._history.last_step != self.t:
            self._record()
        return self

    def _next_indices(self) -> torch.Tensor:
        """This step's (K, B) training indices."""
        if self._chunk is None or self._pos == self._chunk.shape[1]:
            self._chunk, self._pos = self._stream.next(CHUNK_STEPS).to(self.device), 0  # (K, S, B)
        self._pos += 1
        return self._chunk[:, self._pos - 1].contiguous()  # one small copy: cheaper than transposing the chunk

    def _inputs(self, idx: torch.Tensor) -> torch.Tensor:
        """This step's inputs, feature-major (K, D, B): a view of (D, K, B) storage, which the batched
        matmuls read as fast as a contiguous copy (each member's rows are contiguous), or for inputs of
        ROW_GATHER or more features a view of (K, B, D) storage (whole points copied: a faster gather
        and a faster first-layer weight gradient, for a slightly slower first layer; the same numbers)."""
        k, b = idx.shape
        if self._gather_points:  # from (N, D)
            return self._step_x.index_select(0, idx.reshape(-1)).view(k, b, -1).transpose(1, 2)
        return self._step_x.index_select(1, idx.reshape(-1)).view(-1, k, b).transpose(0, 1)

    def _make_batch(self, idx: torch.Tensor, x_fm: torch.Tensor, z: torch.Tensor, taps) -> Batch:
        """The Batch of every member for this step."""
        return Batch(idx=idx, members=self._all, x_fm=x_fm, logits_fm=z, taps_fm=taps, tables=self.tables,
                     consts=self.consts, options=self._options, step=self.t, peers=self.population,
                     member_seeds=self._seeds, option_table=self._option_table)

    def _option_table(self, key: str, default: float) -> torch.Tensor:
        """Option ``key`` of every member (K,) in the run's dtype on its device, made on first use."""
        table = self._option_tables.get((key, default))
        if table is None:
            table = torch.tensor([float(o.get(key, default)) for o in self._options], dtype=self.dtype,
                                 device=self.device)
            self._option_tables[(key, default)] = table
        return table

    def _per_group(self, b: Batch, fn) -> list:
        """fn(method, batch of its members) for each method group, in group order."""
        if len(self._groups) == 1:
            name = self._groups[0][0]
            b.state = self._states[name]
            return [fn(lookup(name), b)]
        if self._spans is not None:
            self._slices = [b.slice(lo, hi, self._states[name], consts)
                            for (name, _), (lo, hi), consts in zip(self._groups, self._spans, self._group_consts)]
            return [fn(lookup(name), g) for (name, _), g in zip(self._groups, self._slices)]
        return [fn(lookup(name), b.select(ix, self._states[name], rows, consts))
                for (name, ix), rows, consts in zip(self._groups, self._group_rows, self._group_consts)]

    def _ungroup(self, parts: list[torch.Tensor]) -> torch.Tensor:
        """Per-group results (K', ...) back in member order (K, ...)."""
        if len(parts) == 1:
            return parts[0]
        return torch.cat(parts) if self._spans is not None else torch.cat(parts)[self._inverse]

    def _train_step(self) -> None:
        """One optimiser step of every member (analytic gradients when possible, else autograd)."""
        if self._fast:
            self._fast_step()
        else:
            idx = self._next_indices()  # (K, B)
            x_fm = self._inputs(idx)  # (K, D, B)
            z, taps = self.population.forward_fm(x_fm, self._need_taps, self._gen)
            b = self._make_batch(idx, x_fm, z, taps if self._need_taps else None)
            loss = self._ungroup(self._per_group(b, lambda m, g: m.loss(g)))  # (K,)
            self._grad.zero_()
            loss.sum().backward()  # members are independent: member k's grads come from loss k only
            self._adam(loss.detach())
        self.t += 1
        for name, ix in self._groups:
            hook = lookup(name).after_step
            if hook is not None:
                hook(self._states[name], self, ix)

    @torch.no_grad()
    def _fast_step(self) -> None:
        """One step without autograd: methods give d loss / d logits (and taps), Population.backward_fm the rest.

        Every member, whatever its method, shares this one forward and this one backward pass; only
        the loss terms are computed per method group (batched over its members)."""
        idx = self._next_indices()  # (K, B)
        x_fm = self._inputs(idx)  # (K, D, B)
        z, cache = self.population.forward_cache(x_fm)
        taps = self.population.cached_taps(cache) if self._need_taps else None
        b = self._make_batch(idx, x_fm, z, taps)
        parts = self._per_group(b, lambda m, g: m.grad(g))
        loss = self._ungroup([p.loss for p in parts])
        grad = self._gather_logit_grads(b, parts)
        self.population.backward_fm(cache, grad, self._ungroup_taps(parts, taps))  # writes into the (K, P) buffer
        self._adam(loss)

    def _gather_logit_grads(self, b: Batch, parts: list) -> torch.Tensor:
        """The groups' logit gradients (K, C, B) in member order. Where the groups shared the hard-label
        gradient, its buffer is the result: groups that updated their rows in place are already there."""
        full = b._hard_all
        if full is None or len(parts) == 1:
            return self._ungroup([p.logits for p in parts])
        for p, (lo, hi), group in zip(parts, self._spans, self._slices):
            if group.hard is None or p.logits is not group.hard.logits:
                full.logits[lo:hi].copy_(p.logits)
        return full.logits

    def _ungroup_taps(self, parts: list, taps: dict | None) -> dict[str, torch.Tensor] | None:
        """The groups' tap gradients {"h1": (K, H1, B), ...} in member order (zeros for groups without one)."""
        names = sorted({n for p in parts if p.taps for n in p.taps})
        if not names:
            return None
        if self._spans is not None and len(parts) > 1:
            out = {}
            for n in names:
                g = taps[n].new_zeros(taps[n].shape)  # (K, H, B)
                for p, (lo, hi) in zip(parts, self._spans):
                    if p.taps and n in p.taps:
                        g[lo:hi].copy_(p.taps[n])
                out[n] = g
            return out
        zero = (lambda n, ix: taps[n].new_zeros(len(ix), *taps[n].shape[1:]))
        return {n: self._ungroup([p.taps[n] if p.taps and n in p.taps else zero(n, ix)
                                  for p, (_, ix) in zip(parts, self._groups)]) for n in names}

    @torch.no_grad()
    def _adam(self, loss: torch.Tensor) -> None:
        """One Adam step over the (K, P) buffer with per-member lr; freezes members that went non-finite.

        The update of torch.optim.Adam (L2 weight decay added to the gradient): for small members
        adam_update, the bias corrections folded into the step size, float-only tensor ops (small
        models are bound by per-op overhead, and bool-valued ops are slow on the CPU); for large ones
        fused_adam_update (bound by memory traffic). No device sync either way.
        """
        g, p = self._grad, self._flat
        gnorm = torch.linalg.vector_norm(g, dim=1)  # (K,)
        s = loss + gnorm  # (K,) finite iff both are (loss >= 0)
        ok = (s - s).eq_(0.0)  # (K,) 1.0 where finite: inf - inf and nan - nan are nan
        self._live.mul_(ok)
        self._alive_steps += self._live  # a member that diverged at step s stops counting at s - 1
        if self._fused_adam is not None:  # large members: one fused kernel each, frozen ones skipped whole
            step, frozen = self._fused_adam
            step.fill_(self.t + 1)
            frozen.copy_(self._live).neg_().add_(1.0)  # (K,) 1.0 for frozen members
            fused_adam_update(p, g, self._adam_m, self._adam_v, step, self._lrs, frozen, self.weight_decay)
        else:
            g.nan_to_num_(0.0, 0.0, 0.0)  # a frozen member's NaN gradient must not reach its moments (live: finite)
            if self.weight_decay:
                g = g.add(p, alpha=self.weight_decay)
            rate = self._lr * self._live.unsqueeze(1)  # (K, 1): 0 for frozen members
            adam_update(p, g, self._adam_m, self._adam_v, self.t + 1, rate)
        self._loss_sum += loss
        self._gnorm_sum += gnorm
        self._since += 1

    # ---- outputs and records
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (K, N, C) of every member on x (N, D), in eval mode, without grad, in chunks of points.

        A transposed view of class-major (K, C, N) storage, the layout kdviz.metrics computes on fastest."""
        pop, x = self.population, x.to(self.device, self.dtype)
        width = max(pop.sizes)
        chunk = max(1, EVAL_ELEMENTS // (pop.n_members * width))
        pop.eval()
        try:
            with torch.no_grad():
                parts = [pop(x[i:i + chunk]).transpose(1, 2) for i in range(0, len(x), chunk)]  # (K, C, n) each
                return (parts[0] if len(parts) == 1 else torch.cat(parts, 2)).transpose(1, 2)  # class-major storage
        finally:
            pop.train()

    def _record(self) -> None:
        """Evaluate every member and append one history record (one device sync; see kdviz.train.history)."""
        nan = torch.full((len(self.members),), math.nan, dtype=self.dtype, device=self.device)
        since = max(self._since, 1)
        loss = self._loss_sum / since if self._since else nan
        gnorm = self._gnorm_sum / since if self._since else nan
        row, recall = self._history.measure(self.logits(self._history.inputs), loss, gnorm)
        live, steps, interval = (a.cpu().numpy().copy() for a in (self._live, self._alive_steps, self._loss_sum))
        self._loss_sum.zero_()
        self._gnorm_sum.zero_()
        self._since = 0
        with self._lock:
            self._history.append(self.t, row, recall)
            for i in np.flatnonzero(live == 0):
                if self.status[i] == "ok":  # the interval's loss sum says what broke first (nan stays nan)
                    what = ("loss became nan" if math.isnan(interval[i]) else "loss became inf"
                            if math.isinf(interval[i]) else "gradient became nan or inf")
                    self.status[i] = f"diverged at step {int(steps[i]) + 1}: {what}"

    @property
    def history(self) -> dict[str, np.ndarray]:
        """Records so far, as NumPy arrays: "step" (R,); per member (K, R):
        loss (the training objective, averaged over the steps since the previous record),
        hard_loss (CE on labelled train points), soft_loss (T^2 KL(q^T||p^T) on train points),
        train_acc, test_acc, test_nll, test_ece, fidelity (top-1 agreement with the teacher on
        test), kl_test (KL to the teacher on test at T = 1), grad_norm (mean since the previous
        record); and test_recall (K, C, R). Train metrics use a fixed seeded subset of at most
        RECORD_POINTS training points; teacher-based entries are NaN without a teacher. Shared,
        do not modify: snapshot() returns copies."""
        with self._lock:
            return self._history.table

    def snapshot(self, weights: bool = False) -> "RunSnapshot":
        """A picklable copy of the progress: step, history, status, members (and weights if asked)."""
        hist = self.history
        with self._lock:
            snap = RunSnapshot(self.t, {k: v.copy() for k, v in hist.items()}, list(self.status),
                               [asdict(m) for m in self.members])
        if weights:
            snap.weights = self.population.arrays()
        return snap

    @property
    def alive(self) -> np.ndarray:
        """(K,) bool: members still training (not diverged)."""
        return self._live.cpu().numpy() > 0

    def evaluate(self, split: str = "test", bins: int = metrics.ECE_BINS) -> dict[str, np.ndarray]:
        """Metrics of every member on ds's "test", "train" (labelled points) or "val" split (see evaluate())."""
        ds, t = self.ds, self.teacher
        if split == "test":
            x, y, v = ds.x_test, ds.y_test, None if t is None else t.test
        elif split == "train":
            lab = ds.y_train >= 0
            x, y, v = ds.x_train[lab], ds.y_train[lab], None if t is None else t.train[lab]
        elif split == "val" and ds.x_val is not None:
            x, y, v = ds.x_val, ds.y_val, None
        else:
            raise ValueError(f"unknown or missing split {split!r}; choose test, train or val")
        return evaluate(self.logits(x), None, y, teacher=v, bins=bins)
