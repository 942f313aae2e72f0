"""The temperature x alpha sweep on digits: every (T, alpha, seed) cell one member, each student size ONE population.

Small 64-32-10 and tiny 64-8-10 students are distilled from the cached digits teacher on the
full transfer set. alpha = 1 puts all the weight on the labels: those members are the no-KD
baseline (the same at every T). Results are cached per process by config, so a repeated sweep
is instant.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from kdviz.config import setting
from kdviz.experiments.dark_knowledge.settings import from_sweep
from kdviz.experiments.dark_knowledge.teachers import digits_data, teacher_for
from kdviz.experiments import learned
from kdviz.experiments.protocol import Experiment, Phase
from kdviz.experiments.stats import count, paired
from kdviz.train import MemberConfig, PopulationRun

TEMPERATURES = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
ALPHAS = (0.0, 0.1, 0.5, 1.0)  # weight of the hard-label term; 1.0 = labels only (no KD)
STUDENTS = {"small": (32,), "tiny": (8,)}  # name -> hidden widths
CHUNK = 100  # steps between progress snapshots
SHOWN_ALPHA = 0.1  # the alpha of the page's accuracy-against-T figure and sentences

_CACHE: dict = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class SweepConfig:
    """One sweep: the grid, seeds and training length (hashable: it keys the result cache)."""

    temperatures: tuple[float, ...] = TEMPERATURES
    alphas: tuple[float, ...] = ALPHAS
    seeds: int = setting(3, "Seeds per cell", lo=1, hi=10)
    steps: int = setting(1000, "Steps per student", lo=1, hi=20_000, step=50)
    lr: float = 1e-2

    def __post_init__(self):
        object.__setattr__(self, "temperatures", tuple(float(t) for t in self.temperatures))
        object.__setattr__(self, "alphas", tuple(float(a) for a in self.alphas))
        if not self.temperatures or not self.alphas:
            raise ValueError("a sweep needs at least one temperature and one alpha")
        if not 1 <= int(self.seeds) <= 10:
            raise ValueError(f"seeds per cell must be between 1 and 10, got {self.seeds}")
        if not 1 <= int(self.steps) <= 20_000:
            raise ValueError(f"steps must be between 1 and 20000, got {self.steps}")

    @property
    def shape(self) -> tuple[int, int, int]:
        """(temperatures, alphas, seeds): the grid shape of each student's results."""
        return len(self.temperatures), len(self.alphas), int(self.seeds)


def members(cfg: SweepConfig) -> list[MemberConfig]:
    """MemberConfigs in grid order (T, alpha, seed): member index = (i_T * A + i_alpha) * S + seed."""
    return [MemberConfig("kd", T=T, alpha=a, lr=cfg.lr, seed=s)
            for T in cfg.temperatures for a in cfg.alphas for s in range(int(cfg.seeds))]


@dataclass
class SweepResult:
    """Test accuracy and fidelity of every cell, per student size."""

    temperatures: np.ndarray  # (nT,)
    alphas: np.ndarray  # (nA,)
    students: dict[str, list[int]]  # name -> hidden widths
    steps: int
    teacher_acc: float
    accuracy: dict[str, np.ndarray]  # name -> (nT, nA, S)
    fidelity: dict[str, np.ndarray]  # name -> (nT, nA, S)
    status: dict[str, list[str]] | None = None  # name -> per member (grid order, see members()): "ok" or why it failed
    weights: dict[str, dict] | None = None  # name -> Population.arrays() of its population (for exports)


@dataclass
class SweepSnapshot:
    """Progress, and at the end the result."""

    progress: float
    result: SweepResult | None = None


def run(cfg: SweepConfig, device: str | None = None, hook=None) -> Iterator:
    """Train the sweep in chunks (or take it from this process's cache), yielding progress, then the result.

    hook: called before each training step (a job's preemption point), or None.
    """
    with _LOCK:
        cached = _CACHE.get(cfg)
    if cached is not None:
        yield SweepSnapshot(1.0, cached)
        return
    yield Phase("teacher", 0.0, "Training the teacher…")
    ds = digits_data(0)
    teacher = teacher_for(ds, 0.0, device, hook)
    runs = {name: PopulationRun(ds, teacher, hidden, members(cfg), device=device, record_every=cfg.steps,
                                hook=hook)
            for name, hidden in STUDENTS.items()}
    done = 0
    while done < cfg.steps:
        n = min(CHUNK, cfg.steps - done)
        for students in runs.values():
            students.step(n)
        done += n
        if done < cfg.steps:
            yield SweepSnapshot(done / cfg.steps)
    result = SweepResult(np.asarray(cfg.temperatures), np.asarray(cfg.alphas),
                         {k: list(v) for k, v in STUDENTS.items()}, cfg.steps, float(teacher.info["test_acc"]), {}, {},
                         {}, {})
    for name, students in runs.items():
        ev = students.evaluate("test")
        result.accuracy[name] = ev["accuracy"].reshape(cfg.shape)
        result.fidelity[name] = ev["fidelity"].reshape(cfg.shape)
        result.status[name] = learned.run_status(students)
        result.weights[name] = students.population.arrays()
    with _LOCK:
        _CACHE[cfg] = result
    yield SweepSnapshot(1.0, result)


def run_sweep(cfg: SweepConfig, device: str | None = None) -> SweepResult:
    """The sweep's result, trained here (or from the cache)."""
    snap = None
    for snap in run(cfg, device):
        pass
    return snap.result


def accuracy_vs_t(result: SweepResult, student: str, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std over seeds of one student's test accuracy at one alpha, per temperature: (nT,), (nT,)."""
    i = int(np.flatnonzero(np.isclose(result.alphas, alpha))[0])
    acc = result.accuracy[student][:, i]  # (nT, S)
    return acc.mean(-1), acc.std(-1, ddof=1) if acc.shape[-1] > 1 else np.zeros(len(acc))


def best_temperature(result: SweepResult, student: str, alpha: float) -> dict:
    """The best T for one student at one alpha, and whether it beats T = 1 by more than the seeds' spread:
    {"T", "acc", "std", "acc_t1", "std_t1", "gain_over_t1", "baseline", "clear"}.

    Every cell of one alpha shares its seeds, so the gain over T = 1 is paired per seed.
    """
    mean, std = accuracy_vs_t(result, student, alpha)
    k = int(np.argmax(mean))
    i = int(np.flatnonzero(np.isclose(result.alphas, alpha))[0])
    base_mean = accuracy_vs_t(result, student, 1.0)[0] if 1.0 in result.alphas else mean * np.nan
    acc = result.accuracy[student][:, i]  # (nT, S)
    effect = paired(acc[0], acc[k])
    return {"T": float(result.temperatures[k]), "acc": float(mean[k]), "std": float(std[k]),
            "acc_t1": float(mean[0]), "std_t1": float(std[0]), "gain_over_t1": effect.mean,
            "baseline": float(base_mean[0]), "clear": effect.clear}


def best_temperature_sentence(result: SweepResult, student: str, alpha: float) -> str:
    """best_temperature in words: the best T against T = 1 and the labels-only students, beside the seed spread."""
    b = best_temperature(result, student, alpha)
    return (f"**{student} student**: best at T = {b['T']:g} ({b['acc']:.1%} ± {b['std']:.1%}) vs T = 1 "
            f"({b['acc_t1']:.1%} ± {b['std_t1']:.1%}) and the baseline, labels only ({b['baseline']:.1%}): "
            + ("a gap larger than the seed spread." if b["clear"]
               else "the gap is within the seed spread, so no clear preference for a temperature here."))


def diverged_sentence(result: SweepResult) -> str | None:
    """Which students of the sweep diverged (the engine froze them where their loss or gradient stopped being
    finite) or did not learn (learned.run_failures), the first three named; None when every student learned."""
    status = [x for n in result.accuracy for x in (result.status or {}).get(n, [])]
    bad = [(n, result.temperatures[i], result.alphas[j], s, why)
           for (n, i, j, s), why in zip(_places(result), status) if why != "ok"]
    if not bad:
        return None
    named = "; ".join(f"{n} at T = {T:g}, alpha = {a:g}, seed {s} ({why})" for n, T, a, s, why in bad[:3])
    return (f"{count(len(bad), 'student')} of {len(status)} diverged or did not learn: {named}"
            f"{'; …' if len(bad) > 3 else ''}. Their cells show the accuracy they had when they stopped: read them "
            "as failed runs, not as the effect of T and alpha.")


def accuracy_curves(result: SweepResult, alpha: float) -> tuple[dict, dict]:
    """Per student: (T (nT,), mean (nT,), std (nT,)) of test accuracy at ``alpha``, and its labels-only accuracy."""
    curves = {n: (result.temperatures, *accuracy_vs_t(result, n, alpha)) for n in result.accuracy}
    labels_only = {n: accuracy_vs_t(result, n, 1.0)[0][0] for n in result.accuracy}
    return curves, labels_only


def _places(result: SweepResult) -> list[tuple[str, int, int, int]]:
    """(student size, i_T, i_alpha, seed) of every student, in the rows' (and each population's member) order."""
    nT, nA, S = result.accuracy[next(iter(result.accuracy))].shape
    return [(n, i, j, s) for n in result.accuracy for i in range(nT) for j in range(nA) for s in range(S)]


def students(cfg: SweepConfig, snap: SweepSnapshot) -> list[dict]:
    """One row per student of the sweep: size, T, alpha (1: labels only), seed, status, test accuracy and fidelity."""
    r = snap.result
    if r is None:
        return []
    return [{"student": f"{n} ({'-'.join(map(str, [64, *r.students[n], 10]))})", "dataset": "digits",
             "method": "kd", "seed": s, "T": float(r.temperatures[i]),
             "alpha": float(r.alphas[j]), "lr": cfg.lr, "steps": r.steps,
             "status": r.status[n][(i * len(r.alphas) + j) * r.accuracy[n].shape[-1] + s] if r.status else None,
             "accuracy": float(r.accuracy[n][i, j, s]), "fidelity": float(r.fidelity[n][i, j, s])}
            for n, i, j, s in _places(r)]


def student_weights(cfg: SweepConfig, snap: SweepSnapshot, k: int) -> tuple[dict, int] | None:
    """(Population.arrays(), member) of row k's student; None when the result keeps no weights."""
    r = snap.result
    if r is None or not r.weights:
        return None
    n, i, j, s = _places(r)[k]
    return r.weights[n], (i * len(r.alphas) + j) * r.accuracy[n].shape[-1] + s


def verdict(cfg: SweepConfig, snap: SweepSnapshot) -> str:
    """The tab's sentences: each student size's best T against T = 1 and the labels-only students."""
    r = snap.result
    return " ".join(best_temperature_sentence(r, n, SHOWN_ALPHA) for n in r.accuracy) if r is not None else ""


EXPERIMENT = Experiment("dark_sweep", "Temperature x alpha sweep on digits, two student sizes", SweepConfig, run,
                        SweepSnapshot, students=students, weights=student_weights, verdict=verdict,
                        page_config=from_sweep)
