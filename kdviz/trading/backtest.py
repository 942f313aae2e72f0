"""Long/flat backtest of a model's up-signal over the test period, with buy-and-hold alongside.

Day i's position p_i (1 long, 0 flat) is taken at day i's close and earns the next-day simple
return R_i = C_{i+1} / C_i - 1. The account starts flat (p_{-1} = 0) and pays ``cost_bps`` basis
points of equity on every position change, entering included (a final exit is not charged):

    s_i = p_i * R_i - cost * |p_i - p_{i-1}|,   E_0 = 1,   E_{i+1} = E_i * (1 + s_i)

Sharpe = mean(s) / std(s, ddof=1) * sqrt(periods_per_year) with a zero risk-free rate (0 when s
is constant); max drawdown = max_t (1 - E_t / max_{u <= t} E_u), including the start E_0 = 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Performance:
    """One strategy's result over N days."""

    equity: np.ndarray  # (N + 1,) account value, starting at 1
    returns: np.ndarray  # (N,) daily strategy returns after costs
    positions: np.ndarray  # (N,) 0/1 held from day i's close to day i + 1's
    total_return: float  # E_N - 1
    sharpe: float  # annualised, zero risk-free rate
    max_drawdown: float  # largest fall from a running peak, as a fraction (0.25 = -25%)
    n_trades: int  # position changes, entering included


@dataclass
class Backtest:
    """The model's long/flat strategy and buy-and-hold over the same days, same costs."""

    strategy: Performance
    buy_and_hold: Performance


def _as_array(x, name: str) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1 or len(arr) == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    return arr


def performance(positions, next_returns, cost_bps: float = 0.0, periods_per_year: int = 252) -> Performance:
    """Equity, returns and statistics of holding ``positions`` (0/1 per day) over ``next_returns`` (N,)."""
    p = _as_array(positions, "positions")  # (N,)
    r = _as_array(next_returns, "next-day returns")  # (N,)
    if p.shape != r.shape:
        raise ValueError(f"positions ({len(p)}) and next-day returns ({len(r)}) must have the same length")
    if not np.isin(p, (0.0, 1.0)).all():
        raise ValueError("positions must be 0 (flat) or 1 (long)")
    if not np.isfinite(r).all() or (r <= -1).any():
        raise ValueError("next-day returns must be finite and above -100%")
    if not 0 <= cost_bps <= 1000:
        raise ValueError(f"transaction cost must be between 0 and 1000 basis points, got {cost_bps}")
    changes = np.abs(np.diff(p, prepend=0.0))  # (N,) 1 where the position changes
    s = p * r - cost_bps / 1e4 * changes  # (N,)
    equity = np.concatenate([[1.0], np.cumprod(1.0 + s)])  # (N + 1,)
    sd = s.std(ddof=1) if len(s) > 1 else 0.0
    sharpe = float(s.mean() / sd * np.sqrt(periods_per_year)) if sd > 1e-15 else 0.0
    drawdown = 1.0 - equity / np.maximum.accumulate(equity)  # (N + 1,)
    return Performance(equity=equity, returns=s, positions=p.astype(np.int64), total_return=float(equity[-1] - 1.0),
                       sharpe=sharpe, max_drawdown=float(drawdown.max()), n_trades=int(changes.sum()))


def backtest(long, next_returns, cost_bps: float = 1.0, periods_per_year: int = 252) -> Backtest:
    """Long/flat on ``long`` (N,) booleans (the model says up) vs buy-and-hold, both paying ``cost_bps``.

    For class predictions use long = (pred == up_class), e.g. up_class = len(class_names) - 1.
    ``next_returns`` is Dataset.info["test_next_returns"] for a market dataset.
    """
    long = _as_array(long, "long signal")
    return Backtest(strategy=performance(long, next_returns, cost_bps, periods_per_year),
                    buy_and_hold=performance(np.ones_like(long), next_returns, cost_bps, periods_per_year))
