"""Inference latency: microseconds per prediction of a torch model (or any callable) at several batch sizes.

Each batch size is timed ``repeats`` times after ``warmup`` untimed calls, under
torch.inference_mode (and eval mode for an nn.Module, restored afterwards); the median time per
call is reported. On CUDA the device is synchronised around each call so the time is the
kernel's, not the launch's.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Latency:
    """Median timing of one batch size."""

    batch_size: int
    us_per_batch: float  # median microseconds per call
    us_per_prediction: float  # us_per_batch / batch_size


def _batch(x, b: int):
    """``b`` rows taken cyclically from example inputs ``x`` (N, D): a tensor or an ndarray like x."""
    idx = np.arange(b) % len(x)
    return x[torch.as_tensor(idx, device=x.device)] if isinstance(x, torch.Tensor) else np.asarray(x)[idx]


def _sync(x) -> None:
    if isinstance(x, torch.Tensor) and x.device.type == "cuda":
        torch.cuda.synchronize(x.device)


def measure_latency(predict, x, batch_sizes: tuple[int, ...] = (1, 1024), repeats: int = 50,
                    warmup: int = 5) -> list[Latency]:
    """Median microseconds per call and per prediction of ``predict(batch)`` for each batch size.

    ``x`` holds example inputs (N, D), a tensor on the model's device or a NumPy array for a
    non-torch callable; batches repeat its rows as needed.
    """
    if not callable(predict):
        raise ValueError("predict must be a callable (a torch model or a function)")
    if len(x) == 0:
        raise ValueError("latency needs at least one example input")
    if repeats < 1 or warmup < 0 or any(b < 1 for b in batch_sizes):
        raise ValueError("repeats and batch sizes must be at least 1, warm-up at least 0")
    module = predict if isinstance(predict, torch.nn.Module) else None
    was_training = module.training if module is not None else False
    if module is not None:
        module.eval()
    out = []
    try:
        with torch.inference_mode():
            for b in batch_sizes:
                batch = _batch(x, b)
                for _ in range(warmup):
                    predict(batch)
                times = np.empty(repeats)
                for k in range(repeats):
                    _sync(batch)
                    t0 = time.perf_counter()
                    predict(batch)
                    _sync(batch)
                    times[k] = time.perf_counter() - t0
                us = float(np.median(times) * 1e6)
                out.append(Latency(batch_size=int(b), us_per_batch=us, us_per_prediction=us / b))
    finally:
        if module is not None:
            module.train(was_training)
    return out
