"""Toy 2-D datasets for the training pages: blobs, moons, circles, spiral, xor, checkerboard.

Every generator has the registry's signature ``fn(n, noise, seed, **options) -> (X, y, names)``:
X (n, 2) float64, y (n,) int64 in [0, C), names C strings. ``noise`` is the standard deviation of
Gaussian jitter added to the clean points (for blobs it adds to the blob spread). Everything is
seeded and generated locally (scikit-learn where it has the set); nothing is downloaded.
"""
from __future__ import annotations

import math

import numpy as np
from sklearn import datasets as skd

from kdviz.checks import finite_number
from kdviz.data.registry import register

N_MAX = 200_000  # more points than a page can draw or a 2-core server can train on


def _check(n, noise) -> tuple[int, float]:
    """Validate the common arguments: 10 <= n <= N_MAX whole points, noise a finite number >= 0."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"number of points must be a whole number, got {n!r}")
    if not 10 <= n <= N_MAX:
        raise ValueError(f"number of points must be between 10 and {N_MAX:,}, got {n}")
    return int(n), finite_number(noise, "noise", 0)


def _count(value, name: str, low: int, high: int) -> int:
    """A whole-number option in [low, high], else a ValueError naming the option."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number between {low} and {high}, got {value!r}")
    return int(value)


def _balanced_labels(n: int, classes: int, rng: np.random.Generator) -> np.ndarray:
    """n labels as equal as possible over ``classes`` classes, shuffled: shape (n,)."""
    return rng.permutation(np.arange(n) % classes).astype(np.int64)


def _jitter(x: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """x plus N(0, noise^2) jitter per coordinate."""
    return x + rng.normal(0.0, noise, size=x.shape) if noise > 0 else x


@register("blobs", title="Gaussian blobs", kind="toy", classes=5, features=2)
def blobs(n: int, noise: float = 0.0, seed: int = 0, classes: int = 5, spread: float = 0.5):
    """``classes`` Gaussian blobs of std ``spread``, centres uniform in [-2, 2]^2 drawn from the seed.

    With several overlapping classes the teacher's probabilities carry dark knowledge (which class
    a point resembles). ``noise`` adds jitter: the total std is sqrt(spread^2 + noise^2).
    """
    n, noise = _check(n, noise)
    classes = _count(classes, "number of classes", 2, 10)
    spread = finite_number(spread, "blob spread (std)", 0.0, 5.0, open_low=True)
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-2.0, 2.0, size=(classes, 2))
    x, y = skd.make_blobs(n_samples=n, centers=centres, cluster_std=spread, random_state=seed)
    return _jitter(x, noise, rng), y.astype(np.int64), [f"class {k}" for k in range(classes)]


@register("moons", title="Two moons", kind="toy", classes=2, features=2)
def moons(n: int, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles (sklearn.datasets.make_moons)."""
    n, noise = _check(n, noise)
    x, y = skd.make_moons(n_samples=n, noise=noise, random_state=seed)
    return x, y.astype(np.int64), ["upper moon", "lower moon"]


@register("circles", title="Circles", kind="toy", classes=2, features=2)
def circles(n: int, noise: float = 0.1, seed: int = 0, factor: float = 0.5):
    """A small circle inside a large one (sklearn.datasets.make_circles); ``factor`` = inner/outer radius."""
    n, noise = _check(n, noise)
    if not 0.0 < float(factor) < 1.0:
        raise ValueError(f"circle factor (inner radius / outer radius) must be in (0, 1), got {factor!r}")
    x, y = skd.make_circles(n_samples=n, noise=noise, factor=float(factor), random_state=seed)
    return x, y.astype(np.int64), ["outer circle", "inner circle"]


@register("spiral", title="Spiral", kind="toy", classes=3, features=2)
def spiral(n: int, noise: float = 0.1, seed: int = 0, arms: int = 3, turns: float = 1.0):
    """``arms`` interleaved spiral arms, one class each, radius growing from 0 to 1 over ``turns`` turns."""
    n, noise = _check(n, noise)
    arms = _count(arms, "number of spiral arms", 2, 10)
    if not 0.1 <= float(turns) <= 5:
        raise ValueError(f"spiral turns must be between 0.1 and 5, got {turns!r}")
    rng = np.random.default_rng(seed)
    y = _balanced_labels(n, arms, rng)
    r = rng.uniform(0.05, 1.0, size=n)  # (n,) radius, also the position along the arm
    angle = 2 * math.pi * (float(turns) * r + y / arms)
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    return _jitter(x, noise, rng), y, [f"arm {k}" for k in range(arms)]


@register("xor", title="XOR", kind="toy", classes=2, features=2)
def xor(n: int, noise: float = 0.1, seed: int = 0):
    """Points uniform in [-1, 1]^2, class 1 where x1 * x2 > 0 (the XOR of the signs); jitter after labelling."""
    n, noise = _check(n, noise)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return _jitter(x, noise, rng), y, ["opposite signs", "same signs"]


@register("checkerboard", title="Checkerboard", kind="toy", classes=2, features=2)
def checkerboard(n: int, noise: float = 0.1, seed: int = 0, tiles: int = 4):
    """Points uniform in [0, 1]^2 on a tiles x tiles board, class = colour of the square; jitter after labelling."""
    n, noise = _check(n, noise)
    tiles = _count(tiles, "number of tiles per side", 2, 12)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, size=(n, 2))
    cell = np.minimum((x * tiles).astype(np.int64), tiles - 1)  # (n, 2) square indices
    y = (cell.sum(axis=1) % 2).astype(np.int64)
    return _jitter(x, noise, rng), y, ["dark squares", "light squares"]
