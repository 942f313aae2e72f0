"""Dataset registry: one name -> one generator of one signature and what is known of it, plus the split.

A generator is ``fn(n, noise, seed, **options) -> (X, y, class_names)`` with X a float array of
shape (n, d), y an int array of shape (n,) with values in [0, len(class_names)). Generators that
own their split (chronological market data) register a builder instead, returning a Dataset.
Each name also carries a DatasetSpec (title, kind, classes and features at its default
options), so pages and checks read "how many classes has spiral" from here instead of typing it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

KINDS = ("toy", "image", "market", "table")  # table: a user's CSV (kdviz.data.csv)


@dataclass(frozen=True)
class DatasetSpec:
    """What is known of a registered dataset before it is built (at its default options)."""

    name: str
    title: str  # a readable name for menus
    kind: str  # "toy" (2-D, generated), "image" (digits) or "market" (price series)
    classes: int  # number of classes at the default options
    features: int | None  # input width, None when it depends on options (market features)
    build: Callable  # the generator or builder
    owns_split: bool  # True for a builder returning a Dataset (it splits the data itself)

    @property
    def two_d(self) -> bool:
        """Whether points live on the plane (decision regions can be drawn)."""
        return self.features == 2


SPECS: dict[str, DatasetSpec] = {}
RESOLVERS: dict[str, Callable[[str], DatasetSpec]] = {}  # name prefix -> spec of names made at run time ("csv:…")


@dataclass
class Dataset:
    """A split, standardised classification dataset held as tensors."""

    name: str
    x_train: torch.Tensor  # (N_train, D) float32
    y_train: torch.Tensor  # (N_train,) int64
    x_test: torch.Tensor  # (N_test, D) float32
    y_test: torch.Tensor  # (N_test,) int64
    class_names: list[str]
    x_val: torch.Tensor | None = None  # (N_val, D) float32, optional
    y_val: torch.Tensor | None = None  # (N_val,) int64, optional
    info: dict = field(default_factory=dict)  # free-form facts shown on pages (dates, sizes)

    @property
    def n_features(self) -> int:
        """Number of input features D."""
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes C."""
        return len(self.class_names)

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> "Dataset":
        """Return a copy with every tensor moved to ``device`` (and the floating ones cast to ``dtype`` if given)."""
        cast = (lambda v: v.to(device, dtype) if dtype is not None and v.is_floating_point() else v.to(device))
        moved = {k: (cast(v) if isinstance(v, torch.Tensor) else v) for k, v in self.__dict__.items()}
        return Dataset(**moved)


def register(name: str, *, title: str, kind: str, classes: int, features: int | None,
             builder: bool = False) -> Callable:
    """Decorator adding a generator (or, with builder=True, a Dataset builder) under ``name``, with its spec."""
    if kind not in KINDS:
        raise ValueError(f"dataset kind must be one of {', '.join(KINDS)}, got {kind!r}")

    def wrap(fn: Callable) -> Callable:
        if name in SPECS:
            raise ValueError(f"dataset {name!r} is registered twice")
        SPECS[name] = DatasetSpec(name, title, kind, int(classes), features, fn, builder)
        return fn

    return wrap


def add_resolver(prefix: str, resolve: Callable[[str], DatasetSpec]) -> None:
    """Let names "<prefix>:<key>" resolve to ``resolve(name)``: datasets made at run time (uploads)."""
    RESOLVERS[prefix] = resolve


def names(kind: str | None = None) -> list[str]:
    """Registered dataset names (of one kind, if given), generators first, in registration order."""
    specs = [s for s in SPECS.values() if kind is None or s.kind == kind]
    return [s.name for s in specs if not s.owns_split] + [s.name for s in specs if s.owns_split]


def spec(name: str) -> DatasetSpec:
    """The DatasetSpec of a registered name; ValueError naming the choices otherwise."""
    prefix = str(name).partition(":")[0]
    if name not in SPECS and ":" in str(name) and prefix in RESOLVERS:
        return RESOLVERS[prefix](name)
    if name not in SPECS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(names())}")
    return SPECS[name]


def split_standardise(
    name: str, x: np.ndarray, y: np.ndarray, class_names: list[str], train_ratio: float, seed: int,
    stratify: bool = True,
) -> Dataset:
    """Shuffle (stratified by class when asked) and split x, y; standardise with train statistics."""
    if not 0.0 < train_ratio < 1.0:
        raise ValueError(f"train ratio must be between 0 and 1 (exclusive), got {train_ratio}")
    rng = np.random.default_rng(seed)
    if stratify:
        train_idx, test_idx = [], []
        for c in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == c))
            cut = int(round(len(idx) * train_ratio))
            train_idx.append(idx[:cut])
            test_idx.append(idx[cut:])
        train_idx = rng.permutation(np.concatenate(train_idx))
        test_idx = rng.permutation(np.concatenate(test_idx))
    else:
        perm = rng.permutation(len(y))
        cut = int(round(len(y) * train_ratio))
        train_idx, test_idx = perm[:cut], perm[cut:]
    if len(train_idx) == 0 or len(test_idx) == 0:
        raise ValueError(f"train ratio {train_ratio} leaves an empty train or test split for {len(y)} points")
    mean = x[train_idx].mean(axis=0)
    std = x[train_idx].std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)
    xs = ((x - mean) / std).astype(np.float32)
    return Dataset(
        name=name,
        x_train=torch.from_numpy(xs[train_idx]),
        y_train=torch.from_numpy(y[train_idx].astype(np.int64)),
        x_test=torch.from_numpy(xs[test_idx]),
        y_test=torch.from_numpy(y[test_idx].astype(np.int64)),
        class_names=list(class_names),
        info={"mean": mean, "std": std},
    )


def make_dataset(name: str, n: int = 1000, noise: float = 0.1, seed: int = 0, train_ratio: float = 0.7,
                 **options) -> Dataset:
    """Build the named dataset: generate (or load), split by ``train_ratio``, standardise. Seeded."""
    s = spec(name)
    if s.owns_split:
        return s.build(n=n, noise=noise, seed=seed, train_ratio=train_ratio, **options)
    x, y, class_names = s.build(n=n, noise=noise, seed=seed, **options)
    return split_standardise(name, np.asarray(x, dtype=np.float64), np.asarray(y), class_names, train_ratio, seed)
