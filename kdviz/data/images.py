"""Real 28x28 image sets as datasets: Fashion-MNIST ("fashion_mnist") and MNIST ("mnist"), at the papers' scale.

The split is the official one: 60,000 training and 10,000 test images. ``n`` takes a seeded,
class-stratified subset of the training images (all of them when None or larger: make_dataset's
default n of 1,000 gives a 1,000-image subset, so full-size runs pass n=None), ``test_n`` one of
the test images, and ``val_ratio`` of the training part is held out for validation (where a bias
shift or early stopping is chosen). Pixels are scaled to [0, 1] and then standardised with one mean
and one standard deviation over all training pixels (per-pixel statistics would blow up the border
pixels that are almost always 0). The raw uint8 images stay in ``Dataset.info`` for display and
for input jitter.
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from kdviz.data.image_files import FASHION, MNIST, Source, load
from kdviz.data.registry import Dataset, register

VAL_RATIO = 1 / 12  # 5,000 of the 60,000 training images


def subset(y: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """Indices of a seeded, class-stratified subset of ``n`` labels of ``y`` (all, in order, when n is None or >= len)."""
    if n is None or n >= len(y):
        return np.arange(len(y))
    if n < 1:
        raise ValueError(f"the number of images must be at least 1, got {n}")
    return np.sort(train_test_split(np.arange(len(y)), train_size=int(n), stratify=y, random_state=seed)[0])


def build(source: Source, n: int | None, seed: int, val_ratio: float, test_n: int | None) -> Dataset:
    """The Dataset of a real image set: (N, H*W) standardised pixels, the raw images in info."""
    if not 0.0 <= val_ratio < 1.0:
        raise ValueError(f"validation ratio must be at least 0 and below 1, got {val_ratio}")
    raw = load(source.name)
    fit = subset(raw.y_train, n, seed)
    if val_ratio > 0:
        tr, va = train_test_split(fit, test_size=val_ratio, stratify=raw.y_train[fit], random_state=seed)
        tr, va = np.sort(tr), np.sort(va)
    else:
        tr, va = fit, fit[:0]
    te = subset(raw.y_test, test_n, seed)
    scaled = raw.x_train[tr].reshape(len(tr), -1).astype(np.float32) / 255.0  # (N_train, H*W) in [0, 1]
    mean, std = float(scaled.mean(dtype=np.float64)), float(scaled.std(dtype=np.float64))

    def pixels(images: np.ndarray) -> torch.Tensor:
        flat = images.reshape(len(images), -1).astype(np.float32) / 255.0
        return torch.from_numpy((flat - np.float32(mean)) / np.float32(std))

    return Dataset(
        name=source.name,
        x_train=torch.from_numpy((scaled - np.float32(mean)) / np.float32(std)),
        y_train=torch.from_numpy(raw.y_train[tr]),
        x_test=pixels(raw.x_test[te]), y_test=torch.from_numpy(raw.y_test[te]),
        class_names=list(source.class_names),
        x_val=pixels(raw.x_train[va]) if len(va) else None,
        y_val=torch.from_numpy(raw.y_train[va]) if len(va) else None,
        info={"mean": mean, "std": std, "images_train": raw.x_train[tr], "images_val": raw.x_train[va],
              "images_test": raw.x_test[te], "index_train": tr, "index_val": va, "index_test": te,
              "source": f"{source.title}, {raw.origin} ({len(raw.y_train):,} training and {len(raw.y_test):,} "
                        "test images)"},
    )


@register("fashion_mnist", title="Fashion-MNIST (28x28 clothing, real images)", kind="image", classes=10,
          features=784, builder=True)
def build_fashion_mnist(n: int | None = None, noise: float = 0.0, seed: int = 0, train_ratio: float = 0.7,
                        val_ratio: float = VAL_RATIO, test_n: int | None = None) -> Dataset:
    """Fashion-MNIST with the official split (``noise`` and ``train_ratio`` are ignored); see the module."""
    return build(FASHION, n, seed, val_ratio, test_n)


@register("mnist", title="MNIST (28x28 digits, real images)", kind="image", classes=10, features=784, builder=True)
def build_mnist(n: int | None = None, noise: float = 0.0, seed: int = 0, train_ratio: float = 0.7,
                val_ratio: float = VAL_RATIO, test_n: int | None = None) -> Dataset:
    """MNIST with the official split, where it is on this machine (``noise`` and ``train_ratio`` are ignored)."""
    return build(MNIST, n, seed, val_ratio, test_n)
