"""A teacher's outputs on a dataset, computed once, and model evaluation without side effects."""
from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass

import torch
import torch.nn as nn

from kdviz.data.registry import Dataset
from kdviz.device import resolve_device


@dataclass
class TeacherOutputs:
    """A teacher's logits (and hidden taps) on a dataset's train and test inputs, computed once."""

    train: torch.Tensor  # (N, C) logits on x_train
    test: torch.Tensor  # (N_test, C) logits on x_test
    train_taps: dict[str, torch.Tensor] | None = None  # {"h1": (N, H1), ...}
    test_taps: dict[str, torch.Tensor] | None = None


@contextlib.contextmanager
def _as_eval(model: nn.Module):
    """The model in eval mode, restored after; a model already in eval mode (a cached teacher) is not touched."""
    was = model.training
    if was:
        model.eval()
    try:
        yield model
    finally:
        if was:
            model.train(True)


def model_logits(model, x: torch.Tensor, taps: bool = False):
    """Logits of an MLP (N, C) or Population (K, N, C) on x, in eval mode, without grad; with taps if asked."""
    with _as_eval(model), torch.no_grad():
        z, t = model.forward_taps(x)
    return (z, t) if taps else z


def teacher_outputs(teacher: nn.Module, ds: Dataset, device=None, taps: bool = True) -> TeacherOutputs:
    """Run the teacher once over ds.x_train and ds.x_test (eval mode) and keep logits and taps."""
    dev = resolve_device(device) if not isinstance(device, torch.device) else device
    if next(teacher.parameters()).device != dev:
        teacher = copy.deepcopy(teacher).to(dev)  # never move a shared (cached) teacher in place
    dtype = next(teacher.parameters()).dtype  # the teacher's own precision, whatever the data's
    zt, tt = model_logits(teacher, ds.x_train.to(dev, dtype), taps=True)
    zs, ts = model_logits(teacher, ds.x_test.to(dev, dtype), taps=True)
    return TeacherOutputs(zt, zs, tt if taps else None, ts if taps else None)
