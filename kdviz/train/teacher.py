"""Teachers: MLPs (or ensembles of them) trained with the engine, kept at their best validation score, cached.

One trainer serves every teacher of the app: train_checkpointed trains a PopulationRun in chunks
and keeps, for each member, the weights of the chunk with the best validation score (Checkpoints:
accuracy, then lower NLL; ties keep the earlier checkpoint), stopping once every member has
stalled for ``patience`` checks. train_teacher (one MLP) and train_ensemble (a Population of MLPs with
consecutive seeds) run it from a TeacherConfig and cache the result in-process by (data
content, config, device), and on disk for the registered datasets (teacher_store).
"""
from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import torch

from kdviz import metrics
from kdviz.data.registry import Dataset
from kdviz.device import resolve_device
from kdviz.models import MLP, Population
from kdviz.train.configs import MemberConfig, TeacherConfig
from kdviz.train.outputs import model_logits
from kdviz.train import teacher_store
from kdviz.train.run import PopulationRun


def dataset_key(ds: Dataset) -> str:
    """A content hash of what a teacher is trained on (train and validation tensors, class names)."""
    h = hashlib.sha1(repr((ds.name, list(ds.class_names))).encode())
    for t in (ds.x_train, ds.y_train, ds.x_val, ds.y_val):
        if t is None:
            h.update(b"none")
            continue
        a = t.detach().cpu().contiguous().numpy()
        h.update(repr((a.shape, a.dtype.str)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


class Checkpoints:
    """Each member's best weights so far on a validation set, scored after every chunk of training.

    The score is (accuracy, -NLL), compared in that order; ties keep the earlier checkpoint, so
    the rule is deterministic. val: (x (N, D), y (N,)), or None to keep the final weights.
    patience: ``stalled`` turns True once every member went that many checks without improving
    (None: never).
    """

    def __init__(self, run: PopulationRun, val: tuple[torch.Tensor, torch.Tensor] | None, patience: int | None = None):
        k = len(run.members)
        self.run, self.patience = run, patience
        self.val = None if val is None else (val[0].to(run.device), val[1].to(run.device))
        self.scores = [(-math.inf, -math.inf)] * k  # (accuracy, -NLL) per member
        self.kept: list[MLP | None] = [None] * k
        self.best_step = np.zeros(k, dtype=np.int64)
        self.stall = np.zeros(k, dtype=np.int64)

    def update(self) -> None:
        """Score every member now and keep the weights of those that improved."""
        if self.val is None:
            return
        z = self.run.logits(self.val[0])  # (K, N, C)
        acc, nll = metrics.accuracy(z, self.val[1]), metrics.nll(z, self.val[1])
        for i in range(len(self.kept)):
            score = (float(acc[i]), -float(nll[i]))
            if score > self.scores[i]:
                self.scores[i], self.kept[i], self.best_step[i], self.stall[i] = score, self.run.population.member(i), \
                    self.run.t, 0
            else:
                self.stall[i] += 1

    @property
    def stalled(self) -> bool:
        """Whether every member has gone ``patience`` checks without improving."""
        return self.val is not None and self.patience is not None and bool(self.stall.min() >= self.patience)

    def best(self) -> Population:
        """Each member's kept weights (its final ones if it never improved or there is no val), eval mode.

        ``info``: val_accuracy (K,) (NaN without val), best_step (K,), steps_run.
        """
        run, kept = self.run, self.kept
        pop = Population.from_models([m if m is not None else run.population.member(i)
                                      for i, m in enumerate(kept)]).eval()
        pop.info = {"val_accuracy": np.array([s[0] if m is not None else math.nan for s, m in zip(self.scores, kept)]),
                    "best_step": np.where([m is not None for m in kept], self.best_step, run.t), "steps_run": run.t}
        return pop


def checkpointed(run, steps: int, every: int, val: tuple[torch.Tensor, torch.Tensor] | None,
                 patience: int | None = None) -> Checkpoints:
    """Train ``run`` for up to ``steps`` steps in chunks of ``every``, scoring each chunk; the Checkpoints kept.

    ``run``: a PopulationRun, or any run with its ``members``, ``device``, ``t``, ``step(n)``, ``logits(x)`` (K, N, C)
    and ``population.member(i)`` (a copy of member i)."""
    checkpoints = Checkpoints(run, val, patience)
    while run.t < steps and not checkpoints.stalled:
        run.step(min(every, steps - run.t))
        checkpoints.update()
    return checkpoints


def train_checkpointed(run: PopulationRun, steps: int, every: int, val: tuple[torch.Tensor, torch.Tensor] | None,
                       patience: int | None = None) -> Population:
    """Train ``run`` for up to ``steps`` steps in chunks of ``every``; return each member's best weights (Checkpoints)."""
    return checkpointed(run, steps, every, val, patience).best()


def split_validation(ds: Dataset, cfg: TeacherConfig) -> tuple[Dataset, tuple | None]:
    """Labelled training data for the teacher, and validation data (the dataset's, or held out of train)."""
    lab = ds.y_train >= 0
    x, y = ds.x_train[lab], ds.y_train[lab]
    if len(y) == 0:
        raise ValueError("the teacher needs labelled training points, but every label is -1")
    xv, yv = ds.x_val, ds.y_val
    if cfg.early_stopping and xv is None:
        n_val = int(round(cfg.val_fraction * len(y)))
        if n_val < 1 or n_val >= len(y):
            raise ValueError(f"{len(y)} labelled points are too few to hold out {cfg.val_fraction:.0%} for validation")
        perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(cfg.seed), device="cpu").to(y.device)
        xv, yv, x, y = x[perm[:n_val]], y[perm[:n_val]], x[perm[n_val:]], y[perm[n_val:]]
    train = Dataset(ds.name, x, y, ds.x_test, ds.y_test, list(ds.class_names), info=ds.info)
    return train, ((xv, yv) if cfg.early_stopping and xv is not None else None)


def _fit(ds: Dataset, cfg: TeacherConfig, device: torch.device, hook: Callable | None = None) -> Population:
    """Train cfg.members teachers as one population of ``cfg.method`` members, checkpointed on validation
    (``hook``: the run's step hook, PopulationRun's)."""
    train, val = split_validation(ds, cfg)
    members = [MemberConfig(cfg.method, lr=cfg.lr, seed=s, options=dict(cfg.options)) for s in cfg.seeds]
    run = PopulationRun(train, None, cfg.hidden, members, batch_size=cfg.batch_size, device=device,
                        activation=cfg.activation, record_every=cfg.eval_every, dropout=cfg.dropout,
                        weight_decay=cfg.weight_decay, hook=hook)
    pop = train_checkpointed(run, cfg.steps, cfg.eval_every, val, cfg.patience)
    pop.info.update(status=list(run.status), test_acc=metrics.accuracy(
        model_logits(pop, ds.x_test.to(device)), ds.y_test.to(device)).cpu().numpy())
    return pop


_TEACHERS: OrderedDict = OrderedDict()  # (kind, dataset_key, cfg, device) -> trained model, most recent last
_TEACHERS_LOCK = threading.Lock()
TEACHER_CACHE_SIZE = 16


def cached_teacher(kind: str, ds: Dataset, cfg, device, make: Callable[[Population], torch.nn.Module],
            hook: Callable | None = None, fit: Callable = _fit):
    """The model ``make(fit(ds, cfg, device, hook))`` for this data, config and device, from the cache when it is
    there: in this process, else on disk (teacher_store, registered datasets only), else trained now (``hook`` called
    before each training step, as PopulationRun's; it is not part of the key). ``fit``: how a teacher of this kind
    trains (an MLP population by default); ``cfg``: its hashable settings."""
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    key = (kind, dataset_key(ds), cfg, str(dev))
    with _TEACHERS_LOCK:
        if key in _TEACHERS:
            _TEACHERS.move_to_end(key)
            return _TEACHERS[key]
    model = teacher_store.load(key, dev) if teacher_store.storable(ds) else None
    if model is None:
        model = make(fit(ds, cfg, dev, hook))
        if teacher_store.storable(ds):
            teacher_store.store(key, model)
    with _TEACHERS_LOCK:
        _TEACHERS[key] = model
        while len(_TEACHERS) > TEACHER_CACHE_SIZE:
            _TEACHERS.popitem(last=False)
    return model


def _single(pop: Population) -> MLP:
    """The one member of a trained population as an MLP (eval mode) with the population's info per member."""
    model = pop.member(0).eval()
    info = pop.info
    model.info = {"steps_run": info["steps_run"], "best_step": int(info["best_step"][0]),
                  "val_acc": float(info["val_accuracy"][0]), "status": info["status"][0],
                  "test_acc": float(info["test_acc"][0])}
    return model


def train_teacher(ds: Dataset, cfg: TeacherConfig = TeacherConfig(), device=None, hook: Callable | None = None) -> MLP:
    """A teacher MLP trained on ds's labelled training points (see TeacherConfig), in eval mode.

    Cached in-process by (data content, cfg, device): the same call returns the same (shared,
    read-only) model. Its ``info`` dict says how training went (best step, validation accuracy,
    steps run, status, test accuracy). ``hook``: PopulationRun's step hook while it trains (a job's preemption point).
    """
    if cfg.members != 1:
        raise ValueError(f"train_teacher trains one teacher; use train_ensemble for {cfg.members} members")
    return cached_teacher("teacher", ds, cfg, device, _single, hook)


def train_ensemble(ds: Dataset, cfg: TeacherConfig, device=None, hook: Callable | None = None) -> Population:
    """cfg.members teachers (seeds cfg.seeds) trained as one population, each at its best validation score.

    Returns the Population in eval mode with ``info`` (val_accuracy, best_step, test_acc per
    member, steps_run); cached like train_teacher (``hook`` as there).
    """
    return cached_teacher("ensemble", ds, cfg, device, lambda pop: pop, hook)


def clear_teacher_cache() -> None:
    """Forget every teacher cached in this process (the disk store keeps its own, keyed by the code version)."""
    with _TEACHERS_LOCK:
        _TEACHERS.clear()
