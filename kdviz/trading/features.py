"""Market features computed from the past only, and direction labels from the future.

Input: a price frame with columns Date, Close and optional Volume, one row per trading day,
oldest first. Feature row t uses prices (and volumes) at days t - lookback .. t only; the label
of row t uses the close of day t + horizon. Every window is trailing and computed on its own
(no running sums carried across rows), so a price after day t can never change row t.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

MAX_WINDOW = 250  # about one trading year: longer lookbacks eat the data


def _check_windows(name: str, windows: tuple[int, ...], lo: int) -> None:
    for w in windows:
        if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or not lo <= w <= MAX_WINDOW:
            raise ValueError(f"{name} must be a whole number of days from {lo} to {MAX_WINDOW}, got {w!r}")


@dataclass(frozen=True)
class FeatureConfig:
    """Which past-only features to compute; every window is in trading days."""

    lags: int = 5  # daily log returns r_t, r_{t-1}, .., r_{t-lags+1} (ret_lag1 is today's return)
    vol_windows: tuple[int, ...] = (5, 20)  # rolling std of daily log returns over each window
    momentum_windows: tuple[int, ...] = (5, 20, 60)  # log(C_t / C_{t-w}): return over the last w days
    ma_windows: tuple[int, ...] = (10, 50)  # log(C_t / mean(C_{t-w+1..t})): distance from the moving average
    volume_window: int = 20  # z-score of log(1 + volume) within the last w days; 0 (or no Volume) = off

    def __post_init__(self):
        _check_windows("lags", (self.lags,), 0)
        _check_windows("volatility windows", self.vol_windows, 2)
        _check_windows("momentum windows", self.momentum_windows, 1)
        _check_windows("moving-average windows", self.ma_windows, 2)
        if self.volume_window != 0:
            _check_windows("volume window", (self.volume_window,), 2)
        if not (self.lags or self.vol_windows or self.momentum_windows or self.ma_windows or self.volume_window):
            raise ValueError("choose at least one feature")

    @property
    def lookback(self) -> int:
        """Days of history before day t that feature row t needs; rows t < lookback have NaN features."""
        needs = [self.lags, *self.vol_windows, *self.momentum_windows,
                 *(w - 1 for w in self.ma_windows), self.volume_window - 1]
        return max(0, *needs)


def _trailing(x: np.ndarray, w: int, fn) -> np.ndarray:
    """fn over each trailing window x[t-w+1..t] (computed window by window); NaN for t < w - 1."""
    out = np.full(len(x), np.nan)  # (n,)
    if len(x) >= w:
        out[w - 1:] = fn(sliding_window_view(x, w), axis=-1)  # (n - w + 1,)
    return out


def _lag(x: np.ndarray, k: int) -> np.ndarray:
    """x shifted k days into the past: out[t] = x[t - k], NaN for t < k."""
    out = np.full(len(x), np.nan)
    out[k:] = x[: len(x) - k] if k else x
    return out


def log_returns(close: np.ndarray) -> np.ndarray:
    """Daily log returns r_t = log(C_t / C_{t-1}), NaN at t = 0. close: (n,) positive."""
    return np.diff(np.log(np.asarray(close, dtype=np.float64)), prepend=np.nan)


def build_features(prices: pd.DataFrame, config: FeatureConfig | None = None) -> pd.DataFrame:
    """Feature frame (n, D) aligned with ``prices`` rows; row t uses days <= t only (NaN while warming up).

    Columns: ret_lag1..ret_lagL, vol_<w>, mom_<w>, ma_dist_<w>, volume_z_<w> (the last only when
    prices has a Volume column and config.volume_window > 0).
    """
    cfg = config or FeatureConfig()
    close = prices["Close"].to_numpy(dtype=np.float64)  # (n,)
    logc = np.log(close)
    r = log_returns(close)  # (n,)
    cols: dict[str, np.ndarray] = {}
    for k in range(1, cfg.lags + 1):
        cols[f"ret_lag{k}"] = _lag(r, k - 1)
    for w in cfg.vol_windows:
        cols[f"vol_{w}"] = np.concatenate([[np.nan], _trailing(r[1:], w, np.std)])  # r[0] is NaN: skip it
    for w in cfg.momentum_windows:
        cols[f"mom_{w}"] = logc - _lag(logc, w)
    for w in cfg.ma_windows:
        cols[f"ma_dist_{w}"] = logc - np.log(_trailing(close, w, np.mean))
    if cfg.volume_window and "Volume" in prices:
        lv = np.log1p(prices["Volume"].to_numpy(dtype=np.float64))  # (n,)
        mean = _trailing(lv, cfg.volume_window, np.mean)
        std = _trailing(lv, cfg.volume_window, np.std)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(std > 1e-12, (lv - mean) / std, 0.0)
        cols[f"volume_z_{cfg.volume_window}"] = np.where(np.isnan(mean), np.nan, z)
    return pd.DataFrame(cols, index=prices.index)


def describe(config: FeatureConfig | None = None, volume: bool = True) -> dict[str, str]:
    """One-line meaning of every feature column build_features would produce, for a page's table."""
    cfg = config or FeatureConfig()
    out = {f"ret_lag{k}": f"log return of day t-{k - 1}" if k > 1 else "log return of day t (today)"
           for k in range(1, cfg.lags + 1)}
    out.update({f"vol_{w}": f"std of daily log returns over the last {w} days" for w in cfg.vol_windows})
    out.update({f"mom_{w}": f"log return over the last {w} days" for w in cfg.momentum_windows})
    out.update({f"ma_dist_{w}": f"log distance of the close from its {w}-day moving average" for w in cfg.ma_windows})
    if cfg.volume_window and volume:
        out[f"volume_z_{cfg.volume_window}"] = f"z-score of log volume within the last {cfg.volume_window} days"
    return out


def forward_returns(close: np.ndarray, horizon: int = 1) -> np.ndarray:
    """Simple return from day t to day t + horizon, C_{t+h} / C_t - 1; NaN for the last ``horizon`` days."""
    close = np.asarray(close, dtype=np.float64)  # (n,)
    out = np.full(len(close), np.nan)
    if len(close) > horizon:
        out[: len(close) - horizon] = close[horizon:] / close[: len(close) - horizon] - 1.0
    return out


def label_names(dead_band: float = 0.0) -> list[str]:
    """Class names: ["down", "up"], or ["down", "flat", "up"] when there is a dead band."""
    return ["down", "flat", "up"] if dead_band > 0 else ["down", "up"]


def direction_labels(fwd: np.ndarray, dead_band: float = 0.0) -> np.ndarray:
    """Direction class of each forward return; -1 where it is NaN (no future yet).

    Without a dead band: up (1) if the return is > 0, else down (0). With dead_band b > 0:
    down (0) if < -b, up (2) if > b, flat (1) otherwise.
    """
    if not 0.0 <= dead_band < 1.0:
        raise ValueError(f"dead band must be a return between 0 and 1 (e.g. 0.002 = 0.2%), got {dead_band}")
    fwd = np.asarray(fwd, dtype=np.float64)
    if dead_band > 0:
        y = np.where(fwd > dead_band, 2, np.where(fwd < -dead_band, 0, 1))
    else:
        y = (fwd > 0).astype(np.int64)
    return np.where(np.isnan(fwd), -1, y).astype(np.int64)
