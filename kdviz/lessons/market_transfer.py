"""Cross-market transfer: an S&P 500 ensemble teaches a NASDAQ student that has only a short history.

The NASDAQ test period is fixed (TEST_START to the end of the data). The teacher ensemble is
trained on S&P 500 days ending well before it (TEACHER_END), so it never sees the test period.
For each history length N (months), students see only the last 21 N NASDAQ trading days before
the test period's purge gap (horizon + lookback days); each seed trains a KD student
(soft targets: the S&P teacher's averaged probabilities on those NASDAQ days) and a baseline
student on the labels alone, from the same weights and batch order. Both markets' features are
standardised with the teacher's S&P training statistics, so the teacher reads NASDAQ features
on its own scale. Students train a fixed number of steps: a few months leave no room for a
validation period.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from kdviz import metrics
from kdviz.data.market import load_index
from kdviz.data.registry import Dataset
from kdviz.lessons.live import parse_hidden
from kdviz.lessons.market import TEACHER_DROPOUT, TEACHER_LR, TEACHER_STEPS, TEACHER_WD, chunk_size
from kdviz.lessons.market_models import ensemble_logits, paired_members, teacher_members, train_checkpointed
from kdviz.market.dataset import build_market_dataset
from kdviz.market.features import FeatureConfig, build_features, direction_labels, forward_returns, label_names
from kdviz.sweeps import T_CHOICES
from kdviz.train import PopulationRun, TeacherOutputs
from kdviz.train.outputs import model_logits

TEST_START = pd.Timestamp("2017-01-01")  # NASDAQ test period: 2017-2018
TEACHER_END = pd.Timestamp("2016-06-30")  # the S&P 500 teacher's data ends here
MONTH_CHOICES = (1, 2, 3, 6, 12, 24, 48)
DAYS_PER_MONTH = 21  # trading days


def parse_months(text: str) -> tuple[int, ...]:
    """Parse history lengths "3, 6, 12" -> (3, 6, 12): 1 to 6 distinct values from MONTH_CHOICES, sorted."""
    parts = [p for p in str(text).replace(",", " ").split() if p]
    try:
        months = tuple(sorted({int(p) for p in parts}))
    except ValueError:
        raise ValueError(f"history lengths must be whole numbers of months, got {text!r}") from None
    if not 1 <= len(months) <= 6 or not set(months) <= set(MONTH_CHOICES):
        raise ValueError(f"choose 1 to 6 history lengths among {', '.join(map(str, MONTH_CHOICES))} months")
    return months


def canonical_months(text: str) -> str:
    """History lengths in canonical form "1, 3, 12" (ValueError like parse_months)."""
    return ", ".join(map(str, parse_months(text)))


@dataclass
class TransferConfig:
    """The cross-market transfer experiment, round-tripped through the URL (prefix "tr")."""

    months: str = field(default="1, 3, 12, 48", metadata={"parse": canonical_months})  # NASDAQ history lengths
    student: str = field(default="4", metadata={"parse": lambda t: ", ".join(map(str, parse_hidden(t)))})
    T: float = field(default=2.0, metadata={"choices": T_CHOICES})
    alpha: float = field(default=0.1, metadata={"lo": 0.0, "hi": 1.0})
    steps: int = field(default=300, metadata={"lo": 50, "hi": 2000})
    seeds: int = field(default=3, metadata={"lo": 1, "hi": 5})
    seed: int = field(default=0, metadata={"lo": 0, "hi": 9999})


def teacher_data(features: FeatureConfig | None = None) -> Dataset:
    """The S&P 500 teacher's dataset: 1999 to TEACHER_END, purged chronological splits."""
    prices = load_index("sp500", end=str(TEACHER_END.date()))
    return build_market_dataset(prices, "sp500", features, info={"source": "S&P 500"})


def nasdaq_data(months: int, mean: np.ndarray, std: np.ndarray, features: FeatureConfig | None = None,
                horizon: int = 1) -> Dataset:
    """NASDAQ: train = the last 21 * ``months`` trading days before the purge gap, test = TEST_START onward.

    Features are standardised with the given (teacher's) mean and std, both (D,).
    """
    cfg = features or FeatureConfig()
    prices = load_index("nasdaq")
    x = ((build_features(prices, cfg).to_numpy(np.float64) - mean) / std).astype(np.float32)  # (n, D)
    y = direction_labels(forward_returns(prices["Close"].to_numpy(np.float64), horizon))  # (n,)
    dates = prices["Date"]
    ok = np.isfinite(x).all(1) & (y >= 0)
    test = np.flatnonzero(ok & (dates >= TEST_START).to_numpy())
    first_test = test[0]
    end = first_test - (horizon + cfg.lookback)  # purge: no train label's price reaches a test feature
    train = np.flatnonzero(ok & (np.arange(len(prices)) < end))[-DAYS_PER_MONTH * months:]
    return Dataset("nasdaq", torch.from_numpy(x[train]), torch.from_numpy(y[train]), torch.from_numpy(x[test]),
                   torch.from_numpy(y[test]), label_names(0.0),
                   info={"dates_train": dates.to_numpy()[train], "dates_test": dates.to_numpy()[test]})


def train_transfer(config: dict, emit, control) -> None:
    """Job task: the S&P ensemble teacher, then for each history length paired KD/baseline NASDAQ students.

    Emits snapshots with "progress", "months" done so far and "rows": one dict per history length
    (months, n_train, kd (S,), baseline (S,), teacher, majority accuracy on the NASDAQ test period).
    """
    cfg = TransferConfig(**config)
    months = parse_months(cfg.months)
    tds = teacher_data()
    tchunk = chunk_size(TEACHER_STEPS)
    t_run = PopulationRun(tds, None, (64, 64), teacher_members(5, TEACHER_LR, cfg.seed), record_every=tchunk,
                          dropout=TEACHER_DROPOUT, weight_decay=TEACHER_WD)
    emit({"progress": 0.0, "rows": []})
    teacher = train_checkpointed(t_run, TEACHER_STEPS, tchunk, control,
                                 lambda r: emit({"progress": 0.3 * r.t / TEACHER_STEPS, "rows": []}))
    if teacher is None:
        return
    rows = []
    for i, m in enumerate(months):
        if not control.proceed():
            return
        rows.append(transfer_row(teacher, m, cfg, tds.info["mean"], tds.info["std"]))
        emit({"progress": 0.3 + 0.7 * (i + 1) / len(months), "rows": list(rows)})


def transfer_row(teacher, months: int, cfg: TransferConfig, mean, std) -> dict:
    """Paired KD/baseline students on ``months`` of NASDAQ history; their test accuracies (S,) each."""
    ds = nasdaq_data(months, mean, std)
    outputs = TeacherOutputs(ensemble_logits(teacher, ds.x_train), ensemble_logits(teacher, ds.x_test))
    run = PopulationRun(ds, outputs, parse_hidden(cfg.student), paired_members(cfg.seeds, cfg.T, cfg.alpha, 1e-2,
                                                                                cfg.seed),
                        batch_size=min(64, len(ds.y_train)), record_every=cfg.steps)
    run.step(cfg.steps)
    acc = metrics.accuracy(model_logits(run.population, ds.x_test), ds.y_test).numpy()  # (2S,)
    up_share = float(ds.y_train.float().mean())
    majority = int(up_share >= 0.5)
    return {"months": months, "n_train": int(len(ds.y_train)), "kd": acc[0::2], "baseline": acc[1::2],
            "teacher": float(metrics.accuracy(outputs.test, ds.y_test)),
            "majority": float((ds.y_test == majority).float().mean()), "n_test": int(len(ds.y_test))}


def task(cfg: TransferConfig) -> tuple[str, dict]:
    """The (function path, picklable config) pair to submit to the job pool."""
    return "kdviz.lessons.market_transfer:train_transfer", dataclasses.asdict(cfg)


def verdict(rows: list[dict]) -> list[str]:
    """Honest sentences on the transfer runs, every number computed from ``rows``."""
    from kdviz.lessons.market import paired_gain

    out = []
    for r in rows:
        g, sd, clear = paired_gain(r["kd"], r["baseline"])
        spread = f" ± {sd * 100:.1f}" if np.isfinite(sd) else ""
        out.append(f"{r['months']} month(s) ({r['n_train']} days): KD {np.mean(r['kd']):.1%}, no KD "
                   f"{np.mean(r['baseline']):.1%} ({g * 100:+.1f}{spread} points, "
                   f"{'a clear difference' if clear else 'within the seed spread'}).")
    maj = rows[-1]["majority"]
    best = max(max(np.mean(r["kd"]), np.mean(r["baseline"]), r["teacher"]) for r in rows)
    n_test = rows[-1].get("n_test", 0)
    noise = 1.0 / np.sqrt(n_test) if n_test else 0.0
    if best - maj > noise:
        out.append(f"The best model reaches {best:.1%}, above the majority class ({maj:.1%}) by more than the "
                   f"noise of {n_test} test days (±{noise * 100:.1f} points).")
    else:
        out.append(f"No model beats always predicting the majority class ({maj:.1%}) beyond the noise of "
                   f"{n_test} test days (±{noise * 100:.1f} points).")
    return out
