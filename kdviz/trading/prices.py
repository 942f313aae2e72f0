"""Daily price series: the S&P 500 and NASDAQ bundled with ``arch`` (1999-2018), and a synthetic market.

Each source returns a frame with columns Date (datetime64), Close, Volume (floats), oldest first;
kdviz.data.market turns one into a Dataset (past-only features, direction labels, purged splits).

The synthetic market is a 2-state Markov chain of volatility regimes with a known predictable
part: with z_t ~ N(0, 1) and d_{t-1} = -sign(r_{t-1}) (a one-day reversal of yesterday's return),

    r_t = drift + sigma_{regime_t} * (signal * d_{t-1} + sqrt(1 - signal^2) * z_t)

so ``signal`` in [0, 1] sets how much of tomorrow's move today's return foretells: 0 is a random
walk, 1 is fully predictable. Ignoring the small drift, the best possible next-day direction
accuracy is Phi(signal / sqrt(1 - signal^2)) (ceiling_accuracy).
"""
from __future__ import annotations

import functools
import importlib
import math

import numpy as np
import pandas as pd


INDEXES = {"sp500": "S&P 500", "nasdaq": "NASDAQ Composite"}


@functools.lru_cache(maxsize=None)
def _load_index(name: str) -> pd.DataFrame:
    if name not in INDEXES:
        raise ValueError(f"unknown index {name!r}; choose one of {', '.join(INDEXES)}")
    raw = importlib.import_module(f"arch.data.{name}").load()  # Date index; Open, High, Low, Close, Adj Close, Volume
    return pd.DataFrame({"Date": pd.to_datetime(raw.index).as_unit("ns"),
                         "Close": raw["Close"].to_numpy(dtype=np.float64),
                         "Volume": raw["Volume"].to_numpy(dtype=np.float64)})


def load_index(name: str, start: str | None = None, end: str | None = None) -> pd.DataFrame:
    """Daily Date/Close/Volume of "sp500" or "nasdaq" from arch's bundled data, optionally between two dates."""
    df = _load_index(name).copy()
    try:
        lo = pd.Timestamp(start) if start else df["Date"].iloc[0]
        hi = pd.Timestamp(end) if end else df["Date"].iloc[-1]
    except ValueError as err:
        raise ValueError(f"start/end must be dates like 2005-01-31 ({err})") from None
    df = df[(df["Date"] >= lo) & (df["Date"] <= hi)].reset_index(drop=True)
    if df.empty:
        raise ValueError(f"no {INDEXES[name]} prices between {start} and {end} (data covers 1999-01-04 .. 2018-12-31)")
    return df


def ceiling_accuracy(signal: float) -> float:
    """Best possible next-day direction accuracy of the synthetic market, ignoring drift: Phi(s / sqrt(1 - s^2))."""
    if signal >= 1.0:
        return 1.0
    return 0.5 * (1.0 + math.erf(signal / math.sqrt(1.0 - signal * signal) / math.sqrt(2.0)))


def synthetic_prices(n_days: int = 2000, signal: float = 0.3, seed: int = 0, drift: float = 3e-4,
                     vols: tuple[float, float] = (0.008, 0.02), stay: tuple[float, float] = (0.98, 0.95),
                     start: str = "2000-01-03") -> pd.DataFrame:
    """Seeded regime-switching prices: Date (business days), Close, Volume and Regime (0 calm, 1 volatile).

    vols are the daily return std of the two regimes and stay their probabilities of staying
    put each day; volume is log-normal and higher in the volatile regime (it tells the regime,
    not the direction). See the module docstring for the return equation.
    """
    if isinstance(n_days, bool) or not isinstance(n_days, (int, np.integer)) or not 100 <= n_days <= 100_000:
        raise ValueError(f"number of days must be a whole number from 100 to 100000, got {n_days!r}")
    if not 0.0 <= signal <= 1.0:
        raise ValueError(f"signal strength must be between 0 and 1, got {signal}")
    if min(vols) <= 0 or not all(0.0 < p < 1.0 for p in stay):
        raise ValueError("regime volatilities must be positive and stay probabilities strictly between 0 and 1")
    rng = np.random.default_rng(seed)
    u = rng.random(n_days)  # (n,) regime switch draws
    z = rng.standard_normal(n_days)  # (n,) return noise
    eta = rng.standard_normal(n_days)  # (n,) volume noise
    regime = np.zeros(n_days, dtype=np.int64)
    r = np.zeros(n_days)  # (n,) daily log returns; r[0] = 0
    keep_noise = math.sqrt(max(0.0, 1.0 - signal * signal))
    for t in range(1, n_days):
        regime[t] = regime[t - 1] if u[t] < stay[regime[t - 1]] else 1 - regime[t - 1]
        r[t] = drift + vols[regime[t]] * (signal * -np.sign(r[t - 1]) + keep_noise * z[t])
    return pd.DataFrame({
        "Date": pd.bdate_range(start, periods=n_days).as_unit("ns"),
        "Close": 100.0 * np.exp(np.cumsum(r)),
        "Volume": np.round(1e6 * np.exp(0.4 * regime + 0.25 * eta)),
        "Regime": regime,
    })
