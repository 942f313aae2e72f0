"""Market lesson: distil an ensemble that predicts tomorrow's direction into a tiny, fast student.

Data: the synthetic market (a known, learnable signal), the S&P 500 or NASDAQ (arch's bundled
1999-2018 series) or an uploaded Date/Close[/Volume] CSV, turned into past-only features and
direction labels with purged chronological splits (kdviz.market). Teacher: an ensemble of MLPs
(market_models). Students: one tiny MLP per seed trained with KD from the ensemble's averaged
probabilities, paired with the same MLP trained on labels alone. All are checkpointed on the
validation period and judged on the test period against the majority class and logistic
regression, with fidelity, calibration, measured latency and a long/flat backtest.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from kdviz import metrics
from kdviz.data import make_dataset
from kdviz.lessons.live import parse_hidden
from kdviz.lessons.market_models import (EnsemblePredictor, StudentPredictor, ensemble_outputs, paired_members,
                                         teacher_members, train_checkpointed)
from kdviz.market.backtest import backtest
from kdviz.market.baselines import logistic_baseline, majority_baseline
from kdviz.market.csv_input import parse_price_csv
from kdviz.market.dataset import build_market_dataset, minimum_rows
from kdviz.market.features import FeatureConfig
from kdviz.market.latency import measure_latency
from kdviz.models import param_count
from kdviz.sweeps import T_CHOICES
from kdviz.train import PopulationRun
from kdviz.train.outputs import model_logits

SOURCES = {"synthetic": "Synthetic market", "sp500": "S&P 500 (1999-2018)", "nasdaq": "NASDAQ (1999-2018)",
           "upload": "Uploaded CSV"}
TEACHER_STEPS, TEACHER_LR, TEACHER_DROPOUT, TEACHER_WD = 1000, 1e-3, 0.3, 1e-3
STUDENT_LR = 1e-2
LATENCY_BATCHES = (1, 1024)


def _canonical_hidden(text: str) -> str:
    return ", ".join(map(str, parse_hidden(text)))


@dataclass
class MarketConfig:
    """Everything the Market page trains, round-tripped through the URL."""

    source: str = field(default="synthetic", metadata={"choices": tuple(SOURCES)})  # where the prices come from
    signal: float = field(default=0.4, metadata={"lo": 0.0, "hi": 0.9})  # synthetic only: predictability
    days: int = field(default=3000, metadata={"lo": 500, "hi": 10000})  # synthetic only: trading days
    horizon: int = field(default=1, metadata={"lo": 1, "hi": 20})  # predict the direction this many days ahead
    lags: int = field(default=5, metadata={"lo": 0, "hi": 10})  # daily returns as features
    trend: bool = True  # momentum (5, 20, 60 days) and distance from moving averages (10, 50 days)
    volatility: bool = True  # rolling std of returns (5, 20 days)
    volume: bool = True  # z-score of log volume (20 days), when the data has a Volume column
    members: int = field(default=5, metadata={"lo": 2, "hi": 8})  # MLPs in the teacher ensemble
    teacher: str = field(default="64, 64", metadata={"parse": _canonical_hidden})  # each member's hidden widths
    student: str = field(default="4", metadata={"parse": _canonical_hidden})  # the student's hidden widths
    T: float = field(default=2.0, metadata={"choices": T_CHOICES})
    alpha: float = field(default=0.1, metadata={"lo": 0.0, "hi": 1.0})  # weight of the hard-label term
    steps: int = field(default=1000, metadata={"lo": 100, "hi": 5000})  # student steps
    seeds: int = field(default=3, metadata={"lo": 1, "hi": 5})  # paired KD/baseline students
    cost_bps: float = field(default=2.0, metadata={"lo": 0.0, "hi": 50.0})  # backtest cost per position change
    seed: int = field(default=0, metadata={"lo": 0, "hi": 9999})


def feature_config(cfg: MarketConfig) -> FeatureConfig:
    """The FeatureConfig the page's feature switches describe (ValueError if none is on)."""
    return FeatureConfig(lags=cfg.lags, vol_windows=(5, 20) if cfg.volatility else (),
                         momentum_windows=(5, 20, 60) if cfg.trend else (), ma_windows=(10, 50) if cfg.trend else (),
                         volume_window=20 if cfg.volume else 0)


def validate(cfg: MarketConfig) -> MarketConfig:
    """Check a config's cross-field rules; raise ValueError with a message for the page."""
    parse_hidden(cfg.teacher)
    parse_hidden(cfg.student)
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
    """A price frame as plain arrays for a job config (picklable, compact)."""
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


def train_market(config: dict, emit, control) -> None:
    """Job task: the ensemble teacher, then paired KD/baseline students, then every test-period number.

    config: dataclasses.asdict(MarketConfig) plus "prices" (frame_to_config output) for uploads.
    Snapshots carry "phase" (teacher/students/final), "progress", the students' history, and at
    the end "final" (see final_numbers).
    """
    cfg = validate(MarketConfig(**{k: v for k, v in config.items() if k != "prices"}))
    ds = build_data(cfg, config.get("prices"))
    tchunk = chunk_size(TEACHER_STEPS)
    t_run = PopulationRun(ds, None, parse_hidden(cfg.teacher), teacher_members(cfg.members, TEACHER_LR, cfg.seed),
                          record_every=tchunk, dropout=TEACHER_DROPOUT, weight_decay=TEACHER_WD)
    emit({"phase": "teacher", "progress": 0.0})
    teacher = train_checkpointed(t_run, TEACHER_STEPS, tchunk, control,
                                 lambda r: emit({"phase": "teacher", "progress": 0.4 * r.t / TEACHER_STEPS}))
    if teacher is None:
        return
    outputs = ensemble_outputs(teacher, ds)
    chunk = chunk_size(cfg.steps)
    s_run = PopulationRun(ds, outputs, parse_hidden(cfg.student),
                          paired_members(cfg.seeds, cfg.T, cfg.alpha, STUDENT_LR, cfg.seed), record_every=chunk)
    students = train_checkpointed(s_run, cfg.steps, chunk, control, lambda r: emit(
        {"phase": "students", "progress": 0.4 + 0.5 * r.t / cfg.steps, **r.snapshot()}))
    if students is None:
        return
    emit({"phase": "final", "progress": 1.0, **s_run.snapshot(),
          "final": final_numbers(ds, teacher, students, outputs.test, cfg)})


def final_numbers(ds, teacher, students, teacher_test_logits: torch.Tensor, cfg: MarketConfig) -> dict:
    """Every number the page shows, as NumPy/plain values (picklable).

    Keys: models {name: {accuracy, balanced_accuracy, ece, fidelity, nll}} (KD/baseline entries
    are (S,) arrays over seeds), latency {name: [us per prediction at each LATENCY_BATCHES]},
    params, backtest {name: {equity, total_return, sharpe, max_drawdown, n_trades}}, dates,
    reliability {name: (confidence (B,), accuracy (B,), count (B,))}, data facts.
    """
    x, y = ds.x_test.to(teacher.device), ds.y_test.to(teacher.device)
    v = teacher_test_logits  # (N, C) ensemble logits
    z = model_logits(students, x)  # (K, N, C) students in eval mode, no grad
    kd, base = slice(0, None, 2), slice(1, None, 2)
    lin, maj = logistic_baseline(ds, seed=cfg.seed), majority_baseline(ds)
    lin_logits = torch.from_numpy(np.log(np.clip(lin.proba, 1e-7, None))).float()  # (N, C)
    maj_logits = torch.from_numpy(np.log(np.clip(maj.proba, 1e-7, None))).float()
    logits = {"teacher": v, "kd": z[kd], "baseline": z[base], "logistic": lin_logits.to(x.device),
              "majority": maj_logits.to(x.device)}
    models = {name: _scores(l, y, v) for name, l in logits.items()}
    up = ds.n_classes - 1
    rets = ds.info["test_next_returns"]
    signals = {name: (l[0] if l.dim() == 3 else l).argmax(-1).cpu().numpy() == up for name, l in logits.items()}
    tests = {name: backtest(sig, rets, cfg.cost_bps) for name, sig in signals.items() if name != "majority"}
    bt = {name: _perf(t.strategy) for name, t in tests.items()}
    bt["buy_and_hold"] = _perf(tests["teacher"].buy_and_hold)
    student_model = students.member(0).eval()
    xs = ds.x_test.to(teacher.device)
    latency = {name: [m.us_per_prediction for m in measure_latency(model, xs, LATENCY_BATCHES)]
               for name, model in (("teacher", EnsemblePredictor(teacher)), ("student", StudentPredictor(student_model)))}
    return {
        "models": models, "latency": latency, "latency_batches": list(LATENCY_BATCHES),
        "params": {"teacher": param_count(teacher), "student": param_count(student_model)},
        "backtest": bt, "dates": np.asarray(ds.info["dates_test"]),
        "reliability": {name: reliability(logits[name][0] if logits[name].dim() == 3 else logits[name], y)
                        for name in ("teacher", "kd", "baseline", "logistic")},
        "n_test": int(len(y)), "n_train": int(len(ds.y_train)), "class_names": list(ds.class_names),
        "test_up_share": float((ds.y_test == up).float().mean()),
        "ceiling": ds.info.get("ceiling_accuracy") if cfg.horizon == 1 else None,
        "period": (str(np.datetime_as_string(ds.info["dates_test"][0], "D")),
                   str(np.datetime_as_string(ds.info["dates_test"][-1], "D"))),
    }


def _scores(z: torch.Tensor, y: torch.Tensor, v: torch.Tensor) -> dict:
    """Accuracy, balanced accuracy, ECE, NLL and fidelity to the teacher of logits (N, C) or (K, N, C)."""
    out = {"accuracy": metrics.accuracy(z, y), "balanced_accuracy": metrics.balanced_accuracy(z, y),
           "ece": metrics.expected_calibration_error(z, y), "nll": metrics.nll(z, y), "fidelity": metrics.fidelity(z, v)}
    return {k: t.detach().cpu().numpy() for k, t in out.items()}


def _perf(p) -> dict:
    return {"equity": p.equity, "total_return": p.total_return, "sharpe": p.sharpe, "max_drawdown": p.max_drawdown,
            "n_trades": p.n_trades}


def reliability(z: torch.Tensor, y: torch.Tensor, bins: int = metrics.ECE_BINS) -> tuple[np.ndarray, ...]:
    """Reliability diagram data of logits z (N, C): per confidence bin (b/B, (b+1)/B], the mean confidence,
    the accuracy and the count (B,) each; empty bins give NaN. The binning of metrics.ece."""
    p = torch.softmax(z.detach().float(), -1)
    conf, pred = p.max(-1)  # (N,)
    hit = (pred == y).double()
    idx = (conf.double() * bins).ceil().long().sub(1).clamp(0, bins - 1)  # (N,)
    count = torch.bincount(idx, minlength=bins).double()
    with np.errstate(invalid="ignore"):
        mean_conf = (torch.bincount(idx, conf.double(), bins) / count).cpu().numpy()
        acc = (torch.bincount(idx, hit, bins) / count).cpu().numpy()
    return mean_conf, acc, count.cpu().numpy().astype(np.int64)


def task(cfg: MarketConfig, prices: dict | None = None) -> tuple[str, dict]:
    """The (function path, picklable config) pair to submit to the job pool."""
    conf = dataclasses.asdict(cfg)
    if prices is not None:
        conf["prices"] = prices
    return "kdviz.lessons.market:train_market", conf


def paired_gain(kd: np.ndarray, base: np.ndarray) -> tuple[float, float, bool]:
    """Mean and std (over seeds) of the paired difference kd - base (S,), and whether it is clear:
    at least two seeds, all of one sign, and the mean larger than the spread."""
    g = np.asarray(kd, dtype=np.float64) - np.asarray(base, dtype=np.float64)
    sd = float(g.std(ddof=1)) if len(g) > 1 else float("nan")
    clear = bool(len(g) > 1 and (np.all(g > 0) or np.all(g < 0)) and abs(g.mean()) > sd)
    return float(g.mean()), sd, clear


def verdict(final: dict) -> list[str]:
    """Honest sentences on this run, every number computed from ``final`` (see final_numbers)."""
    m, lat, par = final["models"], final["latency"], final["params"]
    kd, base = m["kd"]["accuracy"], m["baseline"]["accuracy"]
    g, sd, clear = paired_gain(kd, base)
    spread = f" ± {sd * 100:.1f}" if np.isfinite(sd) else ""
    acc_line = (f"Accuracy: KD student {kd.mean():.1%}, same student without KD {base.mean():.1%} "
                f"({g * 100:+.1f}{spread} points, paired over {len(kd)} seed(s)): ")
    if len(kd) < 2:
        acc_line += "one seed cannot tell an effect from noise; train more seeds."
    else:
        acc_line += "a real difference here." if clear else "within the seed spread, so no clear accuracy effect of KD here."
    best = max(("teacher", "kd", "baseline", "logistic"), key=lambda k: float(np.mean(m[k]["accuracy"])))
    lift = float(np.mean(m[best]["accuracy"]) - m["majority"]["accuracy"])
    noise = 1.0 / np.sqrt(final["n_test"])  # about 2 standard errors of an accuracy near 50%
    base_line = (f"Best model: {best_name(best)} at {float(np.mean(m[best]['accuracy'])):.1%}, "
                 f"{lift * 100:+.1f} points over always predicting the majority class ({float(m['majority']['accuracy']):.1%}); ")
    base_line += (f"that is beyond the noise of {final['n_test']} test days (±{noise * 100:.1f} points)."
                  if lift > noise else f"that is within the noise of {final['n_test']} test days "
                                        f"(±{noise * 100:.1f} points): nothing here beats the majority class.")
    speed1 = lat["teacher"][0] / lat["student"][0]
    speed_n = lat["teacher"][-1] / lat["student"][-1]
    lat_line = (f"Latency: the student has {par['teacher'] / par['student']:.0f}x fewer weights and answers "
                f"{speed1:.1f}x faster at batch {final['latency_batches'][0]} and {speed_n:.1f}x faster at batch "
                f"{final['latency_batches'][-1]} ({lat['student'][0]:.0f} vs {lat['teacher'][0]:.0f} µs per prediction "
                f"at batch 1).")
    fid_kd, fid_base = m["kd"]["fidelity"].mean(), m["baseline"]["fidelity"].mean()
    ece_kd, ece_base = m["kd"]["ece"].mean(), m["baseline"]["ece"].mean()
    cal_line = (f"Fidelity (agrees with the teacher): KD {fid_kd:.1%}, no KD {fid_base:.1%}. Calibration error (ECE): "
                f"KD {ece_kd:.3f}, no KD {ece_base:.3f}, teacher {float(m['teacher']['ece']):.3f}.")
    return [acc_line, base_line, lat_line, cal_line]


def best_name(key: str) -> str:
    """Readable name of a model key."""
    return {"teacher": "the teacher ensemble", "kd": "the KD student", "baseline": "the student without KD",
            "logistic": "logistic regression"}[key]
