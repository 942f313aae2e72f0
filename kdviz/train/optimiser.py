"""The engine's optimiser: Adam over one member-major (K, P) buffer of parameters, a few tensor ops per step.

A population's parameters (and a paradigm's own, such as FitNets' regressors) are views into one
buffer (flatten_parameters), so one adam_update steps every member at its own learning rate.
"""
from __future__ import annotations

import math

import torch

ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults


def flatten_parameters(params: list[torch.Tensor], k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Make every parameter (K, ...) and its .grad a view into one member-major (K, P) buffer: (values, grads)."""
    flat = torch.cat([p.detach().reshape(k, -1) for p in params], 1).contiguous()  # (K, P)
    grad = torch.zeros_like(flat)  # (K, P)
    off = 0
    for p in params:
        n = p[0].numel()
        p.data = flat[:, off:off + n].view(p.shape)
        p.grad = grad[:, off:off + n].view(p.shape)
        off += n
    return flat, grad


@torch.no_grad()
def adam_update(p: torch.Tensor, g: torch.Tensor, m: torch.Tensor, v: torch.Tensor, t: int, rate: torch.Tensor) -> None:
    """One torch.optim.Adam update of p (K, P) with gradient g and moments m, v (updated in place) at step t >= 1.

    rate (K, 1): each member's learning rate (0 freezes it). The bias corrections are folded into
    the step size: p -= rate m / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps), in a handful of tensor ops.
    """
    b1, b2 = ADAM_BETAS
    c2 = math.sqrt(1 - b2 ** t)
    m.lerp_(g, 1 - b1)
    v.mul_(b2).addcmul_(g, g, value=1 - b2)
    denom = v.sqrt().add_(ADAM_EPS * c2)  # c2 (sqrt(v_hat) + eps)
    p.addcdiv_(m * rate, denom, value=-c2 / (1 - b1 ** t))
