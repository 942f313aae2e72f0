"""The engine's optimiser: Adam over one member-major (K, P) buffer of parameters, a few tensor ops per step.

A population's parameters (and a paradigm's own, such as FitNets' regressors) are views into one
buffer (flatten_parameters), so one adam_update steps every member at its own learning rate. Large
members (FUSED_PARAMS or more parameters each) are stepped by fused_adam_update instead: one fused
kernel per member reads and writes each of the four (K, P) tensors once, where the chain of tensor
ops makes some ten passes and allocates (K, P) temporaries (at 784-800-800-10 that chain took a
quarter of a step on one CPU core).
"""
from __future__ import annotations

import math

import torch

ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults
FUSED_PARAMS = 1 << 17  # parameters per member from which fused_adam_update steps them (toy, digits: the op chain)


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


@torch.no_grad()
def fused_adam_update(p: torch.Tensor, g: torch.Tensor, m: torch.Tensor, v: torch.Tensor, step: torch.Tensor,
                      lrs: list[float], frozen: torch.Tensor, weight_decay: float = 0.0) -> None:
    """adam_update's step with torch's fused Adam kernel (torch.optim.Adam(fused=True)'s), one call per member.

    p, g, m, v: (K, P) as in adam_update; step: a float32 scalar tensor on p's device holding t >= 1;
    lrs: each member's learning rate; frozen (K,) float32 on p's device: 1.0 skips that member's
    update entirely (its weights and moments stay as they are; its gradient may be non-finite),
    0.0 updates it. weight_decay: L2 added to the gradient as torch.optim.Adam does (g is not modified).
    The same update as adam_update up to float rounding (the bias corrections are applied in another order).
    """
    b1, b2 = ADAM_BETAS
    for k, lr in enumerate(lrs):
        torch._fused_adam_([p[k]], [g[k]], [m[k]], [v[k]], [], [step], lr=lr, beta1=b1, beta2=b2,
                           weight_decay=weight_decay, eps=ADAM_EPS, amsgrad=False, maximize=False,
                           found_inf=frozen[k])
