"""Teachers: an MLP trained with the engine (early stopping on validation), cached in-process."""
from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict

import torch

from kdviz import metrics
from kdviz.data.registry import Dataset
from kdviz.device import resolve_device
from kdviz.models import MLP
from kdviz.train.configs import MemberConfig, TeacherConfig
from kdviz.train.outputs import model_logits
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


_TEACHERS: OrderedDict = OrderedDict()  # (dataset_key, cfg, device) -> trained MLP, most recent last
_TEACHERS_LOCK = threading.Lock()
TEACHER_CACHE_SIZE = 16


def train_teacher(ds: Dataset, cfg: TeacherConfig = TeacherConfig(), device=None) -> MLP:
    """A teacher MLP trained on ds's labelled training points (see TeacherConfig), in eval mode.

    Cached in-process by (data content, cfg, device): the same call returns the same (shared,
    read-only) model. Its ``info`` dict says how training went (best step, validation accuracy,
    steps run, status).
    """
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    key = (dataset_key(ds), cfg, str(dev))
    with _TEACHERS_LOCK:
        if key in _TEACHERS:
            _TEACHERS.move_to_end(key)
            return _TEACHERS[key]
    model = _fit_teacher(ds, cfg, dev)
    with _TEACHERS_LOCK:
        _TEACHERS[key] = model
        while len(_TEACHERS) > TEACHER_CACHE_SIZE:
            _TEACHERS.popitem(last=False)
    return model


def clear_teacher_cache() -> None:
    """Forget every cached teacher."""
    with _TEACHERS_LOCK:
        _TEACHERS.clear()


def _split_validation(ds: Dataset, cfg: TeacherConfig) -> tuple[Dataset, torch.Tensor | None, torch.Tensor | None]:
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
        perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(cfg.seed)).to(y.device)
        xv, yv, x, y = x[perm[:n_val]], y[perm[:n_val]], x[perm[n_val:]], y[perm[n_val:]]
    train = Dataset(ds.name, x, y, ds.x_test, ds.y_test, list(ds.class_names), info=ds.info)
    return train, xv, yv


def _fit_teacher(ds: Dataset, cfg: TeacherConfig, device: torch.device) -> MLP:
    """Train one teacher with the engine (a population of one "baseline" member), early stopping on val."""
    train, xv, yv = _split_validation(ds, cfg)
    run = PopulationRun(train, None, cfg.hidden, [MemberConfig("baseline", lr=cfg.lr, seed=cfg.seed)],
                        batch_size=cfg.batch_size, device=device, activation=cfg.activation,
                        record_every=cfg.eval_every, dropout=cfg.dropout, weight_decay=cfg.weight_decay)
    best, best_model, best_step, stall = (-math.inf, -math.inf), None, 0, 0
    use_val = cfg.early_stopping and xv is not None
    while run.t < cfg.steps:
        run.step(min(cfg.eval_every, cfg.steps - run.t))
        if not use_val:
            continue
        z = run._forward_eval(xv.to(device))[0]  # (N_val, C)
        score = (float(metrics.accuracy(z, yv)), -float(metrics.nll(z, yv)))
        if score > best:
            best, best_model, best_step, stall = score, run.population.member(0), run.t, 0
        else:
            stall += 1
            if stall >= cfg.patience:
                break
    model = (best_model if best_model is not None else run.population.member(0)).eval()
    model.info = {"steps_run": run.t, "best_step": best_step if best_model is not None else run.t,
                  "val_acc": best[0] if best_model is not None else math.nan, "status": run.status[0],
                  "test_acc": float(metrics.accuracy(model_logits(model, ds.x_test.to(device)), ds.y_test.to(device)))}
    return model
