"""Cross-market transfer: an S&P 500 ensemble teaches a NASDAQ student that has only a short history.

The NASDAQ test period is fixed (TEST_START to the end of the data). The teacher ensemble is
trained on S&P 500 days ending well before it (TEACHER_END), so it never sees the test period.
For each history length N (months), students see only the last 21 N NASDAQ trading days before
the test period's purge gap (horizon + lookback days); each seed trains a KD student (soft
targets: the S&P teacher's averaged probabilities on those NASDAQ days) and a baseline student
on the labels alone, from the same weights and batch order. Both markets' features are
standardised with the teacher's S&P training statistics, so the teacher reads NASDAQ features
on its own scale. Students train a fixed number of steps: a few months leave no room for a
validation period.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from kdviz import metrics
from kdviz.config import canonical, canonical_widths, parse_list, parse_widths, setting
from kdviz.data.market import build_market_dataset
from kdviz.data.registry import Dataset
from kdviz.experiments.market import clear_beyond_noise, noise_band, teacher_config
from kdviz.experiments.market.models import ensemble_logits, paired_members
from kdviz.experiments.protocol import Experiment, Phase
from kdviz.experiments import learned
from kdviz.experiments.stats import count, not_judged, paired
from kdviz.trading.features import FeatureConfig, build_features, direction_labels, forward_returns, label_names
from kdviz.trading.prices import load_index
from kdviz.softening_curves import T_CHOICES
from kdviz.train import PopulationRun, TeacherOutputs, train_ensemble

TEST_START = pd.Timestamp("2017-01-01")  # NASDAQ test period: 2017-2018
TEACHER_END = pd.Timestamp("2016-06-30")  # the S&P 500 teacher's data ends here
MONTH_CHOICES = (1, 2, 3, 6, 12, 24, 48)
DAYS_PER_MONTH = 21  # trading days
TEACHER_HIDDEN, TEACHER_MEMBERS = (64, 64), 5


def _months(p: str) -> int:
    """One history length, checked against MONTH_CHOICES."""
    try:
        m = int(p)
    except ValueError:
        raise ValueError("a whole number of months") from None
    if m not in MONTH_CHOICES:
        raise ValueError(f"one of {', '.join(map(str, MONTH_CHOICES))} months")
    return m


def parse_months(text: str) -> tuple[int, ...]:
    """Parse history lengths "3, 6, 12" -> (3, 6, 12): 1 to 6 distinct values from MONTH_CHOICES, sorted."""
    return tuple(sorted(set(parse_list(text, _months, "history lengths in months", 1, 6))))


canonical_months = canonical(parse_months)


@dataclass
class TransferConfig:
    """The cross-market transfer experiment, round-tripped through the URL (prefix "tr")."""

    months: str = setting("1, 3, 12, 48", "History lengths (months)", parse=canonical_months,
                          help=f"Up to 6 of {', '.join(map(str, MONTH_CHOICES))}")
    student: str = setting("4", "Student hidden widths", parse=canonical_widths)
    T: float = setting(2.0, "Temperature T", choices=T_CHOICES)
    alpha: float = setting(0.1, "alpha (weight of hard labels)", lo=0.0, hi=1.0, step=0.05)
    steps: int = setting(300, "Student steps", lo=50, hi=2000, step=50)
    seeds: int = setting(3, "Seeds", lo=1, hi=5)
    seed: int = setting(0, "Seed", lo=0, hi=9999)


def validate(cfg: TransferConfig) -> TransferConfig:
    """Check the typed lists (history lengths, student widths); raise ValueError with a message for the page."""
    parse_months(cfg.months)
    parse_widths(cfg.student)
    return cfg


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
    end = test[0] - (horizon + cfg.lookback)  # purge: no train label's price reaches a test feature
    train = np.flatnonzero(ok & (np.arange(len(prices)) < end))[-DAYS_PER_MONTH * months:]
    return Dataset("nasdaq", torch.from_numpy(x[train]), torch.from_numpy(y[train]), torch.from_numpy(x[test]),
                   torch.from_numpy(y[test]), label_names(0.0),
                   info={"dates_train": dates.to_numpy()[train], "dates_test": dates.to_numpy()[test]})


@dataclass
class TransferRow:
    """Paired KD/baseline NASDAQ students at one history length."""

    months: int
    n_train: int  # NASDAQ training days
    kd: np.ndarray  # (S,) test accuracy of the KD students
    baseline: np.ndarray  # (S,) of the students without KD
    teacher: float  # the S&P teacher's accuracy on the NASDAQ test period
    majority: float  # always predicting the training period's majority class
    n_test: int
    failed: list[str] = field(default_factory=list)  # students that diverged or whose loss exploded (learned)


@dataclass
class TransferSnapshot:
    """The history lengths done so far."""

    progress: float
    rows: list[TransferRow]


def transfer_row(teacher, months: int, cfg: TransferConfig, mean, std, device=None, hook=None) -> TransferRow:
    """Paired KD/baseline students on ``months`` of NASDAQ history; their test accuracies (S,) each (``hook``: the
    training run's step hook)."""
    ds = nasdaq_data(months, mean, std)
    dev = teacher.device
    outputs = TeacherOutputs(ensemble_logits(teacher, ds.x_train.to(dev)), ensemble_logits(teacher, ds.x_test.to(dev)))
    students = PopulationRun(ds, outputs, parse_widths(cfg.student),
                             paired_members(cfg.seeds, cfg.T, cfg.alpha, 1e-2, cfg.seed),
                             batch_size=min(64, len(ds.y_train)), device=device, record_every=cfg.steps,
                             hook=hook)
    students.step(cfg.steps)
    acc = metrics.accuracy(students.logits(ds.x_test), students.ds.y_test).cpu().numpy()  # (2S,)
    majority = int(float(ds.y_train.float().mean()) >= 0.5)
    # accuracy at the majority rate is no failure on a real market (learnable=False): only divergence is
    names = [f"{'baseline' if k % 2 else 'kd'} student, seed {k // 2}" for k in range(len(acc))]
    failed = learned.named(names, learned.run_failures(students, learnable=False))
    return TransferRow(months, int(len(ds.y_train)), acc[0::2], acc[1::2],
                       float(metrics.accuracy(outputs.test, ds.y_test.to(dev))),
                       float((ds.y_test == majority).float().mean()), int(len(ds.y_test)), failed)


def run(cfg: TransferConfig, device: str | None = None, hook=None) -> Iterator:
    """The S&P ensemble teacher, then paired KD/baseline NASDAQ students for each history length.

    hook: called before each training step (a job's preemption point), or None.
    """
    months = parse_months(cfg.months)
    yield Phase("teacher", 0.0, "Training the S&P 500 teacher ensemble…")
    tds = teacher_data()
    teacher = train_ensemble(tds, teacher_config(TEACHER_HIDDEN, TEACHER_MEMBERS, cfg.seed), device, hook)
    rows = []
    for i, m in enumerate(months):
        rows.append(transfer_row(teacher, m, cfg, tds.info["mean"], tds.info["std"], device, hook))
        yield TransferSnapshot(0.3 + 0.7 * (i + 1) / len(months), list(rows))


EXPERIMENT = Experiment("market_transfer", "Cross-market transfer: S&P 500 teacher, NASDAQ student",
                        TransferConfig, run, TransferSnapshot)


def verdict(rows: list[TransferRow]) -> list[str]:
    """Honest sentences on the transfer runs, every number computed from ``rows``."""
    out = []
    for r in rows:
        effect = paired(r.baseline, r.kd)
        judged = ("a clear difference" if clear_beyond_noise(effect, r.n_test) else "within the seed spread or the noise"
                  ) if not r.failed else not_judged(r.failed).rstrip(".")
        out.append(f"{count(r.months, 'month')} ({r.n_train} days): KD {np.mean(r.kd):.1%}, baseline "
                   f"{np.mean(r.baseline):.1%} ({effect.text()}, "
                   f"{judged}).")
    maj = rows[-1].majority
    best = max(max(np.mean(r.kd), np.mean(r.baseline), r.teacher) for r in rows)
    n_test = rows[-1].n_test
    noise = noise_band(n_test)
    if best - maj > noise:
        out.append(f"The best model reaches {best:.1%}, above the majority class ({maj:.1%}) by more than the "
                   f"noise of {n_test} test days (±{noise * 100:.1f} points).")
    else:
        out.append(f"No model beats always predicting the majority class ({maj:.1%}) beyond the noise of "
                   f"{n_test} test days (±{noise * 100:.1f} points).")
    return out
