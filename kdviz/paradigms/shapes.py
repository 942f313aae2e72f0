"""Shape checks and broadcasting shared by the paradigm losses.

Conventions: a student tensor is (B, ...) for one model or (K, B, ...) for a population of K
members; a teacher tensor is either shaped like the student or lacks the K dimension, in which
case it broadcasts over the members. Only shapes, devices and hyperparameters are checked, never
the values of activations or logits: a NaN from a diverging member flows into its loss (so the
engine can freeze that member) and no check forces a device sync.
"""
from __future__ import annotations

import math

import torch

from kdviz.checks import finite_number, finite_numbers
from kdviz.softening import check_labels


def as_float(x, name: str) -> torch.Tensor:
    """``x`` as a floating tensor; tensors keep dtype and device, other inputs become float64."""
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(x, dtype=torch.float64)
    if not t.is_floating_point():
        t = t.to(torch.get_default_dtype())
    return t


def features(h, name: str, min_batch: int = 1) -> torch.Tensor:
    """Validate features of shape (B, D) or (K, B, D) with at least ``min_batch`` samples."""
    t = as_float(h, name)
    if t.dim() not in (2, 3):
        raise ValueError(f"{name} must have shape (batch, width) or (members, batch, width), got {tuple(t.shape)}")
    if t.dim() == 3 and t.shape[0] == 0:
        raise ValueError(f"{name} has an empty population (0 members)")
    if t.shape[-2] < min_batch:
        what = "the batch is empty" if t.shape[-2] == 0 else f"got a batch of {t.shape[-2]}"
        raise ValueError(f"{name} needs a batch of at least {min_batch} samples; {what}")
    if t.shape[-1] == 0:
        raise ValueError(f"{name} has width 0")
    return t


def broadcast_pair(s: torch.Tensor, t: torch.Tensor, s_name: str, t_name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Check that teacher ``t`` broadcasts over student ``s`` (same batch; K only on the student or equal).

    Returns both in one promoted dtype. The last dimension is not compared (widths may differ).
    """
    if s.device != t.device:
        raise ValueError(f"{s_name} is on {s.device} but {t_name} is on {t.device}; put both on one device")
    if t.dim() > s.dim():
        raise ValueError(f"{t_name} has a population dimension {tuple(t.shape)} but {s_name} does not {tuple(s.shape)}")
    if t.shape[-2] != s.shape[-2]:
        raise ValueError(f"{s_name} and {t_name} have different batch sizes: {s.shape[-2]} vs {t.shape[-2]}")
    if t.dim() == s.dim() == 3 and t.shape[0] != s.shape[0]:
        raise ValueError(f"{s_name} has {s.shape[0]} members but {t_name} has {t.shape[0]}")
    dtype = torch.promote_types(s.dtype, t.dtype)
    return s.to(dtype), t.to(dtype)


def feature_pair(h_s, h_t, min_batch: int = 1, same_width: bool = False,
                 names: tuple[str, str] = ("student features", "teacher features")) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate student (B, Ds)/(K, B, Ds) and teacher (B, Dt)/(K, B, Dt) features of one batch."""
    s = features(h_s, names[0], min_batch)
    t = features(h_t, names[1], min_batch)
    if same_width and s.shape[-1] != t.shape[-1]:
        raise ValueError(f"{names[0]} and {names[1]} differ in width ({s.shape[-1]} vs {t.shape[-1]}); "
                         "map the student with a regressor first")
    return broadcast_pair(s, t, *names)


def check_logits(z, name: str = "logits") -> torch.Tensor:
    """Validate logits of shape (B, C) or (K, B, C) with C >= 2 classes and a non-empty batch."""
    t = features(z, name)
    if t.shape[-1] < 2:
        raise ValueError(f"{name} need at least 2 classes in the last dimension, got shape {tuple(t.shape)}")
    return t


def logits_pair(z, v, names: tuple[str, str] = ("student logits", "teacher logits")) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate student logits (B, C)/(K, B, C) and teacher logits (B, C)/(K, B, C) with one class count."""
    s, t = check_logits(z, names[0]), check_logits(v, names[1])
    if s.shape[-1] != t.shape[-1]:
        raise ValueError(f"{names[0]} and {names[1]} have different numbers of classes: "
                         f"{tuple(s.shape)} vs {tuple(t.shape)}")
    return broadcast_pair(s, t, *names)


def labels_for(labels, logits: torch.Tensor) -> torch.Tensor:
    """Class labels (B,) or (K, B) expanded to logits.shape[:-1] and validated (values in [0, C))."""
    y = torch.as_tensor(labels, device=logits.device)
    lead = logits.shape[:-1]
    if y.dim() == 1 and len(lead) == 2 and y.shape[0] == lead[1]:
        y = y.expand(lead)  # (K, B): one label vector shared by the population
    return check_labels(y, logits)


def member_param(x, name: str, lead: tuple[int, ...], low: float = 0.0, high: float = math.inf):
    """A hyperparameter as a float, or a tensor reshaped to ``lead`` ((K,) for a population, () alone).

    Accepts a number, or a tensor with 1 or K elements (e.g. shape (K,) or (K, 1, 1)); every value
    must be finite and lie in [low, high].
    """
    if not isinstance(x, torch.Tensor):
        return finite_number(x, name, low, high)
    k = math.prod(lead)
    if x.numel() not in (1, k):
        raise ValueError(f"{name} needs 1 value or one per member ({k}), got shape {tuple(x.shape)}")
    finite_numbers(x, name, low, high)
    return x.reshape(()) if x.numel() == 1 else x.reshape(lead)


def right(x, n: int):
    """Append ``n`` singleton dimensions to a tensor hyperparameter (floats pass through)."""
    return x.reshape(x.shape + (1,) * n) if isinstance(x, torch.Tensor) else x


def batch_mean(per_sample: torch.Tensor) -> torch.Tensor:
    """Mean over the batch (last) dimension: (K, B) -> (K,), (B,) -> scalar."""
    return per_sample.mean(-1)
