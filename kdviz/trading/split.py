"""Purged chronological train / validation / test splits of a daily price series.

Rows are trading days t with full features (t >= lookback) and a known label (t + horizon exists).
The splits follow time: [train] gap [validation] gap [test]. Each gap drops ``horizon + lookback``
rows, so no price used by a train label (up to day i + horizon) is seen by the features of a
later split (from day j - lookback): j - i > horizon + lookback for every train row i and later
row j. kdviz.data.market turns a split series into a Dataset.
"""
from __future__ import annotations

import numpy as np

from kdviz.trading.features import FeatureConfig

MIN_SEGMENT = 20  # fewest rows allowed in each of train, validation and test
MAX_HORIZON = 60


def check_split_options(horizon: int, train_ratio: float, val_ratio: float) -> None:
    """Raise ValueError with a user-facing message for a bad horizon or split ratio."""
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or not 1 <= horizon <= MAX_HORIZON:
        raise ValueError(f"horizon must be a whole number of days from 1 to {MAX_HORIZON}, got {horizon!r}")
    if not 0.0 < train_ratio < 1.0:
        raise ValueError(f"train ratio must be between 0 and 1 (exclusive), got {train_ratio}")
    if not 0.0 <= val_ratio < 1.0:
        raise ValueError(f"validation ratio must be at least 0 and below 1, got {val_ratio}")


def _segment_sizes(usable: int, train_ratio: float, val_ratio: float) -> tuple[int, int, int]:
    """(n_train, n_val, n_test) for ``usable`` rows: 1 - train_ratio to test, val_ratio of the rest to val."""
    n_test = int(round(usable * (1.0 - train_ratio)))
    n_val = int(round((usable - n_test) * val_ratio))
    return usable - n_test - n_val, n_val, n_test


def _sizes_ok(sizes: tuple[int, int, int], val_ratio: float) -> bool:
    n_train, n_val, n_test = sizes
    return min(n_train, n_test) >= MIN_SEGMENT and (val_ratio == 0 or n_val >= MIN_SEGMENT)


def minimum_rows(features: FeatureConfig | None = None, horizon: int = 1, train_ratio: float = 0.7,
                 val_ratio: float = 0.15) -> int:
    """Fewest price rows for which these settings leave at least MIN_SEGMENT rows in every split."""
    cfg = features or FeatureConfig()
    check_split_options(horizon, train_ratio, val_ratio)
    n_gaps = 2 if val_ratio > 0 else 1
    return cfg.lookback + horizon + n_gaps * (horizon + cfg.lookback) + _fewest_usable(train_ratio, val_ratio)


def chronological_split(n_rows: int, lookback: int, horizon: int, train_ratio: float = 0.7,
                        val_ratio: float = 0.15) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices (train, val, test) of a price series of ``n_rows`` days, in time order, with purge gaps.

    Valid rows are lookback .. n_rows - 1 - horizon; between consecutive splits horizon + lookback
    rows are dropped. ``val`` is empty when val_ratio is 0. Raises ValueError (naming the minimum
    number of rows) when a split would have fewer than MIN_SEGMENT rows.
    """
    check_split_options(horizon, train_ratio, val_ratio)
    gap = horizon + lookback
    n_gaps = 2 if val_ratio > 0 else 1
    usable = max(0, n_rows - lookback - horizon - n_gaps * gap)
    n_train, n_val, n_test = sizes = _segment_sizes(usable, train_ratio, val_ratio)
    if not _sizes_ok(sizes, val_ratio):
        need = lookback + horizon + n_gaps * gap + _fewest_usable(train_ratio, val_ratio)
        raise ValueError(
            f"{n_rows} price rows are too few for these settings: at least {need} are needed (lookback "
            f"{lookback} + horizon {horizon} + {n_gaps} gap(s) of {gap} days + at least {MIN_SEGMENT} rows in "
            f"each split); use more data, shorter feature windows or a smaller horizon")
    train = np.arange(lookback, lookback + n_train)
    val = np.arange(train[-1] + 1 + gap, train[-1] + 1 + gap + n_val) if n_val else np.arange(0)
    start = (val[-1] if n_val else train[-1]) + 1 + gap
    return train, val, np.arange(start, start + n_test)


def _fewest_usable(train_ratio: float, val_ratio: float) -> int:
    """Fewest rows (after the gaps) that give every split at least MIN_SEGMENT rows."""
    usable = MIN_SEGMENT
    while not _sizes_ok(_segment_sizes(usable, train_ratio, val_ratio), val_ratio):
        usable += 1
    return usable
