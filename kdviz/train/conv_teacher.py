"""A convolutional teacher for the image datasets: a ConvNet trained once with early stopping, cached and stored.

train_conv_teacher trains kdviz.train.conv_net.ConvNet on a dataset's labelled 28x28 training images
with Adam, scores it on the validation images every ``eval_every`` steps and keeps the weights of
the best check (kdviz.train.teacher.checkpointed: accuracy, then lower NLL; stops after ``patience``
checks without improving), exactly as the MLP teachers are kept. It is cached like them, in-process
and on disk for the registered datasets (teacher_store, kind "conv"), keyed by the data, the
settings, the device and the code version, so a page trains it once. Its outputs (logits and the
dense layer's tap) are what distillation reads: the students stay MLPs.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from kdviz import metrics
from kdviz.data.registry import Dataset
from kdviz.train.configs import check_schedule, whole
from kdviz.train.conv_net import ConvNet, image_side
from kdviz.train.outputs import model_logits
from kdviz.train.teacher import cached_teacher, checkpointed, split_validation


@dataclass(frozen=True)
class ConvTeacherConfig:
    """How the convolutional teacher trains (hashable: part of the teacher cache key)."""

    channels: tuple[int, int] = (16, 32)  # the two convolutions' output channels
    hidden: int = 128  # the dense (penultimate) layer's width: the teacher features
    lr: float = 1e-3  # Adam learning rate
    steps: int = 1000  # maximum number of optimiser steps
    batch_size: int = 64  # images per step
    seed: int = 0  # initial weights, batch order and the held-out split
    early_stopping: bool = True  # keep the weights with the best validation score
    eval_every: int = 50  # steps between validation checks
    patience: int | None = 5  # validation checks without improvement before stopping (None: train every step)
    val_fraction: float = 0.15  # share of train held out for validation when the dataset has no val split

    def __post_init__(self):
        object.__setattr__(self, "channels", tuple(whole(c, "channels", 1, 512) for c in self.channels))
        if len(self.channels) != 2:
            raise ValueError(f"the convolutional teacher has two convolutions, got channels {list(self.channels)}")
        whole(self.hidden, "dense width", 1, 4096)
        check_schedule(self)


def side_of(ds: Dataset) -> int:
    """The side of ds's square images (ValueError naming the dataset when its rows are not such images)."""
    side = image_side(ds.x_train.shape[1])
    if side is None:
        raise ValueError(f"the convolutional teacher needs square images (such as 28x28), but {ds.name} has "
                         f"{ds.x_train.shape[1]} features per point")
    return side


class ConvRun:
    """One ConvNet trained with Adam on shuffled batches, in the interface checkpointed() drives (a one-member run).

    ``hook``: called before each optimiser step (a job's preemption point), or None."""

    def __init__(self, net: ConvNet, x: torch.Tensor, y: torch.Tensor, cfg: ConvTeacherConfig, device: torch.device,
                 hook: Callable | None = None):
        self.net, self.device, self.hook = net.to(device).train(), device, hook
        self.x, self.y = x.to(device), y.to(device)  # (N, side^2), (N,)
        self.members, self.t, self.status = [cfg], 0, "ok"
        self.batch_size = min(cfg.batch_size, len(y))
        self.optimiser = torch.optim.Adam(self.net.parameters(), lr=cfg.lr)
        self._gen = torch.Generator().manual_seed(cfg.seed)
        self._order, self._at = torch.empty(0, dtype=torch.long), 0

    @property
    def population(self) -> "ConvRun":
        """Itself: its one member is the network (checkpointed's interface)."""
        return self

    def member(self, i: int) -> ConvNet:
        """A copy of the network now, in eval mode (i: 0, the only member)."""
        return copy.deepcopy(self.net).eval()

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """The network's logits on x (N, side^2) as a one-member population (1, N, C), in eval mode."""
        return model_logits(self.net, x.to(self.device))[None]

    def _batch(self) -> torch.Tensor:
        """The next batch's indices (B,): epochs of a seeded permutation."""
        if self._at + self.batch_size > len(self._order):
            self._order, self._at = torch.randperm(len(self.y), generator=self._gen), 0
        idx = self._order[self._at:self._at + self.batch_size]
        self._at += self.batch_size
        return idx.to(self.device)

    def step(self, n: int) -> "ConvRun":
        """``n`` optimiser steps of cross-entropy on the labels (a non-finite loss stops the run: status says why)."""
        for _ in range(n):
            if self.hook is not None:
                self.hook()
            if self.status == "ok":
                idx = self._batch()
                loss = F.cross_entropy(self.net(self.x[idx]), self.y[idx])  # (B, C) logits, (B,) labels
                if not torch.isfinite(loss):
                    self.status = f"diverged at step {self.t + 1}: the loss is {float(loss)}"
                else:
                    self.optimiser.zero_grad(set_to_none=True)
                    loss.backward()
                    self.optimiser.step()
            self.t += 1
        return self


def fit_conv(ds: Dataset, cfg: ConvTeacherConfig, device: torch.device, hook: Callable | None = None) -> ConvNet:
    """A ConvNet trained on ds's labelled training images (cfg), kept at its best validation check, eval mode.

    ``info``: steps_run, best_step, val_acc (NaN without validation), status, test_acc."""
    train, val = split_validation(ds, cfg)
    net = ConvNet(side_of(ds), len(ds.class_names), cfg.channels, cfg.hidden, seed=cfg.seed)
    run = ConvRun(net, train.x_train, train.y_train, cfg, device, hook)
    kept = checkpointed(run, cfg.steps, cfg.eval_every, val, cfg.patience)
    best = kept.kept[0] if kept.kept[0] is not None else run.member(0)
    best.info = {"steps_run": run.t, "best_step": int(kept.best_step[0]) if kept.kept[0] is not None else run.t,
                 "val_acc": float(kept.scores[0][0]) if kept.kept[0] is not None else float("nan"),
                 "status": run.status, "test_acc": float(metrics.accuracy(
                     model_logits(best, ds.x_test.to(device)), ds.y_test.to(device)))}
    return best


def train_conv_teacher(ds: Dataset, cfg: ConvTeacherConfig = ConvTeacherConfig(), device=None,
                       hook: Callable | None = None) -> ConvNet:
    """The convolutional teacher of ds (see the module), in eval mode with its ``info``; cached in-process by (data
    content, cfg, device) and on disk for the registered datasets, so the same call returns the same shared,
    read-only model. ``hook``: called before each training step while it trains."""
    side_of(ds)
    return cached_teacher("conv", ds, cfg, device, lambda net: net, hook, fit=fit_conv)
