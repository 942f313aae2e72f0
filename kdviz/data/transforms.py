"""Generic Dataset transforms: train-statistics standardisation, and the KD regimes' train sets.

The regimes where soft targets are known to matter are built here from any
Dataset: a transfer set with one class omitted, few labelled points plus unlabelled transfer
points (label -1), and symmetric label noise. Each returns a new Dataset; the input is never
modified, and validation and test splits are left as they are so models stay comparable.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from kdviz.data.registry import Dataset

UNLABELLED = -1  # label of a transfer point whose true label the student may not see


def standardise(train: np.ndarray, *others: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Standardise ``train`` and every array in ``others`` with the mean and std of ``train`` only.

    Returns ([train_std, *others_std] as float32, mean (D,), std (D,)). Constant features keep
    std 1 so they map to 0 instead of dividing by zero.
    """
    train = np.asarray(train, dtype=np.float64)  # (N, D)
    if train.ndim != 2 or len(train) == 0:
        raise ValueError(f"standardise needs a non-empty (N, D) train array, got shape {train.shape}")
    mean = train.mean(axis=0)  # (D,)
    std = train.std(axis=0)  # (D,)
    std = np.where(std > 1e-12, std, 1.0)
    out = [((np.asarray(a, dtype=np.float64) - mean) / std).astype(np.float32) for a in (train, *others)]
    return out, mean, std


def _with_train(ds: Dataset, x_train: torch.Tensor, y_train: torch.Tensor, **info) -> Dataset:
    """A copy of ``ds`` with a new train split and extra info entries."""
    return dataclasses.replace(ds, x_train=x_train, y_train=y_train, info={**ds.info, **info})


def _check_class(ds: Dataset, c: int) -> int:
    if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= int(c) < ds.n_classes:
        raise ValueError(f"class to omit must be an integer from 0 to {ds.n_classes - 1}, got {c!r}")
    return int(c)


def omit_class(ds: Dataset, c: int) -> Dataset:
    """Return ``ds`` whose train set has no example of class ``c`` (validation and test keep it).

    This is Hinton's omitted-digit experiment: a student distilled on this transfer set can still
    learn class ``c`` from the teacher's soft targets on the other classes' images.
    """
    c = _check_class(ds, c)
    keep = ds.y_train != c  # (N_train,)
    if not bool(keep.any()):
        raise ValueError(f"omitting class {ds.class_names[c]!r} would leave no training examples")
    return _with_train(ds, ds.x_train[keep], ds.y_train[keep], omitted_class=c)


def few_labels(ds: Dataset, n_per_class: int, seed: int = 0) -> Dataset:
    """Keep the labels of ``n_per_class`` random train points per class; mark the rest -1.

    The unlabelled points stay in the train set as transfer points a teacher can label. A class
    with fewer than ``n_per_class`` labelled examples keeps all of them; points already marked -1
    stay unlabelled. Seeded: the same seed keeps the same points.
    """
    if isinstance(n_per_class, bool) or not isinstance(n_per_class, (int, np.integer)) or n_per_class < 1:
        raise ValueError(f"labels per class must be a whole number of at least 1, got {n_per_class!r}")
    y = ds.y_train.cpu().numpy()  # (N_train,)
    rng = np.random.default_rng(seed)
    keep = np.zeros(len(y), dtype=bool)
    for c in range(ds.n_classes):
        idx = np.flatnonzero(y == c)
        keep[rng.permutation(idx)[:n_per_class]] = True
    y_new = np.where(keep, y, UNLABELLED)
    y_t = torch.as_tensor(y_new, dtype=torch.int64, device=ds.y_train.device)
    return _with_train(ds, ds.x_train, y_t, n_labelled=int(keep.sum()))


def flip_labels(ds: Dataset, fraction: float, seed: int = 0) -> Dataset:
    """Symmetric label noise on the train set only: a ``fraction`` of labelled points get a wrong label.

    Exactly round(fraction * N_labelled) points are chosen at random and each gets a class drawn
    uniformly from the C - 1 other classes, so ``fraction`` is the true noise rate. Unlabelled
    points (-1) are left alone. info["flipped"] is a bool mask (N_train,) of the changed points.
    """
    if not isinstance(fraction, (int, float, np.floating)) or isinstance(fraction, bool) or not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction of flipped labels must be between 0 and 1, got {fraction!r}")
    if ds.n_classes < 2:
        raise ValueError("flipping labels needs at least 2 classes")
    y = ds.y_train.cpu().numpy().copy()  # (N_train,)
    labelled = np.flatnonzero(y >= 0)
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(labelled)[: int(round(fraction * len(labelled)))]
    shift = rng.integers(1, ds.n_classes, size=len(chosen))  # never 0: the new class always differs
    y[chosen] = (y[chosen] + shift) % ds.n_classes
    flipped = np.zeros(len(y), dtype=bool)
    flipped[chosen] = True
    y_t = torch.as_tensor(y, dtype=torch.int64, device=ds.y_train.device)
    return _with_train(ds, ds.x_train, y_t, flipped=flipped, flip_fraction=float(fraction))
