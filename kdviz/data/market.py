"""Market Datasets: a price series -> past-only features, direction labels and purged chronological splits.

build_market_dataset turns any Date/Close[/Volume] frame (kdviz.trading.prices, or an uploaded CSV)
into a Dataset; "sp500", "nasdaq" and "synthetic_market" are registered here. Features are
standardised with train statistics only (kdviz.trading.features, kdviz.trading.split).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from kdviz.data.registry import Dataset, register
from kdviz.data.transforms import standardise
from kdviz.trading.features import FeatureConfig, build_features, direction_labels, forward_returns, label_names
from kdviz.trading.prices import INDEXES, ceiling_accuracy, load_index, synthetic_prices
from kdviz.trading.split import chronological_split


def build_market_dataset(prices: pd.DataFrame, name: str = "market", features: FeatureConfig | None = None,
                         horizon: int = 1, dead_band: float = 0.0, train_ratio: float = 0.7,
                         val_ratio: float = 0.15, info: dict | None = None) -> Dataset:
    """Features, direction labels and purged chronological splits of a Date/Close[/Volume] frame, oldest first.

    info holds: dates_train/dates_val/dates_test (datetime64 of each row's decision day),
    test_next_returns (N_test,) simple returns from day t to t + 1 (what a daily long/flat
    backtest earns), test_forward_returns (N_test,) over the horizon, close_test, feature_names,
    rows_train/rows_val/rows_test (indices into ``prices``), horizon, dead_band, lookback, gap,
    the train mean/std, train_class_counts, and anything passed in ``info``.
    """
    cfg = features or FeatureConfig()
    prices = prices.reset_index(drop=True)
    close = prices["Close"].to_numpy(dtype=np.float64)  # (n,)
    feats = build_features(prices, cfg)  # (n, D) frame
    y = direction_labels(forward_returns(close, horizon), dead_band)  # (n,), -1 where undefined
    tr, va, te = chronological_split(len(prices), cfg.lookback, horizon, train_ratio, val_ratio)
    x = feats.to_numpy(dtype=np.float64)  # (n, D)
    rows = np.concatenate([tr, va, te])
    if not np.isfinite(x[rows]).all():
        bad = rows[~np.isfinite(x[rows]).all(axis=1)][0]
        raise ValueError(f"features are not finite at row {bad} ({prices['Date'].iloc[bad]}): check the prices")
    (x_tr, x_va, x_te), mean, std = standardise(x[tr], x[va], x[te])
    dates = prices["Date"].to_numpy()  # (n,) datetime64
    has_val = len(va) > 0
    classes = label_names(dead_band)
    return Dataset(
        name=name,
        x_train=torch.from_numpy(x_tr), y_train=torch.from_numpy(y[tr]),
        x_test=torch.from_numpy(x_te), y_test=torch.from_numpy(y[te]),
        class_names=classes,
        x_val=torch.from_numpy(x_va) if has_val else None,
        y_val=torch.from_numpy(y[va]) if has_val else None,
        info={
            "dates_train": dates[tr], "dates_val": dates[va], "dates_test": dates[te],
            "rows_train": tr, "rows_val": va, "rows_test": te,
            "test_next_returns": forward_returns(close, 1)[te],
            "test_forward_returns": forward_returns(close, horizon)[te],
            "close_test": close[te],
            "feature_names": list(feats.columns),
            "horizon": horizon, "dead_band": float(dead_band), "lookback": cfg.lookback,
            "gap": horizon + cfg.lookback, "mean": mean, "std": std,
            "train_class_counts": np.bincount(y[tr], minlength=len(classes)),
            **(info or {}),
        },
    )


def _register_index(key: str):
    """Register the builder of one bundled index under ``key`` and return it."""

    @register(key, title=INDEXES[key], kind="market", classes=2, features=None, builder=True)
    def build(n: int | None = None, noise: float = 0.0, seed: int = 0, train_ratio: float = 0.7,
              val_ratio: float = 0.15, horizon: int = 1, dead_band: float = 0.0, features: FeatureConfig | None = None,
              start: str | None = None, end: str | None = None) -> Dataset:
        """Direction Dataset of the index between start and end (n, noise, seed unused: data and split are fixed)."""
        return build_market_dataset(load_index(key, start, end), key, features, horizon, dead_band,
                                                   train_ratio, val_ratio, info={"source": INDEXES[key]})

    build.__name__ = f"build_{key}"
    return build


build_sp500 = _register_index("sp500")
build_nasdaq = _register_index("nasdaq")


@register("synthetic_market", title="Synthetic market", kind="market", classes=2, features=None,
          builder=True)
def build_synthetic_market(n: int = 2000, noise: float = 0.0, seed: int = 0, train_ratio: float = 0.7,
                           val_ratio: float = 0.15, signal: float = 0.3, horizon: int = 1, dead_band: float = 0.0,
                           features: FeatureConfig | None = None) -> Dataset:
    """Synthetic market Dataset over ``n`` trading days with predictability ``signal`` (noise is unused).

    info adds signal, ceiling_accuracy (valid for horizon 1 without a dead band) and regime_test.
    """
    prices = synthetic_prices(n, signal, seed)
    info = {"source": "synthetic regime-switching market", "signal": float(signal),
            "ceiling_accuracy": ceiling_accuracy(signal)}
    ds = build_market_dataset(prices, "synthetic_market", features, horizon, dead_band, train_ratio,
                                             val_ratio, info=info)
    ds.info["regime_test"] = prices["Regime"].to_numpy()[ds.info["rows_test"]]
    return ds
