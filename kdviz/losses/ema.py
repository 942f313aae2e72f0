"""Mean teacher (Tarvainen & Valpola 2017): an EMA of the student's weights as the teacher.

After each optimiser step the teacher's weights move toward the student's (ema_update with a
decay from ema_decay); the student is trained with its usual loss plus a consistency loss to the
teacher's outputs, weighted by sigmoid_rampup. Weights may be stacked per member (K, ...).
"""
from __future__ import annotations

import math
import operator
from collections.abc import Iterable

import torch
import torch.nn as nn
import torch.nn.functional as F

from kdviz.losses._shapes import batch_mean, logits_pair
from kdviz.softening import kl_from_log


def _count(n, name: str) -> int:
    """``n`` as a whole number >= 0 (ints and NumPy integers), else a ValueError."""
    try:
        i = operator.index(n)
    except TypeError:
        raise ValueError(f"{name} must be a whole number >= 0, got {n!r}") from None
    if i < 0 or isinstance(n, bool):
        raise ValueError(f"{name} must be a whole number >= 0, got {n!r}")
    return i


def ema_decay(step: int, decay: float = 0.999, rampup_steps: int | None = None, rampup_decay: float = 0.99) -> float:
    """EMA decay at optimiser step ``step`` (0-based).

    With ``rampup_steps``: ``rampup_decay`` (0.99) during the first rampup_steps steps, ``decay``
    (0.999) after, as in the paper. Without: min(1 - 1/(step + 1), decay), the form of the
    authors' code, which makes the teacher the plain average of the students seen so far early on.
    """
    step = _count(step, "step")
    for name, d in (("decay", decay), ("rampup decay", rampup_decay)):
        if not (isinstance(d, (int, float)) and 0.0 <= d <= 1.0):
            raise ValueError(f"{name} must be a number in [0, 1], got {d!r}")
    if rampup_steps is None:
        return min(1.0 - 1.0 / (step + 1), float(decay))
    rampup_steps = _count(rampup_steps, "rampup_steps")
    return float(rampup_decay if step < rampup_steps else decay)


def sigmoid_rampup(step: int, rampup_steps: int) -> float:
    """Consistency-weight ramp-up exp(-5 (1 - t)^2), t = min(step / rampup_steps, 1); 1 when rampup_steps = 0."""
    step, rampup_steps = _count(step, "step"), _count(rampup_steps, "rampup_steps")
    if rampup_steps == 0:
        return 1.0
    t = min(step / rampup_steps, 1.0)
    return math.exp(-5.0 * (1.0 - t) ** 2)


def _tensors(params, name: str) -> list[torch.Tensor]:
    """Parameters of a module, or a tensor, or an iterable of tensors, as a list."""
    if isinstance(params, nn.Module):
        return list(params.parameters())
    if isinstance(params, torch.Tensor):
        return [params]
    if not isinstance(params, Iterable):
        raise ValueError(f"{name} must be a module, a tensor or a list of tensors")
    return list(params)


@torch.no_grad()
def ema_update(teacher_params, student_params, decay) -> None:
    """In place: theta_t <- decay * theta_t + (1 - decay) * theta_s, for each tensor pair.

    teacher_params, student_params: modules, tensors or lists of tensors of matching shapes (stacked
    (K, ...) population weights included). decay: a number in [0, 1], or a tensor of one decay per
    member (K,) applied along each tensor's first dimension.
    """
    ts, ss = _tensors(teacher_params, "teacher parameters"), _tensors(student_params, "student parameters")
    if len(ts) != len(ss):
        raise ValueError(f"teacher has {len(ts)} parameter tensors but student has {len(ss)}")
    for i, (t, s) in enumerate(zip(ts, ss)):
        if t.shape != s.shape:
            raise ValueError(f"parameter {i}: teacher shape {tuple(t.shape)} differs from student {tuple(s.shape)}")
    if not isinstance(decay, torch.Tensor):
        d = float(decay)
        if not 0.0 <= d <= 1.0:
            raise ValueError(f"EMA decay must be in [0, 1], got {decay!r}")
        if ts:
            torch._foreach_lerp_(ts, ss, 1.0 - d)  # theta_t + (1 - d)(theta_s - theta_t)
        return
    if ((decay < 0) | (decay > 1) | ~torch.isfinite(decay)).any():
        raise ValueError("EMA decays must lie in [0, 1]")
    for t, s in zip(ts, ss):
        if decay.numel() != 1 and (t.dim() == 0 or t.shape[0] != decay.numel()):
            raise ValueError(f"{decay.numel()} per-member decays do not match a parameter of shape {tuple(t.shape)}")
        w = (1 - decay).to(t)  # (K,) -> (K, 1, ..., 1) along the member dimension
        t.lerp_(s, w.reshape(()) if w.numel() == 1 else w.reshape((-1,) + (1,) * (t.dim() - 1)))


def consistency_loss(z, z_target, kind: str = "mse") -> torch.Tensor:
    """Mean-teacher consistency between student outputs and the (EMA) teacher's, batch mean.

    kind="mse": (1/C) ||softmax(z) - softmax(z_target)||^2 per sample (the paper's choice);
    kind="kl": KL(softmax(z_target) || softmax(z)). At T = 1; the target is detached.
    z: (B, C)/(K, B, C); z_target: same or (B, C). Returns (K,) or a scalar.
    """
    z, zt = logits_pair(z, z_target, names=("student logits", "teacher logits"))
    logp, logq = F.log_softmax(z, -1), F.log_softmax(zt.detach(), -1)  # (K, B, C)
    if kind == "mse":
        per_sample = ((logp.exp() - logq.exp()) ** 2).mean(-1)
    elif kind == "kl":
        per_sample = kl_from_log(logq, logp)
    else:
        raise ValueError(f"consistency kind must be 'mse' or 'kl', got {kind!r}")
    return batch_mean(per_sample)
