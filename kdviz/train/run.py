"""PopulationRun: K students of one shape trained together in one pass (the engine's core).

What makes it fast, by design:
- teacher logits on the train and test sets are computed once, at construction;
- batches are (K, B) index tensors sliced from per-member shuffles made in chunks, no DataLoader;
- every parameter and gradient is a view into one (K, P) buffer, so Adam, the per-member
  gradient norm and the divergence mask are a handful of tensor ops whatever the depth;
- with analytic method gradients the step skips autograd (Population.backward_fm);
- nothing syncs with the device during a step; metrics are recorded every ``record_every`` steps.
A member whose loss or gradient becomes NaN/inf is frozen (its update is skipped from that step
on) and reported in ``status``; the others keep training.
"""
from __future__ import annotations

import math
import threading
import warnings
from dataclasses import asdict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from kdviz import metrics
from kdviz.data.registry import Dataset
from kdviz.device import resolve_device
from kdviz.models import Population
from kdviz.train.batches import IndexStream
from kdviz.train.configs import MemberConfig, _non_negative, _whole
from kdviz.train.evaluate import evaluate
from kdviz.train.methods import METHODS, Batch, KDTables, kl_fm
from kdviz.train.outputs import TeacherOutputs, teacher_outputs

# Parameters are views into one (K, P) buffer with member-major strides, which autograd's layout
# check flags once; accumulation into them is correct (tested), only the hint is noisy.
warnings.filterwarnings("ignore", message="grad and param do not obey the gradient layout contract")

ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults
CHUNK_STEPS = 128  # batches of indices prepared at once
RECORD_POINTS = 512  # training points (a fixed seeded subset of larger sets) the history's train metrics use
FAST_PATH = True  # use analytic gradients when every method has them (tests turn it off to compare)
MAX_TABLE = 1 << 16  # K * C * N up to which KD targets are tabulated per member (beyond: cache misses cost more)
EVAL_ELEMENTS = 1 << 24  # cap on K * points * width held at once when evaluating a population


HISTORY_KEYS = ("loss", "hard_loss", "soft_loss", "train_acc", "test_acc", "test_nll", "test_ece", "fidelity",
                "kl_test", "grad_norm")


class PopulationRun:
    """K students of one shape trained together on one dataset, each with its own method and settings.

    ds: the student's Dataset (y_train == -1 marks unlabelled transfer points). teacher: an MLP (or
    any module with forward_taps), TeacherOutputs, or None when every member is "baseline".
    hidden: the students' hidden widths (input and output come from the data). members: one
    MemberConfig per student. record_every: steps between history records (also recorded at step 0
    and at the end of each step() call). dropout, weight_decay, activation: shared by all members.

    Call step(n) to train; read history (dict of NumPy arrays (K, R)), status and snapshot().
    """

    def __init__(self, ds: Dataset, teacher, hidden, members, batch_size: int = 64, device=None,
                 activation: str = "relu", record_every: int = 50, dropout: float = 0.0,
                 weight_decay: float = 0.0):
        self.device = device if isinstance(device, torch.device) else resolve_device(device)
        self.members = [m if isinstance(m, MemberConfig) else MemberConfig(**m) for m in members]
        if not self.members:
            raise ValueError("a run needs at least one member")
        self.batch_size = _whole(batch_size, "batch size", 1, 100_000)
        self.record_every = _whole(record_every, "record interval", 1)
        self.weight_decay = _non_negative(weight_decay, "weight decay")
        self.ds = ds.to(self.device)
        if isinstance(hidden, (int, str)) or not hasattr(hidden, "__iter__"):
            raise ValueError(f"hidden sizes must be a list of widths, e.g. [16], got {hidden!r}")
        self.hidden = tuple(_whole(h, "hidden width", 1) for h in hidden)
        k, dev = len(self.members), self.device
        self.population = Population((ds.n_features, *self.hidden, ds.n_classes), [m.seed for m in self.members],
                                     activation, dropout, device=dev)
        self._flatten()
        f32 = dict(dtype=torch.float32, device=dev)
        self._T = torch.tensor([m.T for m in self.members], **f32).view(k, 1, 1)  # (K, 1, 1)
        alpha = torch.tensor([m.alpha for m in self.members], **f32)  # (K,)
        sw = (1 - alpha) * self._T.view(-1) ** 2  # (K,) the KD soft term's factor (1 - alpha) T^2
        b = self.batch_size
        self._consts = {"T": self._T, "alpha": alpha, "soft_weight": sw, "alpha_b": (alpha / b).view(k, 1, 1),
                        "sw_b": (sw / b).view(k, 1, 1), "sw_tb": (sw / b).view(k, 1, 1) / self._T}
        self._minus_one = torch.full((1, 1, 1), -1.0, **f32)
        self._lr = torch.tensor([m.lr for m in self.members], **f32).view(k, 1)  # (K, 1)
        self._setup_data(teacher)
        self._options = [dict(m.options) for m in self.members]
        self._adam_m = torch.zeros_like(self._flat)  # (K, P) first moments
        self._adam_v = torch.zeros_like(self._flat)  # (K, P) second moments
        self._live = torch.ones(k, **f32)  # (K,) 1.0 while training, 0.0 once frozen (diverged)
        self._alive_steps = torch.zeros(k, **f32)  # steps each member trained before diverging
        self._loss_sum = torch.zeros(k, **f32)  # sums since the last record
        self._gnorm_sum = torch.zeros(k, **f32)
        self._since = 0
        self._gen = torch.Generator(dev).manual_seed(self.members[0].seed) if dropout > 0 else None
        self.t = 0  # optimiser steps taken
        self.status = ["ok"] * k
        self._lock = threading.Lock()
        self._rows: dict[str, list] = {key: [] for key in (*HISTORY_KEYS, "test_recall")}
        self._steps: list[int] = []
        self._history_cache = None
        self._chunk, self._pos = None, 0
        self.population.train()
        self._record()

    # ---- setup
    def _flatten(self) -> None:
        """Make every parameter (and its grad) a view into one (K, P) buffer, member-major."""
        params = list(self.population.parameters())
        k = self.population.n_members
        self._flat = torch.cat([p.detach().reshape(k, -1) for p in params], 1).contiguous()  # (K, P)
        self._grad = torch.zeros_like(self._flat)  # (K, P)
        off = 0
        for p in params:
            n = p[0].numel()
            p.data = self._flat[:, off:off + n].view(p.shape)
            p.grad = self._grad[:, off:off + n].view(p.shape)
            off += n

    def _setup_data(self, teacher) -> None:
        """Teacher outputs (once), per-member index pools, method groups and the tables built from them."""
        specs = [METHODS[m.method] for m in self.members]
        self._need_taps = any(s.taps for s in specs)
        self._fast = (all(s.grad is not None for s in specs) and not self._need_taps
                      and self.population.manual_backward and FAST_PATH)
        self._setup_teacher(teacher, specs)
        all_idx, lab_idx = self._setup_pools(specs)
        self._setup_groups()
        self._setup_records(all_idx, lab_idx)
        self._xt = self.ds.x_train.t().contiguous()  # (D, N): inputs gathered class-major with index_select (fast)
        self._kd_tables = None
        if self.teacher is not None:
            self._teacher_fm = self.teacher.train.t().contiguous()  # (C, N) teacher logits, class-major
            rec_v = self._teacher_fm[:, self._rec_all.to(self.device)]  # (C, n_all)
            self._rec_logq_fm = F.log_softmax(rec_v.unsqueeze(0) / self._T, 1)  # (K, C, n_all), recorded soft loss
            k, c, n = len(self.members), self.ds.n_classes, len(self.ds.y_train)
            if k * c * n <= MAX_TABLE and any(m.method == "kd" for m in self.members):
                self._kd_tables = KDTables(self)

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
        move = (lambda d: None if d is None else {k: v.to(self.device).float() for k, v in d.items()})
        self.teacher = TeacherOutputs(teacher.train.to(self.device).float(), teacher.test.to(self.device).float(),
                                      move(teacher.train_taps), move(teacher.test_taps))  # a copy: callers' stay
        self._teacher_test = metrics.Outputs(self.teacher.test)  # its predictions are computed once

    def _setup_pools(self, specs) -> tuple[torch.Tensor, torch.Tensor]:
        """Which training points each member draws: labelled ones for hard-label methods, all for the rest."""
        y = self.ds.y_train
        if y.dim() != 1 or len(y) != len(self.ds.x_train):
            raise ValueError(f"y_train has shape {tuple(y.shape)} but x_train has {len(self.ds.x_train)} rows")
        labelled = (y >= 0).cpu()
        self._has_unlabelled = bool((~labelled).any())
        all_idx = torch.arange(len(y))
        lab_idx = all_idx[labelled]
        pools = []
        for m, s in zip(self.members, specs):
            pool = all_idx if (s.unlabelled or not self._has_unlabelled) else lab_idx
            if len(pool) == 0:
                raise ValueError(f"method {m.method!r} trains on labelled points, but the training set has none")
            pools.append(pool)
        self._stream = IndexStream(pools, [m.seed for m in self.members], self.batch_size, len(y))
        return all_idx, lab_idx

    def _setup_groups(self) -> None:
        """Members grouped by method (each group's loss is one batched call) and the order to undo the grouping."""
        groups: dict[str, list[int]] = {}
        for i, m in enumerate(self.members):
            groups.setdefault(m.method, []).append(i)
        dev = self.device
        self._groups = [(name, torch.tensor(ix, device=dev)) for name, ix in groups.items()]
        self._all = torch.arange(len(self.members), device=dev)
        order = torch.cat([ix for _, ix in self._groups])
        self._inverse = torch.empty_like(order)
        self._inverse[order] = torch.arange(len(order), device=dev)

    def _setup_records(self, all_idx: torch.Tensor, lab_idx: torch.Tensor) -> None:
        """Fix the training points the history is measured on: up to RECORD_POINTS labelled ones (hard loss,
        train accuracy) and up to RECORD_POINTS of all (soft loss), a seeded subset of larger sets."""
        gen = torch.Generator().manual_seed(0)
        pick = (lambda ix: ix[torch.randperm(len(ix), generator=gen)[:RECORD_POINTS]].sort().values)
        rec_lab = pick(lab_idx)
        self._rec_all = rec_lab if not self._has_unlabelled else pick(all_idx)
        rec = torch.unique(torch.cat([rec_lab, self._rec_all]))  # sorted training indices evaluated at records
        pos = torch.full((len(all_idx),), -1, dtype=torch.long)
        pos[rec] = torch.arange(len(rec))
        dev = self.device
        self._rec_lab_pos, self._rec_all_pos = pos[rec_lab].to(dev), pos[self._rec_all].to(dev)
        self._rec_y = self.ds.y_train[rec_lab.to(dev)]  # (n_lab,)
        self._n_rec = len(rec)
        self._x_eval = torch.cat([self.ds.x_train[rec.to(dev)], self.ds.x_test])  # (n_rec + N_test, D)

    # ---- training
    def step(self, n: int = 1) -> "PopulationRun":
        """Train every member for ``n`` steps; records every record_every steps and at the end."""
        n = _whole(n, "number of steps", 0, 10_000_000)
        for _ in range(n):
            self._train_step()
            if self.t % self.record_every == 0:
                self._record()
        if self._steps[-1] != self.t:
            self._record()
        return self

    def _next_indices(self) -> torch.Tensor:
        """This step's (K, B) training indices."""
        if self._chunk is None or self._pos == self._chunk.shape[1]:
            self._chunk, self._pos = self._stream.next(CHUNK_STEPS).to(self.device), 0  # (K, S, B)
        self._pos += 1
        return self._chunk[:, self._pos - 1]

    def _inputs(self, idx: torch.Tensor) -> torch.Tensor:
        """This step's inputs, feature-major and contiguous (K, D, B) (the fast operand layout for bmm)."""
        k, b = idx.shape
        return self._xt.index_select(1, idx.reshape(-1)).view(-1, k, b).transpose(0, 1).contiguous()

    def _batch(self) -> Batch:
        """Gather this step's inputs, run the students, and assemble the method context."""
        idx = self._next_indices()  # (K, B)
        x_fm = self._inputs(idx)  # (K, D, B)
        z, taps = self.population.forward_fm(x_fm, self._need_taps, self._gen)
        return Batch(self, idx, self._all, x_fm, z, taps if self._need_taps else None, self._consts,
                     self._options, self.t)

    def _losses(self, b: Batch) -> torch.Tensor:
        """One loss per member (K,), each from its own method."""
        if len(self._groups) == 1:
            return METHODS[self._groups[0][0]].loss(b)
        parts = [METHODS[name].loss(b.select(ix)) for name, ix in self._groups]
        return torch.cat(parts)[self._inverse]

    def _train_step(self) -> None:
        """One optimiser step of every member (analytic gradients when possible, else autograd)."""
        if self._fast:
            self._fast_step()
        else:
            loss = self._losses(self._batch())  # (K,)
            self._grad.zero_()
            loss.sum().backward()  # members are independent: member k's grads come from loss k only
            self._adam(loss.detach())
        self.t += 1
        for name, ix in self._groups:
            hook = METHODS[name].after_step
            if hook is not None:
                hook(self, ix)

    @torch.no_grad()
    def _fast_step(self) -> None:
        """One step without autograd: methods give d loss / d logits, Population.backward_fm the rest."""
        idx = self._next_indices()  # (K, B)
        x_fm = self._inputs(idx)  # (K, D, B)
        z, cache = self.population.forward_cache(x_fm)
        b = Batch(self, idx, self._all, x_fm, z, None, self._consts, self._options, self.t)
        if len(self._groups) == 1:
            loss, grad = METHODS[self._groups[0][0]].grad(b)
        else:
            parts = [METHODS[name].grad(b.select(ix)) for name, ix in self._groups]
            loss = torch.cat([p[0] for p in parts])[self._inverse]
            grad = torch.cat([p[1] for p in parts])[self._inverse]
        self.population.backward_fm(cache, grad)  # writes into the (K, P) gradient buffer
        self._adam(loss)

    @torch.no_grad()
    def _adam(self, loss: torch.Tensor) -> None:
        """One Adam step over the (K, P) buffer with per-member lr; freezes members that went non-finite.

        The update of torch.optim.Adam (L2 weight decay added to the gradient), with the bias
        corrections folded into the step size. Float-only tensor ops and no device sync: small
        models are bound by per-op overhead, and bool-valued ops are slow on the CPU.
        """
        g, p = self._grad, self._flat
        gnorm = torch.linalg.vector_norm(g, dim=1)  # (K,)
        s = loss + gnorm  # (K,) finite iff both are (loss >= 0)
        ok = (s - s).eq_(0.0)  # (K,) 1.0 where finite: inf - inf and nan - nan are nan
        self._live.mul_(ok)
        self._alive_steps += self._live  # a member that diverged at step s stops counting at s - 1
        g.nan_to_num_(0.0, 0.0, 0.0)  # a frozen member's NaN gradient must not reach its moments (live ones are finite)
        if self.weight_decay:
            g = g.add(p, alpha=self.weight_decay)
        b1, b2 = ADAM_BETAS
        t = self.t + 1
        c2 = math.sqrt(1 - b2 ** t)
        self._adam_m.lerp_(g, 1 - b1)
        self._adam_v.mul_(b2).addcmul_(g, g, value=1 - b2)
        denom = self._adam_v.sqrt().add_(ADAM_EPS * c2)  # c2 (sqrt(v_hat) + eps)
        rate = self._lr * self._live.unsqueeze(1)  # (K, 1): 0 for frozen members
        p.addcdiv_(self._adam_m * rate, denom, value=-c2 / (1 - b1 ** t))
        self._loss_sum += loss
        self._gnorm_sum += gnorm
        self._since += 1

    # ---- records
    def _forward_eval(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (K, N, C) of every member on x (N, D), in eval mode, in chunks of points."""
        pop = self.population
        width = max(pop.sizes)
        chunk = max(1, EVAL_ELEMENTS // (pop.n_members * width))
        pop.eval()
        try:
            with torch.no_grad():
                return torch.cat([pop(x[i:i + chunk]) for i in range(0, len(x), chunk)], 1)
        finally:
            pop.train()

    def _record(self) -> None:
        """Evaluate every member and append one history record (one device sync).

        Train metrics use a fixed subset of RECORD_POINTS training points (see _setup_records);
        test metrics use the whole test set.
        """
        ds, t, k = self.ds, self.teacher, len(self.members)
        z = self._forward_eval(self._x_eval)  # (K, n_rec + N_test, C), class-major storage
        nan = torch.full((k,), math.nan, device=self.device)
        with torch.no_grad():
            z_tr = z[:, :self._n_rec]
            te = metrics.Outputs(z[:, self._n_rec:])
            if len(self._rec_y):
                tr = metrics.Outputs(z_tr.index_select(1, self._rec_lab_pos))
                hard, train_acc = metrics.nll(tr, self._rec_y), metrics.accuracy(tr, self._rec_y)
            else:
                hard = train_acc = nan
            if t is not None:
                logp = F.log_softmax(z_tr.index_select(1, self._rec_all_pos).transpose(1, 2) / self._T, 1)  # (K, C, n)
                soft = self._T.view(-1) ** 2 * kl_fm(self._rec_logq_fm, logp)
                fid, kl = metrics.fidelity(te, self._teacher_test), metrics.kl_to_teacher(te, self._teacher_test)
            else:
                soft = fid = kl = nan
            since = max(self._since, 1)
            loss = self._loss_sum / since if self._since else nan
            gnorm = self._gnorm_sum / since if self._since else nan
            row = torch.stack([loss, hard, soft, train_acc, metrics.accuracy(te, ds.y_test),
                               metrics.nll(te, ds.y_test), metrics.ece(te, ds.y_test), fid, kl, gnorm])
            recall = metrics.recall_per_class(te, ds.y_test)  # (K, C)
            row, recall = row.cpu().numpy(), recall.cpu().numpy()
            live, steps, interval = (a.cpu().numpy().copy() for a in (self._live, self._alive_steps, self._loss_sum))
        self._loss_sum.zero_()
        self._gnorm_sum.zero_()
        self._since = 0
        with self._lock:
            for key, values in zip(HISTORY_KEYS, row):
                self._rows[key].append(values)
            self._rows["test_recall"].append(recall)
            self._steps.append(self.t)
            for i in np.flatnonzero(live == 0):
                if self.status[i] == "ok":  # the interval's loss sum says what broke first (nan stays nan)
                    what = ("loss became nan" if math.isnan(interval[i]) else "loss became inf"
                            if math.isinf(interval[i]) else "gradient became nan or inf")
                    self.status[i] = f"diverged at step {int(steps[i]) + 1}: {what}"
            self._history_cache = None

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
            if self._history_cache is None:
                h = {key: np.stack(rows, axis=-1) for key, rows in self._rows.items()}
                h["step"] = np.asarray(self._steps, dtype=np.int64)
                self._history_cache = h
            return self._history_cache

    def snapshot(self, weights: bool = False) -> dict:
        """A picklable copy of the progress: step, history, status, members (and weights if asked)."""
        hist = self.history
        with self._lock:
            snap = {"step": self.t, "history": {k: v.copy() for k, v in hist.items()}, "status": list(self.status),
                    "members": [asdict(m) for m in self.members]}
        if weights:
            snap["weights"] = self.population.arrays()
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
        return evaluate(self._forward_eval(x), None, y, teacher=v, bins=bins)
