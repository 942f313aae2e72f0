"""The digits teachers of the Dark knowledge page: the normal one and a label-smoothed one.

The normal teacher is the engine's (kdviz.train.train_teacher, cached). The label-smoothed
teacher is trained by the same engine with the same settings, early stopping included, only its
targets differ: (1 - eps) onehot(y) + eps / C (Müller, Kornblith and Hinton 2019). That loss is
registered here as the training method "smoothed_ce" (options {"eps": ...}); eps = 0 gives plain
cross-entropy, so the two teachers differ in nothing but the smoothing.
"""
from __future__ import annotations

import functools
import math
import threading

import torch
import torch.nn.functional as F

from kdviz import metrics
from kdviz.data import make_dataset
from kdviz.data.registry import Dataset
from kdviz.train import METHODS, MemberConfig, PopulationRun, TeacherConfig, model_logits, register_method, train_teacher
from kdviz.train.methods import Batch

# DESIGN.md's measured digits teacher: 64-256-256-10, dropout 0.5, lr 1e-3, early stopping on validation
TEACHER = TeacherConfig(hidden=(256, 256), dropout=0.5, lr=1e-3, steps=1000, seed=0)
SMOOTHING = 0.1  # the label-smoothing eps of the second teacher (Müller et al. used 0.1)


def smoothed_ce(b: Batch) -> torch.Tensor:
    """Label-smoothed cross-entropy per member (K',): -sum_c [(1 - eps) onehot_c + eps / C] log p_c, batch mean."""
    eps = torch.tensor([float(o.get("eps", 0.0)) for o in b.options], device=b.logits_fm.device)  # (K',)
    logp = F.log_softmax(b.logits_fm, 1)  # (K', C, B)
    nll = -logp.gather(1, b.labels.clamp_min(0).unsqueeze(1)).squeeze(1)  # (K', B)
    uniform = -logp.mean(1)  # (K', B): cross-entropy with the uniform distribution
    return ((1 - eps).unsqueeze(1) * nll + eps.unsqueeze(1) * uniform).mean(-1)


if "smoothed_ce" not in METHODS:  # registered once per process (modules may be re-imported by Streamlit)
    register_method("smoothed_ce", teacher=False, unlabelled=False)(smoothed_ce)


@functools.lru_cache(maxsize=4)
def digits_data(seed: int = 0) -> Dataset:
    """The digits Dataset (train, validation, test; stratified, seeded), built once per process."""
    return make_dataset("digits", seed=seed)


_SMOOTHED: dict = {}
_LOCK = threading.Lock()


def teacher_for(ds: Dataset, eps: float = 0.0, cfg: TeacherConfig = TEACHER):
    """The digits teacher trained with label smoothing ``eps`` (0: the engine's cached teacher), eval mode.

    eps > 0 trains the same MLP with the same settings and early stopping on ds's validation split,
    with the "smoothed_ce" method; cached per process by (data, cfg, eps).
    """
    eps = float(eps)
    if not 0.0 <= eps < 1.0:
        raise ValueError(f"label smoothing must be in [0, 1), got {eps}")
    if eps == 0.0:
        return train_teacher(ds, cfg)
    from kdviz.train import dataset_key

    key = (dataset_key(ds), cfg, eps)
    with _LOCK:
        if key in _SMOOTHED:
            return _SMOOTHED[key]
    model = _fit_smoothed(ds, cfg, eps)
    with _LOCK:
        _SMOOTHED[key] = model
    return model


def _fit_smoothed(ds: Dataset, cfg: TeacherConfig, eps: float):
    """Train one teacher with smoothed targets; keep the weights with the best validation (accuracy, -NLL)."""
    if ds.x_val is None:
        raise ValueError("the label-smoothed teacher needs a dataset with a validation split")
    train = Dataset(ds.name, ds.x_train, ds.y_train, ds.x_val, ds.y_val, list(ds.class_names))  # test = val here
    run = PopulationRun(train, None, cfg.hidden, [MemberConfig("smoothed_ce", lr=cfg.lr, seed=cfg.seed,
                                                               options={"eps": eps})],
                        batch_size=cfg.batch_size, activation=cfg.activation, record_every=cfg.eval_every,
                        dropout=cfg.dropout, weight_decay=cfg.weight_decay)
    best, best_model, stall = (-math.inf, -math.inf), None, 0
    while run.t < cfg.steps:
        run.step(min(cfg.eval_every, cfg.steps - run.t))
        model = run.population.member(0).eval()
        z = model_logits(model, ds.x_val)  # (N_val, C)
        score = (float(metrics.accuracy(z, ds.y_val)), -float(metrics.nll(z, ds.y_val)))
        if score > best:
            best, best_model, stall = score, model, 0
        else:
            stall += 1
            if stall >= cfg.patience:
                break
    best_model.info = {"steps_run": run.t, "val_acc": best[0], "smoothing": eps,
                       "test_acc": float(metrics.accuracy(model_logits(best_model, ds.x_test), ds.y_test))}
    return best_model
