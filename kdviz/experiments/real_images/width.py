"""Student width against the distillation temperature on real images.

Hinton, Vinyals and Dean (2015), MNIST: with 300 or more units in each hidden layer, every T above
8 gave about the same result; with 30 units, T from 2.5 to 4 worked best. Here students of each
width (two hidden layers) are distilled at each temperature, and a baseline on the labels alone
is trained beside them, over seeds; each width is one population (a KD student per T and seed,
then a baseline per seed), all sharing a seed's initial weights and batch order, so the T's of one
width compare per seed.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from kdviz.config import setting
from kdviz.experiments import learned
from kdviz.experiments.budget import Loop, loops_of, mlp_params
from kdviz.experiments.protocol import Experiment, chunks
from kdviz.experiments.real_images import teachers
from kdviz.experiments.real_images.settings import STUDENT_LRS, ImagesRun, from_width
from kdviz.experiments.real_images.threeway import chunk_size
from kdviz.experiments.stats import count, mean_std, paired
from kdviz.train import MemberConfig, PopulationRun

PAPER = ("Hinton et al. 2015 (MNIST): with 300 or more units per hidden layer, every T above 8 gave about the same "
         "result; with 30 units, T from 2.5 to 4 worked best.")
WIDTHS = (30, 100, 300)  # the page's; Hinton's comparison adds 800 (the command line's full size)
TEMPERATURES = (1.0, 2.5, 4.0, 8.0, 20.0)


@dataclass
class WidthConfig(ImagesRun):
    """The widths and temperatures swept, and how the students train."""

    widths: tuple[int, ...] = WIDTHS
    temperatures: tuple[float, ...] = TEMPERATURES
    alpha: float = setting(0.1, "alpha (weight of the hard labels)", lo=0.0, hi=1.0, step=0.05)
    steps: int = setting(300, "Steps per student", lo=50, hi=100_000, step=50)
    seeds: int = setting(2, "Seeds per cell", lo=1, hi=5)
    lr: float = setting(0.001, "Learning rate", choices=STUDENT_LRS)

    def __post_init__(self):
        super().__post_init__()
        self.widths = tuple(int(w) for w in self.widths)
        self.temperatures = tuple(float(t) for t in self.temperatures)
        if not self.widths or not self.temperatures or min(self.widths) < 1 or min(self.temperatures) <= 0:
            raise ValueError("a width sweep needs at least one width (>= 1) and one temperature (> 0)")
        if len(self.widths) > 4:
            raise ValueError(f"at most 4 widths (one line each), got {len(self.widths)}")


@dataclass
class WidthSnapshot:
    """Progress; at the end every student's test errors and per-image hits."""

    progress: float
    widths: tuple[int, ...] = ()
    temperatures: tuple[float, ...] = ()
    test_count: int = 0
    errors: np.ndarray | None = None  # (W, nT, S) KD students' test errors
    baseline: np.ndarray | None = None  # (W, S) labels-only students' test errors
    hits: np.ndarray | None = None  # (W, nT, S, N) bool: whether each KD student got each test image right
    status: dict | None = None  # width -> per member ("ok" or why it failed), population order
    failed: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """Whether the final numbers are there."""
        return self.errors is not None


def members(cfg: WidthConfig) -> list[MemberConfig]:
    """One width's population: a KD student per (T, seed), then a baseline per seed (member = i_T * S + seed)."""
    return ([MemberConfig("kd", T=T, alpha=cfg.alpha, lr=cfg.lr, seed=s) for T in cfg.temperatures
             for s in range(cfg.seeds)] + [MemberConfig("baseline", lr=cfg.lr, seed=s) for s in range(cfg.seeds)])


def run(cfg: WidthConfig, device: str | None = None, hook=None) -> Iterator:
    """Train (or load) the teacher, then every width's population in chunks; yield progress, then the errors.

    hook: called before each training step (a job's preemption point), or None.
    """
    ds, teacher = yield from teachers.prepare(cfg, device, hook)
    runs = [PopulationRun(ds, teacher, (w, w), members(cfg), batch_size=teachers.BATCH, device=device,
                          record_every=chunk_size(cfg.steps), hook=hook) for w in cfg.widths]
    for done in chunks(runs, cfg.steps, chunk_size(cfg.steps)):
        yield WidthSnapshot(done / cfg.steps)
    y = ds.y_test.numpy()
    nT, S = len(cfg.temperatures), cfg.seeds
    right = np.stack([r.logits(ds.x_test.to(r.device)).argmax(-1).cpu().numpy() == y for r in runs])  # (W, K, N)
    wrong = (~right).sum(-1)  # (W, K)
    status = {w: learned.run_status(r) for w, r in zip(cfg.widths, runs)}
    failed = [f"width {w}, {m.method} T = {m.T:g}, seed {m.seed}: {why}" for w, r in zip(cfg.widths, runs)
              for m, why in zip(r.members, status[w]) if why != "ok"]
    yield WidthSnapshot(1.0, cfg.widths, cfg.temperatures, int(len(y)), wrong[:, :nT * S].reshape(-1, nT, S),
                        wrong[:, nT * S:], right[:, :nT * S].reshape(len(runs), nT, S, -1), status, failed)


def best(snap: WidthSnapshot, w: int) -> dict:
    """Width index w's temperature with the fewest mean test errors (ties: the lowest T), and which other T's are
    not clearly worse than it (stats.paired per seed on test accuracy): {"T", "errors", "as_good", "worse"}."""
    e = snap.errors[w]  # (nT, S)
    k = int(np.flatnonzero(e.mean(-1) == e.mean(-1).min())[0])
    n = snap.test_count
    as_good, worse = [], []
    for j, T in enumerate(snap.temperatures):
        if j == k:
            continue
        effect = paired(1 - e[j] / n, 1 - e[k] / n, hits_a=snap.hits[w, j], hits_b=snap.hits[w, k])
        (worse if effect.clear and effect.mean > 0 else as_good).append(T)
    return {"T": snap.temperatures[k], "errors": e[k], "as_good": as_good, "worse": worse}


def _temperatures(ts: list[float]) -> str:
    """'2.5, 4 and 8'."""
    words = [f"{t:g}" for t in ts]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def width_sentence(snap: WidthSnapshot, w: int) -> str:
    """One width's result in words: its best T with its errors, which T's are as good, the baseline's errors."""
    b = best(snap, w)
    width = snap.widths[w]
    text = (f"**{width} units**: fewest errors at T = {b['T']:g} ({mean_std(b['errors'])} of {snap.test_count:,}; "
            f"labels only: {mean_std(snap.baseline[w])})")
    if not b["as_good"]:
        return text + "; every other T is clearly worse, paired per seed."
    if not b["worse"]:
        return text + "; no other T is clearly worse, paired per seed: the temperature hardly matters here."
    return (text + f"; T = {_temperatures(b['as_good'])} not clearly worse, T = {_temperatures(b['worse'])} clearly "
            "worse (paired per seed).")


def verdict(cfg: WidthConfig, snap: WidthSnapshot) -> str:
    """Each width's sentence, then the paper's statement (or the failed students instead of a verdict)."""
    if not snap.done:
        return ""
    if snap.failed:
        return (f"Not judged: {count(len(snap.failed), 'student')} failed ({'; '.join(snap.failed[:3])}"
                f"{'; …' if len(snap.failed) > 3 else ''}).")
    return " ".join(width_sentence(snap, w) for w in range(len(snap.widths))) + f" {PAPER}"


def _places(snap: WidthSnapshot) -> list[tuple[int, int | None, int]]:
    """(width index, T index or None for the baseline, seed) of every student, in the rows' order."""
    S = snap.errors.shape[-1]
    return [(w, j, s) for w in range(len(snap.widths)) for j in [*range(len(snap.temperatures)), None]
            for s in range(S)]


def students(cfg: WidthConfig, snap: WidthSnapshot) -> list[dict]:
    """One row per student: width, method, T, seed, status, test errors and accuracy."""
    if not snap.done:
        return []
    rows = []
    for w, j, s in _places(snap):
        e = int(snap.errors[w, j, s] if j is not None else snap.baseline[w, s])
        k = (j if j is not None else len(snap.temperatures)) * snap.errors.shape[-1] + s
        kd = j is not None
        rows.append({"width": snap.widths[w], "dataset": cfg.image_set, "method": "kd" if kd else "baseline",
                     "T": snap.temperatures[j] if kd else None, "alpha": cfg.alpha if kd else None,
                     "seed": s, "lr": cfg.lr, "steps": cfg.steps, "status": snap.status[snap.widths[w]][k],
                     "errors": e, "accuracy": 1 - e / snap.test_count})
    return rows


def curves(snap: WidthSnapshot) -> tuple[dict, dict]:
    """Per width: (T (nT,), mean (nT,), std (nT,)) of test accuracy, and its labels-only accuracy (the figure's)."""
    n, S = snap.test_count, snap.errors.shape[-1]
    acc = 1 - snap.errors / n  # (W, nT, S)
    spread = acc.std(-1, ddof=1) if S > 1 else np.zeros(acc.shape[:2])
    names = [teachers.architecture((w, w)) for w in snap.widths]
    return ({name: (np.asarray(snap.temperatures), acc[i].mean(-1), spread[i]) for i, name in enumerate(names)},
            {name: float(1 - snap.baseline[i].mean() / n) for i, name in enumerate(names)})


@loops_of("real_width")
def cost(cfg: WidthConfig) -> list[Loop]:
    """The teacher's training (stored after the first run) and each width's population."""
    members_ = (len(cfg.temperatures) + 1) * cfg.seeds
    return [*teachers.teacher_loops(cfg.teacher),
            *(Loop(mlp_params(784, (w, w), 10), teachers.BATCH, cfg.steps, members_) for w in cfg.widths)]


EXPERIMENT = Experiment("real_width", "Student width against the temperature on real images", WidthConfig, run,
                        WidthSnapshot, students=students, weights=lambda cfg, snap, k: None, verdict=verdict,
                        page_config=from_width)
