"""scikit-learn's bundled 8x8 handwritten digits (1797 images, no download), registered as "digits".

Split: stratified by class with a seed. ``train_ratio`` of the images are for fitting (train +
validation) and the rest are the test set; ``val_ratio`` of the fitting part is held out as a
stratified validation split. Pixels are standardised with train statistics only. The raw images
(pixel values 0..16) of the test and validation sets stay in ``Dataset.info`` for display.
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.datasets import load_digits

from kdviz.data.registry import Dataset, register
from kdviz.data.transforms import standardise

CLASS_NAMES = [str(d) for d in range(10)]


def stratified_split(y: np.ndarray, train_ratio: float, val_ratio: float, seed: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded stratified indices (train, val, test).

    Per class, a 1 - train_ratio share goes to test and a val_ratio share of the rest to val.
    """
    if not 0.0 < train_ratio < 1.0:
        raise ValueError(f"train ratio must be between 0 and 1 (exclusive), got {train_ratio}")
    if not 0.0 <= val_ratio < 1.0:
        raise ValueError(f"validation ratio must be at least 0 and below 1, got {val_ratio}")
    rng = np.random.default_rng(seed)
    parts: tuple[list, list, list] = ([], [], [])
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_test = int(round(len(idx) * (1.0 - train_ratio)))
        n_val = int(round((len(idx) - n_test) * val_ratio))
        parts[2].append(idx[:n_test])
        parts[1].append(idx[n_test:n_test + n_val])
        parts[0].append(idx[n_test + n_val:])
    train, val, test = (rng.permutation(np.concatenate(p)) for p in parts)
    if len(train) == 0 or len(test) == 0 or (val_ratio > 0 and len(val) == 0):
        raise ValueError(f"train ratio {train_ratio} and validation ratio {val_ratio} leave an empty split "
                         f"of {len(y)} images")
    return train, val, test


@register("digits", title="Handwritten digits (8x8)", kind="image", classes=10, features=64, builder=True)
def build_digits(n: int | None = None, noise: float = 0.0, seed: int = 0, train_ratio: float = 0.7,
                 val_ratio: float = 0.15) -> Dataset:
    """Build the digits Dataset (64 standardised pixels, classes "0".."9"); ``n`` and ``noise`` are ignored.

    info holds "images_test" (N_test, 8, 8) and "images_val" (N_val, 8, 8) raw pixel arrays, the
    original image indices of each split ("index_train", "index_val", "index_test"), and the
    train-set "mean" and "std" (64,) used for standardising.
    """
    bunch = load_digits()
    x = bunch.data.astype(np.float64)  # (1797, 64), values 0..16
    y = bunch.target.astype(np.int64)  # (1797,)
    images = bunch.images.astype(np.float32)  # (1797, 8, 8)
    tr, va, te = stratified_split(y, train_ratio, val_ratio, seed)
    (x_tr, x_va, x_te), mean, std = standardise(x[tr], x[va], x[te])
    has_val = len(va) > 0
    return Dataset(
        name="digits",
        x_train=torch.from_numpy(x_tr), y_train=torch.from_numpy(y[tr]),
        x_test=torch.from_numpy(x_te), y_test=torch.from_numpy(y[te]),
        class_names=list(CLASS_NAMES),
        x_val=torch.from_numpy(x_va) if has_val else None,
        y_val=torch.from_numpy(y[va]) if has_val else None,
        info={"mean": mean, "std": std, "images_test": images[te], "images_val": images[va],
              "index_train": tr, "index_val": va, "index_test": te,
              "source": "scikit-learn load_digits (UCI optical digits, 8x8, 1797 images)"},
    )
