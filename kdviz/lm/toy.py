"""The textbook picture of the KL's direction: one bell curve fitted to a two-peaked distribution.

The teacher q is a mixture of two equal Gaussians (at -gap/2 and +gap/2, width ``width``) on a grid
of points; the student p is one Gaussian N(mu, sigma) on the same grid, its logits
-(x - mu)^2 / (2 sigma^2). mu and log sigma are fitted by gradient descent on the very divergences
the language-model students train with (kdviz.lm.losses, over the grid as a vocabulary):
forward KL(q || p) covers both peaks (its optimum matches the mixture's mean and variance),
reverse KL(p || q) settles on one peak, and JSD(beta) lies between.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from kdviz.lm import losses

GRID = torch.linspace(-8.0, 8.0, 641, dtype=torch.float64)  # (G,) the points the distributions live on
FITS = ("forward KL", "reverse KL", "JSD")


@dataclass(frozen=True)
class Fit:
    """One fitted bell curve: its divergence, mean, width, the divergence's value and its probabilities on the grid."""

    divergence: str
    mu: float
    sigma: float
    loss: float
    probs: torch.Tensor  # (G,)


def mixture_logits(gap: float, width: float) -> torch.Tensor:
    """log of the two-peaked teacher (up to a constant) on GRID: (G,)."""
    half = gap / 2
    return torch.logaddexp(-(GRID - half) ** 2 / (2 * width ** 2), -(GRID + half) ** 2 / (2 * width ** 2))


def bell_logits(mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """The student's logits -(x - mu)^2 / (2 sigma^2) on GRID: (G,)."""
    return -(GRID - mu) ** 2 / (2 * torch.exp(2 * log_sigma))


def divergence(name: str, z: torch.Tensor, v: torch.Tensor, beta: float) -> torch.Tensor:
    """The divergence ``name`` of student logits z (G,) from teacher logits v (G,), as the students train with."""
    z, v = z.view(1, 1, -1), v.view(1, 1, -1)
    if name == "forward KL":
        return losses.forward_kl(z, v)
    if name == "reverse KL":
        return losses.reverse_kl(z, v)
    if name == "JSD":
        return losses.jsd(z, v, beta)
    raise ValueError(f"unknown divergence {name!r}; choose from {', '.join(FITS)}")


def fit(name: str, gap: float = 4.0, width: float = 0.7, beta: float = 0.5, start: float = 1.0,
        steps: int = 600) -> Fit:
    """The bell curve minimising divergence ``name`` from the mixture, by Adam from mu = ``start``, sigma = 0.5
    (a start nearer the right peak: the reverse KL has a second, worse minimum covering both peaks, which a
    start in the middle can fall into)."""
    if not (0 < width <= 3 and 0 <= gap <= 8 and all(map(math.isfinite, (gap, width, start)))):
        raise ValueError(f"the peaks need a gap from 0 to 8 and a width from 0 to 3, got gap {gap} and width {width}")
    v = mixture_logits(gap, width)
    mu = torch.tensor(float(start), dtype=torch.float64, requires_grad=True)
    log_sigma = torch.tensor(math.log(0.5), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([mu, log_sigma], lr=0.05)
    for _ in range(steps):
        opt.zero_grad()
        divergence(name, bell_logits(mu, log_sigma), v, beta).backward()
        opt.step()
    with torch.no_grad():
        z = bell_logits(mu, log_sigma)
        return Fit(name, float(mu), float(log_sigma.exp()), float(divergence(name, z, v, beta)), torch.softmax(z, -1))


def teacher_probs(gap: float = 4.0, width: float = 0.7) -> torch.Tensor:
    """The two-peaked teacher's probabilities on GRID: (G,)."""
    return torch.softmax(mixture_logits(gap, width), -1)
