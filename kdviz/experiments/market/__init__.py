"""Market: distil an ensemble that predicts tomorrow's direction into a tiny, fast student.

Data: the synthetic market (a known, learnable signal), the S&P 500 or NASDAQ (arch's bundled
1999-2018 series) or an uploaded Date/Close[/Volume] CSV, turned into past-only features and
direction labels with purged chronological splits (kdviz.data.market). Teacher: an ensemble of
MLPs trained as one population (kdviz.train.train_ensemble). Students: one tiny MLP per seed
trained with KD from the ensemble's averaged probabilities, paired with the same MLP trained on
labels alone. All are checkpointed on the validation period and judged on the test period
against the majority class and logistic regression, with fidelity, calibration, measured
latency and a long/flat backtest. The cross-market transfer experiment is in transfer.py.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from kdviz import metrics
from kdviz.baselines import logistic_baseline, majority_baseline
from kdviz.config import canonical_widths, learning_rate, parse_widths, setting
from kdviz.data import make_dataset
from kdviz.data.market import build_market_dataset
from kdviz.experiments.market.models import (EnsemblePredictor, StudentPredictor, ensemble_outputs,
                                             paired_members)
from kdviz.experiments.protocol import Experiment, Phase
from kdviz.experiments import learned
from kdviz.experiments.members import run_members
from kdviz.experiments.stats import count, not_judged, paired
from kdviz.trading.backtest import backtest
from kdviz.trading.csv_input import parse_price_csv
from kdviz.trading.features import FeatureConfig
from kdviz.trading.latency import measure_latency
from kdviz.trading.split import minimum_rows
from kdviz.models import param_count
from kdviz.softening_curves import T_CHOICES
from kdviz.train import Checkpoints, PopulationRun, RunSnapshot, TeacherConfig, model_logits, train_ensemble

SOURCES = {"synthetic": "Synthetic market", "sp500": "S&P 500 (1999-2018)", "nasdaq": "NASDAQ (1999-2018)",
           "upload": "Uploaded CSV"}
TEACHER_STEPS, TEACHER_LR, TEACHER_DROPOUT, TEACHER_WD = 1000, 1e-3, 0.3, 1e-3
LATENCY_BATCHES = (1, 1024)


@dataclass
class MarketConfig:
    """Everything the Market page trains, round-tripped through the URL."""

    source: str = setting("synthetic", "Data", choices=tuple(SOURCES), format=SOURCES.get)
    signal: float = setting(0.4, "Synthetic signal strength", lo=0.0, hi=0.9, step=0.05,
                            help="0: a random walk; higher: yesterday's move foretells more of today's.")
    days: int = setting(3000, "Synthetic trading days", lo=500, hi=10000, step=250)
    horizon: int = setting(1, "Horizon (days ahead)", lo=1, hi=20)
    lags: int = setting(5, "Daily return lags", lo=0, hi=10)
    trend: bool = setting(True, "Trend (momentum, moving averages)")
    volatility: bool = setting(True, "Volatility")
    volume: bool = setting(True, "Volume", help="z-score of log volume, when the data has a Volume column")
    members: int = setting(5, "Teacher ensemble members", lo=2, hi=8)
    teacher: str = setting("64, 64", "Teacher hidden widths", parse=canonical_widths)
    student: str = setting("4", "Student hidden widths", parse=canonical_widths)
    T: float = setting(2.0, "Temperature T", choices=T_CHOICES)
    alpha: float = setting(0.1, "alpha (weight of hard labels)", lo=0.0, hi=1.0, step=0.05)
    steps: int = setting(1000, "Student steps", lo=100, hi=5000, step=100)
    lr: float = learning_rate()
    seeds: int = setting(3, "Seeds (paired students)", lo=1, hi=5)
    cost_bps: float = setting(2.0, "Cost per trade (basis points)", lo=0.0, hi=50.0, step=0.5, widget="number")
    seed: int = setting(0, "Seed", lo=0, hi=9999)


def feature_config(cfg: MarketConfig) -> FeatureConfig:
    """The FeatureConfig the page's feature switches describe (ValueError if none is on)."""
    return FeatureConfig(lags=cfg.lags, vol_windows=(5, 20) if cfg.volatility else (),
                         momentum_windows=(5, 20, 60) if cfg.trend else (), ma_windows=(10, 50) if cfg.trend else (),
                         volume_window=20 if cfg.volume else 0)


def validate(cfg: MarketConfig) -> MarketConfig:
    """Check a config's cross-field rules; raise ValueError with a message for the page."""
    parse_widths(cfg.teacher)
    parse_widths(cfg.student)
    if cfg.source not in SOURCES:
        raise ValueError(f"unknown data source {cfg.source!r}; choose one of {', '.join(SOURCES)}")
    if cfg.lags == 0 and not (cfg.trend or cfg.volatility or cfg.volume):
        raise ValueError("choose at least one feature: return lags, trend, volatility or volume")
    feature_config(cfg)
    return cfg


def read_upload(data: bytes, cfg: MarketConfig) -> pd.DataFrame:
    """Parse an uploaded price CSV for these settings (ValueError naming the problem, shown as it is)."""
    need = minimum_rows(feature_config(cfg), cfg.horizon)
    return parse_price_csv(data, min_rows=need)


def frame_to_config(prices: pd.DataFrame) -> dict:
    """A price frame as plain arrays for a job (picklable, compact)."""
    out = {"Date": prices["Date"].to_numpy(dtype="datetime64[ns]").astype(np.int64),
           "Close": prices["Close"].to_numpy(dtype=np.float64)}
    if "Volume" in prices:
        out["Volume"] = prices["Volume"].to_numpy(dtype=np.float64)
    return out


def build_data(cfg: MarketConfig, prices: dict | pd.DataFrame | None = None):
    """The Dataset for a config: synthetic, an index, or uploaded ``prices`` (needed when source is "upload")."""
    feats = feature_config(cfg)
    if cfg.source == "synthetic":
        return make_dataset("synthetic_market", n=cfg.days, seed=cfg.seed, signal=cfg.signal, horizon=cfg.horizon,
                            features=feats)
    if cfg.source in ("sp500", "nasdaq"):
        return make_dataset(cfg.source, horizon=cfg.horizon, features=feats)
    if prices is None:
        raise ValueError("upload a CSV file with Date and Close columns first")
    frame = prices if isinstance(prices, pd.DataFrame) else pd.DataFrame(
        {**prices, "Date": pd.to_datetime(np.asarray(prices["Date"], dtype="datetime64[ns]"))})
    return build_market_dataset(frame, "upload", feats, cfg.horizon, info={"source": "uploaded CSV"})


def chunk_size(steps: int) -> int:
    """Steps per chunk (one validation check and one snapshot each): about 20 per run."""
    return max(25, math.ceil(steps / 20))


def teacher_config(hidden: tuple[int, ...], members: int, seed: int) -> TeacherConfig:
    """The ensemble teacher's settings: dropout, weight decay, every step trained, checkpointed on validation."""
    return TeacherConfig(hidden=hidden, dropout=TEACHER_DROPOUT, lr=TEACHER_LR, weight_decay=TEACHER_WD,
                         steps=TEACHER_STEPS, eval_every=chunk_size(TEACHER_STEPS), patience=None, seed=seed,
                         members=members)


@dataclass
class MarketResult:
    """Every number the page shows at the end (plain and NumPy values)."""

    models: dict  # name -> {accuracy, balanced_accuracy, ece, nll, fidelity}; kd/baseline entries are (S,)
    latency: dict  # "teacher"/"student" -> [us per prediction at each of latency_batches]
    latency_batches: list[int]
    params: dict  # "teacher"/"student" -> weights per prediction path
    backtest: dict  # name -> {equity, total_return, sharpe, max_drawdown, n_trades}
    dates: np.ndarray  # (N_test,) datetime64
    reliability: dict  # name -> (confidence (B,), accuracy (B,), count (B,))
    n_test: int
    n_train: int
    class_names: list[str]
    test_up_share: float
    ceiling: float | None  # the synthetic market's best possible accuracy (horizon 1)
    period: tuple[str, str]  # first and last test day
    failed: list[str] = field(default_factory=list)  # students that diverged or whose loss exploded (student_failures)


@dataclass
class MarketSnapshot:
    """The students' progress; at the end every test-period number."""

    progress: float
    run: RunSnapshot
    result: MarketResult | None = None


def run(cfg: MarketConfig, device: str | None = None, prices: dict | None = None, hook=None) -> Iterator:
    """The ensemble teacher, then paired KD/baseline students in chunks, then every test-period number.

    hook: called before each training step (a job's preemption point), or None.
    """
    cfg = validate(cfg)
    ds = build_data(cfg, prices)
    yield Phase("teacher", 0.0, "Training the teacher ensemble…")
    teacher = train_ensemble(ds, teacher_config(parse_widths(cfg.teacher), cfg.members, cfg.seed), device, hook)
    outputs = ensemble_outputs(teacher, ds)
    chunk = chunk_size(cfg.steps)
    students = PopulationRun(ds, outputs, parse_widths(cfg.student),
                             paired_members(cfg.seeds, cfg.T, cfg.alpha, cfg.lr, cfg.seed), device=device,
                             record_every=chunk, hook=hook)
    checkpoints = Checkpoints(students, (ds.x_val, ds.y_val) if ds.x_val is not None else None)
    while students.t < cfg.steps:
        students.step(min(chunk, cfg.steps - students.t))
        checkpoints.update()
        if students.t < cfg.steps:
            yield MarketSnapshot(0.4 + 0.5 * students.t / cfg.steps, students.snapshot())
    best = checkpoints.best()
    final = students.snapshot()
    final.weights = best.arrays()  # the checkpointed students the numbers describe (for exports)
    result = final_numbers(ds, teacher, best, outputs.test, cfg)
    result.failed = student_failures(ds, best, final)
    yield MarketSnapshot(1.0, final, result)


def student_failures(ds, best, run: RunSnapshot) -> list[str]:
    """The paired students (the checkpointed ``best`` population) that diverged or whose training loss exploded
    (learned.failures, learnable False: accuracy at the majority rate is no failure here, on a real market it
    is what good models reach)."""
    names = [f"{'KD student' if i % 2 == 0 else 'baseline'}, seed {i // 2}" for i in range(len(run.status))]
    z = model_logits(best, ds.x_test.to(best.device))  # (K, N, C)
    return learned.named(names, learned.failures(z, ds.y_test, None, run.history["hard_loss"], run.status,
                                                 learnable=False))


def _scores(z: torch.Tensor, y: torch.Tensor, v: torch.Tensor) -> dict:
    """Accuracy, balanced accuracy, ECE, NLL and fidelity to the teacher of logits (N, C) or (K, N, C)."""
    out = {"accuracy": metrics.accuracy(z, y), "balanced_accuracy": metrics.balanced_accuracy(z, y),
           "ece": metrics.expected_calibration_error(z, y), "nll": metrics.nll(z, y), "fidelity": metrics.fidelity(z, v)}
    return {k: t.detach().cpu().numpy() for k, t in out.items()}


def _performance(p) -> dict:
    return {"equity": p.equity, "total_return": p.total_return, "sharpe": p.sharpe, "max_drawdown": p.max_drawdown,
            "n_trades": p.n_trades}


def final_numbers(ds, teacher, students, teacher_test_logits: torch.Tensor, cfg: MarketConfig) -> MarketResult:
    """Every number the page shows, computed from the trained models on the test period."""
    x, y = ds.x_test.to(teacher.device), ds.y_test.to(teacher.device)
    v = teacher_test_logits  # (N, C) ensemble logits
    z = model_logits(students.to(teacher.device), x)  # (K, N, C) students in eval mode, no grad
    kd, base = slice(0, None, 2), slice(1, None, 2)
    lin, maj = logistic_baseline(ds, seed=cfg.seed), majority_baseline(ds)
    lin_logits = torch.from_numpy(np.log(np.clip(lin.proba, 1e-7, None))).float()  # (N, C)
    maj_logits = torch.from_numpy(np.log(np.clip(maj.proba, 1e-7, None))).float()
    logits = {"teacher": v, "kd": z[kd], "baseline": z[base], "logistic": lin_logits.to(x.device),
              "majority": maj_logits.to(x.device)}
    models = {name: _scores(lg, y, v) for name, lg in logits.items()}
    up = ds.n_classes - 1
    rets = ds.info["test_next_returns"]
    signals = {name: (lg[0] if lg.dim() == 3 else lg).argmax(-1).cpu().numpy() == up for name, lg in logits.items()}
    tests = {name: backtest(sig, rets, cfg.cost_bps) for name, sig in signals.items() if name != "majority"}
    bt = {name: _performance(t.strategy) for name, t in tests.items()}
    bt["buy_and_hold"] = _performance(tests["teacher"].buy_and_hold)
    student_model = students.member(0).eval()
    latency = {name: [m.us_per_prediction for m in measure_latency(model, x, LATENCY_BATCHES)]
               for name, model in (("teacher", EnsemblePredictor(teacher)), ("student", StudentPredictor(student_model)))}
    return MarketResult(
        models=models, latency=latency, latency_batches=list(LATENCY_BATCHES),
        params={"teacher": param_count(teacher), "student": param_count(student_model)},
        backtest=bt, dates=np.asarray(ds.info["dates_test"]),
        reliability={name: reliability(logits[name][0] if logits[name].dim() == 3 else logits[name], y)
                     for name in ("teacher", "kd", "baseline", "logistic")},
        n_test=int(len(y)), n_train=int(len(ds.y_train)), class_names=list(ds.class_names),
        test_up_share=float((ds.y_test == up).float().mean()),
        ceiling=ds.info.get("ceiling_accuracy") if cfg.horizon == 1 else None,
        period=(str(np.datetime_as_string(ds.info["dates_test"][0], "D")),
                str(np.datetime_as_string(ds.info["dates_test"][-1], "D"))),
    )


def reliability(z: torch.Tensor, y: torch.Tensor, bins: int = metrics.ECE_BINS) -> tuple[np.ndarray, ...]:
    """Reliability diagram data of logits z (N, C): per confidence bin (b/B, (b+1)/B], the mean confidence,
    the accuracy and the count (B,) each; empty bins give NaN. The binning of metrics.ece."""
    p = torch.softmax(z.detach().float(), -1)
    conf, pred = p.max(-1)  # (N,)
    hit = (pred == y).double()
    idx = (conf.double() * bins).ceil().long().sub(1).clamp(0, bins - 1)  # (N,)
    n = torch.bincount(idx, minlength=bins).double()
    with np.errstate(invalid="ignore"):
        mean_conf = (torch.bincount(idx, conf.double(), bins) / n).cpu().numpy()
        acc = (torch.bincount(idx, hit, bins) / n).cpu().numpy()
    return mean_conf, acc, n.cpu().numpy().astype(np.int64)


def noise_band(n_test: int) -> float:
    """About two standard errors of an accuracy near 50% on n_test days: 1 / sqrt(n)."""
    return 1.0 / np.sqrt(n_test) if n_test else 0.0


def clear_beyond_noise(effect, n_test: int) -> bool:
    """The market pages' one rule for "a clear difference" in accuracy: the paired effect is clear over
    seeds (kdviz.experiments.stats) and larger than the noise of n_test test days (noise_band)."""
    return effect.clear and abs(effect.mean) > noise_band(n_test)


def verdict(result: MarketResult) -> list[str]:
    """Honest sentences on this run, every number computed from ``result``."""
    m, lat, par = result.models, result.latency, result.params
    kd, base = m["kd"]["accuracy"], m["baseline"]["accuracy"]
    effect = paired(base, kd)
    acc_line = (f"Accuracy: KD student {kd.mean():.1%}, baseline (the same student without KD) {base.mean():.1%} "
                f"({effect.text()}, paired over {count(effect.n, 'seed')}): ")
    if result.failed:
        acc_line += not_judged(result.failed)
    elif effect.n < 2:
        acc_line += "one seed cannot tell an effect from noise; train more seeds."
    else:
        acc_line += (f"a clear difference, beyond the seed spread and the noise of {result.n_test} test days."
                     if clear_beyond_noise(effect, result.n_test) else
                     f"within the seed spread or the noise of {result.n_test} test days "
                     f"(±{noise_band(result.n_test) * 100:.1f} points), so no clear accuracy effect of KD here.")
    best = max(("teacher", "kd", "baseline", "logistic"), key=lambda k: float(np.mean(m[k]["accuracy"])))
    lift = float(np.mean(m[best]["accuracy"]) - m["majority"]["accuracy"])
    noise = noise_band(result.n_test)
    base_line = (f"Best model: {best_name(best)} at {float(np.mean(m[best]['accuracy'])):.1%}, "
                 f"{lift * 100:+.1f} points over always predicting the majority class "
                 f"({float(m['majority']['accuracy']):.1%}); ")
    base_line += (f"that is beyond the noise of {result.n_test} test days (±{noise * 100:.1f} points)."
                  if lift > noise else f"that is within the noise of {result.n_test} test days "
                                       f"(±{noise * 100:.1f} points): nothing here beats the majority class.")
    speed1 = lat["teacher"][0] / lat["student"][0]
    speed_n = lat["teacher"][-1] / lat["student"][-1]
    lat_line = (f"Latency: the student has {par['teacher'] / par['student']:.0f}x fewer weights and answers "
                f"{speed1:.1f}x faster at batch {result.latency_batches[0]} and {speed_n:.1f}x faster at batch "
                f"{result.latency_batches[-1]} ({lat['student'][0]:.0f} vs {lat['teacher'][0]:.0f} µs per prediction "
                f"at batch 1).")
    fid_kd, fid_base = m["kd"]["fidelity"].mean(), m["baseline"]["fidelity"].mean()
    ece_kd, ece_base = m["kd"]["ece"].mean(), m["baseline"]["ece"].mean()
    cal_line = (f"Fidelity (agrees with the teacher): KD {fid_kd:.1%}, baseline {fid_base:.1%}. Calibration error (ECE): "
                f"KD {ece_kd:.3f}, baseline {ece_base:.3f}, teacher {float(m['teacher']['ece']):.3f}.")
    return [acc_line, base_line, lat_line, cal_line]


def best_name(key: str) -> str:
    """Readable name of a model key."""
    return {"teacher": "the teacher ensemble", "kd": "the KD student", "baseline": "the baseline (the student without KD)",
            "logistic": "logistic regression"}[key]


def run_verdict(cfg: MarketConfig, snap: MarketSnapshot) -> str:
    """The page's verdict of a finished run in one paragraph ("" before the end)."""
    return " ".join(verdict(snap.result)) if snap.result is not None else ""


def students(cfg: MarketConfig, snap: MarketSnapshot) -> list[dict]:
    """One row per student (KD and baseline members alternate, one pair per seed) with its test-period metrics."""
    rows = run_members(cfg, snap)
    if snap.result is not None:
        for k, row in enumerate(rows):
            role = "kd" if k % 2 == 0 else "baseline"
            row.update({metric: float(np.asarray(v)[k // 2]) for metric, v in snap.result.models[role].items()})
    return rows


EXPERIMENT = Experiment("market", "Market: an ensemble distilled into a tiny low-latency student", MarketConfig, run,
                        MarketSnapshot, students=students, verdict=run_verdict)
