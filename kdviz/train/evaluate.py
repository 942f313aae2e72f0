"""Evaluation of trained models and populations, and class probabilities on a 2-D grid over the data's plane."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from kdviz import metrics
from kdviz.train.configs import whole
from kdviz.train.outputs import model_logits


def evaluate(model, x, y, teacher=None, bins: int = metrics.ECE_BINS) -> dict[str, np.ndarray]:
    """Accuracy, balanced accuracy, NLL, ECE and per-class recall (and, given a teacher, fidelity and
    KL to the teacher) of a model on (x, y), as NumPy values.

    model: an MLP, a Population (values per member, shape (K,)), or logits (N, C)/(K, N, C) with x
    None. teacher: a model or teacher logits on the same x. All metrics come from kdviz.metrics.
    """
    z = model if isinstance(model, torch.Tensor) else model_logits(model, x)
    out = {"accuracy": metrics.accuracy(z, y), "balanced_accuracy": metrics.balanced_accuracy(z, y),
           "nll": metrics.nll(z, y), "ece": metrics.ece(z, y, bins), "recall": metrics.recall_per_class(z, y)}
    if teacher is not None:
        v = teacher if isinstance(teacher, torch.Tensor) else model_logits(teacher, x)
        out["fidelity"] = metrics.fidelity(z, v)
        out["kl_to_teacher"] = metrics.kl_to_teacher(z, v)
    return {k: v.detach().cpu().numpy() for k, v in out.items()}


def plane_extent(x, pad: float = 0.5) -> tuple[tuple[float, float], tuple[float, float]]:
    """The plot range around 2-D points x (N, 2): ((x_lo, x_hi), (y_lo, y_hi)), ``pad`` beyond the data."""
    a = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if a.ndim != 2 or a.shape[1] != 2 or len(a) == 0:
        raise ValueError(f"a plane extent needs points of shape (N, 2), got {a.shape}")
    lo, hi = a.min(0) - pad, a.max(0) + pad
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


@dataclass
class GridPredictions:
    """Class probabilities over a regular 2-D grid, for decision-region heatmaps."""

    xs: np.ndarray  # (W,) grid x coordinates
    ys: np.ndarray  # (H,) grid y coordinates
    probs: np.ndarray  # (H, W, C) for one model, (K, H, W, C) for a population


def grid_predictions(model, xlim: tuple[float, float], ylim: tuple[float, float], resolution: int = 100,
                     chunk: int = 65_536) -> GridPredictions:
    """Softmax probabilities of an MLP or Population on a resolution x resolution grid over xlim x ylim."""
    resolution = whole(resolution, "grid resolution", 2, 1000)
    for name, (lo, hi) in (("x", xlim), ("y", ylim)):
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"{name} range must be two finite numbers, low < high, got ({lo}, {hi})")
    if model.sizes[0] != 2:
        raise ValueError(f"decision regions need a model with 2 inputs, this one has {model.sizes[0]}")
    dev = next(model.parameters()).device
    xs, ys = np.linspace(*xlim, resolution), np.linspace(*ylim, resolution)
    gx, gy = np.meshgrid(xs, ys)  # (H, W)
    pts = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32)).to(dev)  # (H*W, 2)
    parts = [metrics.log_softmax_classes(model_logits(model, pts[i:i + chunk])).exp()
             for i in range(0, len(pts), chunk)]
    probs = torch.cat(parts, -2).cpu().numpy()  # (..., H*W, C)
    return GridPredictions(xs, ys, probs.reshape(*probs.shape[:-2], resolution, resolution, probs.shape[-1]))
