"""A realistic fake workload for the job pool's tests and benchmark."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch

from kdviz.jobs.worker import Control
from kdviz.softening import kd_loss


# --------------------------------------------------------------------------- fake workload
def demo_task(config: Mapping[str, Any], emit: Callable, control: Control) -> None:
    """A realistic small workload for tests and benchmarks: a 2-16-2 MLP distilled with Adam on moons.

    Each step is one KD step (kd_loss at T=4, alpha=0.1 against fixed, precomputed teacher logits),
    Python-bound like the engine's. config: steps (500), chunk (25 steps per emit), n (2000
    points), batch (64), lr (1e-2), seed (0), device ("cpu"). Emits {"step", "steps", "progress",
    "loss": [...], "accuracy"}. Deterministic: the same config gives the same numbers anywhere.
    """
    steps, chunk, n, batch = (int(config.get(k, d)) for k, d in
                              (("steps", 500), ("chunk", 25), ("n", 2000), ("batch", 64)))
    if min(steps, chunk, n, batch) < 1:
        raise ValueError("demo_task needs steps, chunk, n and batch >= 1")
    device = torch.device(config.get("device", "cpu"))
    g = torch.Generator().manual_seed(int(config.get("seed", 0)))
    t = torch.rand(n, generator=g) * math.pi  # (n,)
    y = torch.arange(n) % 2  # (n,)
    upper = y == 0  # (n,) two interleaved half circles
    x = torch.stack([torch.where(upper, torch.cos(t), 1 - torch.cos(t)),
                     torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))], 1)  # (n, 2)
    x = (x + 0.1 * torch.randn(n, 2, generator=g)).to(device)
    y = y.to(device)
    teacher = (3.0 * (2 * torch.nn.functional.one_hot(y, 2) - 1) + torch.randn(n, 2, generator=g)).to(device)  # (n, 2)
    params = [torch.randn(2, 16, generator=g) / math.sqrt(2), torch.zeros(16),
              torch.randn(16, 2, generator=g) / 4, torch.zeros(2)]
    w1, b1, w2, b2 = params = [p.to(device).requires_grad_() for p in params]
    opt = torch.optim.Adam(params, lr=float(config.get("lr", 1e-2)), foreach=True)
    order = torch.randperm(n, generator=g).to(device)  # (n,)
    losses: list[float] = []
    step = 0
    while step < steps and control.proceed():
        for _ in range(min(chunk, steps - step)):
            start = (step * batch) % n
            idx = order[start:start + batch]  # (B,)
            z = torch.tanh(x[idx] @ w1 + b1) @ w2 + b2  # (B, 2)
            loss = kd_loss(z, teacher[idx], y[idx], T=4.0, alpha=0.1).total.mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
        with torch.no_grad():
            acc = (torch.tanh(x @ w1 + b1) @ w2 + b2).argmax(1).eq(y).float().mean().item()
        losses.append(loss.item())
        emit({"step": step, "steps": steps, "progress": step / steps, "loss": losses, "accuracy": acc})
