"""Quantities of kdviz.softening evaluated over a range of temperatures, for figures and text.

Each function returns plain float64 NumPy arrays, ready for kdviz.plots; the maths itself lives
in kdviz.softening and is only called here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from kdviz import softening as S

# Temperatures a user can pick on the pages: log-spaced, readable values from 0.1 to 100.
T_CHOICES = (0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0,
             8.0, 10.0, 12.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0)


def t_grid(t_min: float = 0.01, t_max: float = 1e4, points: int = 200) -> np.ndarray:
    """Log-spaced temperatures from t_min to t_max: shape (points,)."""
    return np.logspace(np.log10(t_min), np.log10(t_max), points)


def _vector(x, name: str) -> torch.Tensor:
    """One logit vector as a float64 tensor of shape (N,)."""
    t = S.as_logits(torch.as_tensor(x, dtype=torch.float64), name)
    if t.dim() != 1:
        raise ValueError(f"{name} must be one vector of numbers, got shape {tuple(t.shape)}")
    return t


@dataclass
class TemperatureSweep:
    """Softmax and entropy of one logit vector over temperatures."""

    T: np.ndarray  # (M,) temperatures
    probs: np.ndarray  # (M, N) softmax(z / T) per temperature
    entropy: np.ndarray  # (M,) entropy in nats
    max_entropy: float  # log N, the entropy of the uniform limit


def temperature_sweep(logits, temps: np.ndarray | None = None) -> TemperatureSweep:
    """softmax(z/T) and its entropy for every T in ``temps`` (default 0.01..1e4)."""
    z = _vector(logits, "logits")
    T = t_grid() if temps is None else np.asarray(temps, dtype=np.float64)
    Tt = S.check_temperature(torch.from_numpy(T).unsqueeze(-1))  # (M, 1)
    probs = S.softmax_t(z.unsqueeze(0), Tt)  # (M, N)
    ent = S.entropy(z.unsqueeze(0), Tt)  # (M,)
    return TemperatureSweep(T=T, probs=probs.numpy(), entropy=ent.numpy(), max_entropy=float(np.log(len(z))))


def autograd_soft_gradient(student, teacher, T: float, t_squared: bool = True) -> np.ndarray:
    """The oracle: d[(T^2) KL(q^T||p^T)]/dz computed by torch.autograd, shape (N,)."""
    z = _vector(student, "student logits").clone().requires_grad_(True)
    v = _vector(teacher, "teacher logits")
    loss = S.kl_teacher_student(z, v, T) * (T * T if t_squared else 1.0)
    (g,) = torch.autograd.grad(loss, z)
    return g.numpy()


@dataclass
class GradientSweep:
    """Soft-loss gradient norms and the logit-matching limit over temperatures."""

    T: np.ndarray  # (M,) temperatures
    norm_scaled: np.ndarray  # (M,) ||T (p - q)||, the gradient with the T^2 factor
    norm_plain: np.ndarray  # (M,) ||(p - q) / T||, without it
    loss_scaled: np.ndarray  # (M,) T^2 KL(q^T || p^T)
    limit: float  # (1/2N) ||z~ - v~||^2, the high-T limit of loss_scaled
    limit_error: np.ndarray  # (M,) relative error of the limit at each T


def gradient_sweep(student, teacher, temps: np.ndarray | None = None) -> GradientSweep:
    """Norms of the soft gradient with and without T^2, and the high-T limit error, over T."""
    z, v = _vector(student, "student logits"), _vector(teacher, "teacher logits")
    z, v = S.check_pair(z, v)
    T = t_grid(0.1, 1e4) if temps is None else np.asarray(temps, dtype=np.float64)
    Tt = S.check_temperature(torch.from_numpy(T).unsqueeze(-1))  # (M, 1)
    zz, vv = z.expand(len(T), -1), v.expand(len(T), -1)  # (M, N)
    return GradientSweep(
        T=T,
        norm_scaled=S.soft_gradient(zz, vv, Tt, t_squared=True).norm(dim=-1).numpy(),
        norm_plain=S.soft_gradient(zz, vv, Tt, t_squared=False).norm(dim=-1).numpy(),
        loss_scaled=(S.per_sample(Tt) ** 2 * S.kl_teacher_student(zz, vv, Tt)).numpy(),
        limit=float(S.logit_matching(z, v)),
        limit_error=S.logit_matching_error(zz, vv, Tt).numpy(),
    )


def ranking_never_changes(logits, temps: np.ndarray | None = None) -> bool:
    """Check on these logits that the order of the classes is the same at every T in ``temps``.

    Compared on log-probabilities, which stay distinct where probabilities underflow to 0 at small T;
    a stable sort keeps tied classes in one order. Mathematically always True: softmax(z/T) is
    monotone in z for every T > 0.
    """
    z = _vector(logits, "logits")
    T = t_grid() if temps is None else np.asarray(temps, dtype=np.float64)
    logp = S.log_softmax_t(z.unsqueeze(0), S.check_temperature(torch.from_numpy(T).unsqueeze(-1)))  # (M, N)
    order = torch.sort(z, stable=True).indices
    return bool((torch.sort(logp, dim=-1, stable=True).indices == order).all())


def logit_spread(student, teacher) -> float:
    """The largest centred logit of z and v in absolute value: "high T" means T much larger than this."""
    z, v = _vector(student, "student logits"), _vector(teacher, "teacher logits")
    return float(torch.cat([S.centre(z), S.centre(v)]).abs().max())


def high_t_gradient_norm(student, teacher) -> float:
    """The limit of ||T (p^T - q^T)|| as T -> infinity: ||z~ - v~|| / N with centred logits."""
    z, v = S.check_pair(_vector(student, "student logits"), _vector(teacher, "teacher logits"))
    return float((S.centre(z) - S.centre(v)).norm() / z.shape[-1])
