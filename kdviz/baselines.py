"""Baselines a distilled market model must beat: the majority class and logistic regression.

Both fit on the train split (unlabelled points, label -1, are ignored) and predict a split of
the same Dataset ("test" by default, or "val"). They work on any Dataset, not only market data.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from kdviz.data.registry import Dataset


@dataclass
class BaselineResult:
    """Predictions of a baseline on one split."""

    name: str
    pred: np.ndarray  # (N,) int class predictions
    proba: np.ndarray  # (N, C) class probabilities
    accuracy: float  # fraction of pred equal to the split's labels


def _train_xy(ds: Dataset) -> tuple[np.ndarray, np.ndarray]:
    x = ds.x_train.detach().cpu().numpy()  # (N_train, D)
    y = ds.y_train.detach().cpu().numpy()  # (N_train,)
    keep = y >= 0
    if not keep.any():
        raise ValueError("the train split has no labelled points to fit a baseline on")
    return x[keep], y[keep]


def _split_xy(ds: Dataset, split: str) -> tuple[np.ndarray, np.ndarray]:
    if split not in ("test", "val"):
        raise ValueError(f"split must be 'test' or 'val', got {split!r}")
    x, y = (ds.x_test, ds.y_test) if split == "test" else (ds.x_val, ds.y_val)
    if x is None:
        raise ValueError(f"dataset {ds.name!r} has no validation split")
    return x.detach().cpu().numpy(), y.detach().cpu().numpy()


def _result(name: str, proba: np.ndarray, y: np.ndarray) -> BaselineResult:
    pred = proba.argmax(axis=1)
    return BaselineResult(name=name, pred=pred, proba=proba, accuracy=float((pred == y).mean()))


def majority_baseline(ds: Dataset, split: str = "test") -> BaselineResult:
    """Always predict the most frequent train class; probabilities are the train class frequencies."""
    _, y_tr = _train_xy(ds)
    x, y = _split_xy(ds, split)
    freq = np.bincount(y_tr, minlength=ds.n_classes) / len(y_tr)  # (C,)
    return _result("majority class", np.tile(freq, (len(x), 1)), y)


def logistic_baseline(ds: Dataset, split: str = "test", C: float = 1.0, seed: int = 0,
                      max_iter: int = 2000) -> BaselineResult:
    """Multinomial logistic regression (scikit-learn, L2 strength 1/C) fitted on the train split.

    With a single class among the train labels there is nothing to fit: the majority baseline
    is returned instead (its name says so).
    """
    if not C > 0:
        raise ValueError(f"regularisation C must be positive, got {C}")
    x_tr, y_tr = _train_xy(ds)
    x, y = _split_xy(ds, split)
    if len(np.unique(y_tr)) < 2:
        return majority_baseline(ds, split)
    model = LogisticRegression(C=C, max_iter=max_iter, random_state=seed).fit(x_tr, y_tr)
    proba = np.zeros((len(x), ds.n_classes))  # (N, C): classes absent from train keep probability 0
    proba[:, model.classes_] = model.predict_proba(x)
    return _result("logistic regression", proba, y)
