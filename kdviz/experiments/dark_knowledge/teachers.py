"""The digits teachers of the Dark knowledge page: a normal one and a label-smoothed one, trained alike.

Both are 64-256-256-10 MLPs with dropout 0.5, lr 1e-3 and early stopping on the validation
split, trained by the engine's one teacher trainer (kdviz.train.train_teacher, cached); the
smoothed one trains on (1 - eps) onehot(y) + eps / C (the "smoothed_ce" method, Müller,
Kornblith and Hinton 2019), so the two differ in nothing but the smoothing.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from kdviz.config import setting
from kdviz.data import make_dataset
from kdviz.data.registry import Dataset
from kdviz.experiments.dark_knowledge.settings import from_teachers
from kdviz.experiments.protocol import Experiment, Phase
from kdviz.train import TeacherConfig, model_logits, train_teacher

TEACHER = TeacherConfig(hidden=(256, 256), dropout=0.5, lr=1e-3, steps=1000, seed=0)
SMOOTHING = 0.1  # the label-smoothing eps of the second teacher (Müller et al. used 0.1)


@functools.lru_cache(maxsize=4)
def digits_data(seed: int = 0) -> Dataset:
    """The digits Dataset (train, validation, test; stratified, seeded), built once per process."""
    return make_dataset("digits", seed=seed)


def teacher_config(eps: float = 0.0, cfg: TeacherConfig = TEACHER) -> TeacherConfig:
    """The digits teacher's settings with label smoothing ``eps`` (0: plain cross-entropy)."""
    eps = float(eps)
    if not 0.0 <= eps < 1.0:
        raise ValueError(f"label smoothing must be in [0, 1), got {eps}")
    return cfg if eps == 0.0 else replace(cfg, method="smoothed_ce", options=(("eps", eps),))


def teacher_for(ds: Dataset, eps: float = 0.0, device=None, hook=None):
    """The digits teacher trained with label smoothing ``eps`` (cached), in eval mode; ``hook``: its training run's
    step hook."""
    return train_teacher(ds, teacher_config(eps), device, hook)


@dataclass
class TeachersConfig:
    """Which two teachers to train."""

    eps: float = setting(SMOOTHING, "Label smoothing of the second teacher", lo=0.0, hi=0.5, step=0.05)


@dataclass
class TeachersSnapshot:
    """Both teachers' outputs on the digits test set."""

    progress: float
    logits: np.ndarray  # (2, N, C) float32: normal, smoothed
    labels: np.ndarray  # (N,)
    images: np.ndarray  # (N, 8, 8) raw pixels
    test_acc: np.ndarray  # (2,)
    eps: float


def run(cfg: TeachersConfig, device: str | None = None, hook=None) -> Iterator:
    """Train (or fetch from this process's cache) both teachers; yield their test logits.

    hook: called before each training step (a job's preemption point), or None.
    """
    ds = digits_data(0)
    logits = []
    for i, e in enumerate((0.0, cfg.eps)):
        yield Phase("teachers", i / 2, f"Training teacher {i + 1} of 2…")
        logits.append(model_logits(teacher_for(ds, e, device, hook), ds.x_test).cpu().numpy())  # (N, C)
    z = np.stack(logits).astype(np.float32)  # (2, N, C)
    y = ds.y_test.numpy()
    yield TeachersSnapshot(1.0, z, y, ds.info["images_test"], (z.argmax(-1) == y).mean(-1), float(cfg.eps))


def names(snap: TeachersSnapshot) -> tuple[str, str]:
    """The two teachers' labels on the page, with their test accuracy."""
    acc = snap.test_acc
    return (f"normal teacher ({acc[0]:.1%} test)",
            f"label-smoothed teacher, eps {snap.eps:g} ({acc[1]:.1%} test)")


def models(cfg: TeachersConfig, snap: TeachersSnapshot) -> list[dict]:
    """One row per teacher: what it is (architecture, label smoothing, training settings) and its test accuracy."""
    return [{"role": role, "dataset": "digits", "method": teacher_config(e).method, "eps": float(e),
             "seed": TEACHER.seed, "lr": TEACHER.lr, "steps": TEACHER.steps, "status": "ok",
             "architecture": "-".join(map(str, (64, *TEACHER.hidden, 10))), "accuracy": float(a)}
            for role, e, a in zip(("normal teacher", "label-smoothed teacher"), (0.0, snap.eps), snap.test_acc)]


EXPERIMENT = Experiment("dark_teachers", "The digits teachers: normal and label-smoothed", TeachersConfig, run,
                        TeachersSnapshot, students=models, weights=lambda cfg, snap, k: None, page_config=from_teachers)
