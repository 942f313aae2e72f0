"""Temperature x alpha sweep of digits students, each student size trained as ONE engine population.

Every (T, alpha, seed) cell is one member of a PopulationRun (small 64-32-10 and tiny 64-8-10
students: one population each), distilled from the cached digits teacher on the full transfer
set. alpha = 1 puts all the weight on the labels: those members are the no-KD baseline (the same
at every T). Results are cached per worker process by config, so a repeated sweep is instant.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

TEMPERATURES = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
ALPHAS = (0.0, 0.1, 0.5, 1.0)  # weight of the hard-label term; 1.0 = labels only (no KD)
STUDENTS = {"small": (32,), "tiny": (8,)}  # name -> hidden widths
CHUNK = 100  # steps between progress snapshots

_CACHE: dict = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class SweepConfig:
    """One sweep: the grid, seeds and training length (hashable: it keys the result cache)."""

    temperatures: tuple[float, ...] = TEMPERATURES
    alphas: tuple[float, ...] = ALPHAS
    seeds: int = 3
    steps: int = 1000
    lr: float = 1e-2

    def __post_init__(self):
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


def members(cfg: SweepConfig) -> list:
    """MemberConfigs in grid order (T, alpha, seed): member index = (i_T * A + i_alpha) * S + seed."""
    from kdviz.train import MemberConfig

    return [MemberConfig("kd", T=T, alpha=a, lr=cfg.lr, seed=s)
            for T in cfg.temperatures for a in cfg.alphas for s in range(int(cfg.seeds))]


def run_sweep(cfg: SweepConfig, emit=None, control=None) -> dict | None:
    """Train the sweep (or return it from this process's cache); None if stopped.

    Returns {"accuracy", "fidelity": {student: (nT, nA, S)}, "teacher_acc", "temperatures",
    "alphas", "students", "steps"}. ``emit(progress)`` is called after each chunk.
    """
    from kdviz.lessons.digits_teachers import digits_data, teacher_for
    from kdviz.train import PopulationRun

    with _LOCK:
        if cfg in _CACHE:
            return _CACHE[cfg]
    ds = digits_data(0)
    teacher = teacher_for(ds)
    runs = {name: PopulationRun(ds, teacher, hidden, members(cfg), record_every=cfg.steps)
            for name, hidden in STUDENTS.items()}
    done = 0
    while done < cfg.steps:
        if control is not None and not control.proceed():
            return None
        n = min(CHUNK, cfg.steps - done)
        for run in runs.values():
            run.step(n)
        done += n
        if emit is not None:
            emit(done / cfg.steps)
    result = {"temperatures": np.asarray(cfg.temperatures), "alphas": np.asarray(cfg.alphas),
              "students": {k: list(v) for k, v in STUDENTS.items()}, "steps": cfg.steps,
              "teacher_acc": float(teacher.info["test_acc"]), "accuracy": {}, "fidelity": {}}
    for name, run in runs.items():
        ev = run.evaluate("test")
        result["accuracy"][name] = ev["accuracy"].reshape(cfg.shape)
        result["fidelity"][name] = ev["fidelity"].reshape(cfg.shape)
    with _LOCK:
        _CACHE[cfg] = result
    return result


def sweep_task(config: dict, emit, control) -> None:
    """Job task: run_sweep(SweepConfig(**config)), emitting progress, then the result under "result"."""
    cfg = SweepConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in config.items()})
    result = run_sweep(cfg, lambda p: emit({"progress": p}), control)
    if result is not None:
        emit({"progress": 1.0, "result": result})


def sweep_job(seeds: int = 3, steps: int = 1000) -> tuple[str, dict]:
    """The (function path, config) pair of a sweep job on the default grid."""
    return "kdviz.lessons.sweep:sweep_task", {"seeds": int(seeds), "steps": int(steps)}


def accuracy_vs_t(result: dict, student: str, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std over seeds of one student's test accuracy at one alpha, per temperature: (nT,), (nT,)."""
    i = int(np.flatnonzero(np.isclose(result["alphas"], alpha))[0])
    acc = result["accuracy"][student][:, i]  # (nT, S)
    return acc.mean(-1), acc.std(-1, ddof=1) if acc.shape[-1] > 1 else np.zeros(len(acc))


def best_temperature(result: dict, student: str, alpha: float) -> dict:
    """The best T for one student at one alpha, and whether it beats T = 1 and the no-KD students by more
    than the seeds' spread: {"T", "acc", "std", "acc_t1", "std_t1", "gain_over_t1", "baseline", "clear"}."""
    mean, std = accuracy_vs_t(result, student, alpha)
    k = int(np.argmax(mean))
    base_mean, base_std = accuracy_vs_t(result, student, 1.0) if 1.0 in result["alphas"] else (mean * np.nan, std)
    gain = float(mean[k] - mean[0])
    clear = bool(gain > std[k] + std[0])  # the gap exceeds the two seed spreads added
    return {"T": float(result["temperatures"][k]), "acc": float(mean[k]), "std": float(std[k]),
            "acc_t1": float(mean[0]), "std_t1": float(std[0]), "gain_over_t1": gain,
            "baseline": float(base_mean[0]), "clear": clear}
