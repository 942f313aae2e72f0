"""The Market page's figures: the run's (learning curves while it trains; accuracy, latency, calibration and
equity at the end) and the cross-market transfer's curve."""
from __future__ import annotations

import numpy as np

from kdviz.experiments.live import curves
from kdviz.experiments.market import MarketConfig, MarketSnapshot
from kdviz.experiments.market.transfer import TransferConfig, TransferSnapshot
from kdviz.trading.prices import synthetic_prices
from kdviz.plots import market as plots
from kdviz.plots import svg
from kdviz.plots.style import TEACHER
from kdviz.plots.training import learning_curves


def figures(cfg: MarketConfig, snap: MarketSnapshot, lines: list[str] | tuple[str, ...] | None = None) -> dict:
    """While the students train, their learning curves; at the end the accuracy bars, latency, calibration and
    the equity chart of the backtests ``lines`` (default plots.market.equity_lines, the page's)."""
    r = snap.result
    if r is None:
        return {"learning curves": lambda: learning_curves(*curves(snap.run.history))}
    return {"accuracy": lambda: plots.accuracy_bars(r.models),
            "latency": lambda: plots.latency_chart(r.latency, r.latency_batches, r.params),
            "calibration": lambda: plots.reliability_chart(r.reliability),
            "equity": lambda: plots.equity_chart(r.dates, r.backtest, shown=lines)}


def transfer(cfg: TransferConfig, snap: TransferSnapshot) -> dict:
    """The transfer students' accuracy against the months of history, once one history length is done."""
    return {"transfer": lambda: plots.transfer_chart(snap.rows)} if snap.rows else {}


DRAWS = {"market": figures, "market_transfer": transfer}  # experiment -> its figures (kdviz.figures.FIGURES)


def card() -> str:
    """Home's card figure (SVG text): a synthetic price series."""
    close = synthetic_prices(500, 0.3, 0)["Close"].to_numpy()  # (500,)
    return svg.lines(np.arange(len(close)), [(close, TEACHER)])
