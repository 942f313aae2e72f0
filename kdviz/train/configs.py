"""Configs of the engine: how a teacher is trained and what each student of a population does."""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import Mapping

from kdviz.softening import check_alpha, check_temperature
from kdviz.train.methods import lookup


def whole(value, name: str, low: int, high: int | None = None) -> int:
    """A whole number in [low, high] (bools and floats rejected), else a ValueError naming it."""
    try:
        if isinstance(value, bool):
            raise TypeError
        v = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None
    if v < low or (high is not None and v > high):
        raise ValueError(f"{name} must be between {low} and {high}, got {v}" if high is not None
                         else f"{name} must be at least {low}, got {v}")
    return v


def number(value, name: str, strict: bool) -> float:
    """A finite number > 0 (strict) or >= 0, else a ValueError naming it."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(v) and (v > 0 if strict else v >= 0)):
        raise ValueError(f"{name} must be a finite number {'>' if strict else '>='} 0, got {value!r}")
    return v


def positive(value, name: str) -> float:
    """A finite number > 0, else a ValueError naming it."""
    return number(value, name, strict=True)


def non_negative(value, name: str) -> float:
    """A finite number >= 0, else a ValueError naming it."""
    return number(value, name, strict=False)


def check_schedule(cfg) -> None:
    """Check a teacher config's training schedule: lr, steps, batch_size, seed, eval_every, patience (None or
    whole), val_fraction; ValueError naming the first bad one."""
    positive(cfg.lr, "teacher learning rate")
    whole(cfg.steps, "teacher steps", 1, 1_000_000)
    whole(cfg.batch_size, "teacher batch size", 1, 1_000_000)
    whole(cfg.seed, "seed", 0, 2**62)
    whole(cfg.eval_every, "evaluation interval", 1)
    if cfg.patience is not None:
        whole(cfg.patience, "patience", 1)
    if not 0.0 < cfg.val_fraction < 1.0:
        raise ValueError(f"validation fraction must be in (0, 1), got {cfg.val_fraction!r}")


@dataclass(frozen=True)
class TeacherConfig:
    """How a teacher (or an ensemble of teachers) is trained (hashable: it is part of the teacher cache key)."""

    hidden: tuple[int, ...] = (128, 128)  # hidden layer widths; input and output widths come from the data
    activation: str = "relu"  # relu | tanh | gelu
    dropout: float = 0.0  # dropout after each hidden layer while training (0.5 suits the digits teacher)
    lr: float = 1e-2  # Adam learning rate
    steps: int = 1000  # maximum number of optimiser steps
    batch_size: int = 64  # samples per step
    weight_decay: float = 0.0  # L2 penalty added to the gradient, as torch.optim.Adam(weight_decay=...)
    seed: int = 0  # initial weights, batch order and the held-out split
    early_stopping: bool = True  # keep the weights with the best validation score
    eval_every: int = 50  # steps between validation checks
    patience: int | None = 10  # validation checks without improvement before stopping (None: train every step)
    val_fraction: float = 0.15  # share of train held out for validation when the dataset has no val split
    method: str = "baseline"  # a label-only training method: "baseline" (cross-entropy) or "smoothed_ce"
    options: tuple[tuple[str, float], ...] = ()  # the method's options as (name, value) pairs, e.g. (("eps", 0.1),)
    members: int = 1  # an ensemble of this many teachers with seeds seed, seed + 1, ... (trained as one population)

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(whole(h, "hidden width", 1) for h in self.hidden))
        object.__setattr__(self, "options", tuple(sorted((str(k), float(v)) for k, v in dict(self.options).items())))
        check_schedule(self)
        whole(self.members, "ensemble members", 1, 64)
        non_negative(self.weight_decay, "weight decay")
        if lookup(self.method).teacher:
            raise ValueError(f"a teacher trains on labels alone; method {self.method!r} needs a teacher itself")

    @property
    def seeds(self) -> list[int]:
        """The seeds of the ensemble's members (one for a single teacher)."""
        return [self.seed + i for i in range(self.members)]


@dataclass
class MemberConfig:
    """One student of a population run: its method and hyperparameters."""

    method: str = "kd"  # a registered method: "baseline" (hard labels only), "kd" (Hinton KD), "dkd", ...
    T: float = 4.0  # temperature of the soft term (unused by "baseline" except in the recorded soft loss)
    alpha: float = 0.1  # weight of the hard-label term; the soft term gets 1 - alpha
    lr: float = 1e-2  # Adam learning rate
    seed: int = 0  # initial weights and batch order: equal seeds give paired students
    options: Mapping = field(default_factory=dict)  # method-specific settings, e.g. {"beta": 8.0}

    def __post_init__(self):
        lookup(self.method)
        self.T = float(check_temperature(self.T))
        self.alpha = float(check_alpha(self.alpha))
        self.lr = positive(self.lr, "learning rate")
        self.seed = whole(self.seed, "seed", 0, 2**62)
