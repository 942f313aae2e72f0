"""Live training on the plane: a teacher, KD students and the same students without KD.

The teacher sees every class; the students' transfer set may lack one class entirely, the regime
where dark knowledge shows best on 2-D data (DESIGN.md: 5 overlapping blobs, class 3 omitted,
+16.7 points). Each seed trains a KD student and a baseline from the same initial weights and
batch order, all in one population, so the page can show the effect beside the seed spread.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from kdviz.data import make_dataset
from kdviz.data.transforms import omit_class
from kdviz.sweeps import T_CHOICES

TOY_SETS = ("blobs", "moons", "circles", "spiral", "xor", "checkerboard")
LR_CHOICES = (0.001, 0.003, 0.01, 0.03, 0.1)
BATCH_CHOICES = (16, 32, 64, 128, 256)
MAX_WIDTH, MAX_LAYERS = 512, 4
GRID = 60  # decision-region resolution (GRID x GRID)


def parse_hidden(text: str) -> tuple[int, ...]:
    """Parse hidden widths "128, 128" -> (128, 128); 1..4 layers of 1..512 units each."""
    parts = [p for p in str(text).replace(",", " ").split() if p]
    if not 1 <= len(parts) <= MAX_LAYERS:
        raise ValueError(f"give 1 to {MAX_LAYERS} hidden layer widths separated by commas, got {len(parts)}")
    try:
        widths = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"hidden widths must be whole numbers, got {text!r}") from None
    if not all(1 <= w <= MAX_WIDTH for w in widths):
        raise ValueError(f"architecture too large or empty: each hidden layer needs 1 to {MAX_WIDTH} units")
    return widths


def _canonical_hidden(text: str) -> str:
    return ", ".join(map(str, parse_hidden(text)))


@dataclass
class LiveConfig:
    """Everything the Live training page trains, round-tripped through the URL."""

    dataset: str = field(default="blobs", metadata={"choices": TOY_SETS})  # a 2-D toy set
    n: int = field(default=2000, metadata={"lo": 200, "hi": 10000})  # points before the split
    noise: float = field(default=0.0, metadata={"lo": 0.0, "hi": 1.0})  # extra jitter (std)
    train_ratio: float = field(default=0.7, metadata={"lo": 0.3, "hi": 0.9})
    teacher: str = field(default="128, 128", metadata={"parse": _canonical_hidden})  # teacher hidden widths
    student: str = field(default="32", metadata={"parse": _canonical_hidden})  # student hidden widths
    omit: int = field(default=3, metadata={"lo": -1, "hi": 9})  # class missing from the student's data; -1: none
    T: float = field(default=4.0, metadata={"choices": T_CHOICES})
    alpha: float = field(default=0.1, metadata={"lo": 0.0, "hi": 1.0})  # weight of the hard-label term
    lr: float = field(default=0.01, metadata={"choices": LR_CHOICES})
    batch: int = field(default=64, metadata={"choices": BATCH_CHOICES})
    steps: int = field(default=1000, metadata={"lo": 50, "hi": 5000})
    seeds: int = field(default=3, metadata={"lo": 1, "hi": 5})  # paired KD/baseline students
    seed: int = field(default=0, metadata={"lo": 0, "hi": 9999})


def validate(cfg: LiveConfig) -> LiveConfig:
    """Check a config's cross-field rules; raise ValueError with a message for the page."""
    parse_hidden(cfg.teacher)
    parse_hidden(cfg.student)
    classes = 5 if cfg.dataset == "blobs" else 3 if cfg.dataset == "spiral" else 2
    if cfg.omit >= classes:
        raise ValueError(f"{cfg.dataset} has {classes} classes (0 to {classes - 1}): the omitted class must be "
                         f"one of them, or -1 for none")
    if cfg.omit >= 0 and classes == 2:
        raise ValueError(f"omitting a class of {cfg.dataset} leaves one class: choose -1 (none) or a multi-class set")
    return cfg


def chunk_size(steps: int) -> int:
    """Steps per chunk between snapshots: about 40 redraws per run."""
    return max(10, math.ceil(steps / 40))


def build_data(cfg: LiveConfig):
    """(full dataset for the teacher, the students' transfer set) for a config."""
    ds = make_dataset(cfg.dataset, n=cfg.n, noise=cfg.noise, seed=cfg.seed, train_ratio=cfg.train_ratio)
    return ds, (omit_class(ds, cfg.omit) if cfg.omit >= 0 else ds)


def train_live(config: dict, emit, control) -> None:
    """Job task: train the teacher, then KD and baseline students in chunks, emitting snapshots.

    config: dataclasses.asdict(LiveConfig) plus optional "stop_at" (train only that many steps:
    the page's Step button; runs are deterministic, so a longer run passes through the same states)
    and "device" (a torch device name; default: the best available).
    """
    from kdviz.device import resolve_device
    from kdviz.train import MemberConfig, PopulationRun, TeacherConfig, evaluate, grid_predictions, train_teacher

    cfg = validate(LiveConfig(**{k: v for k, v in config.items() if k not in ("stop_at", "device")}))
    device = resolve_device(config.get("device"))
    stop_at = min(int(config.get("stop_at") or cfg.steps), cfg.steps)
    emit({"phase": "teacher", "progress": 0.0})
    ds, student_ds = build_data(cfg)
    teacher = train_teacher(ds, TeacherConfig(hidden=parse_hidden(cfg.teacher), steps=1000, seed=cfg.seed), device)
    members = [MemberConfig(method, T=cfg.T, alpha=cfg.alpha, lr=cfg.lr, seed=cfg.seed * 100 + s)
               for s in range(cfg.seeds) for method in ("kd", "baseline")]
    run = PopulationRun(student_ds, teacher, parse_hidden(cfg.student), members, batch_size=cfg.batch,
                        device=device, record_every=chunk_size(cfg.steps))
    x = ds.x_train.numpy()
    lo, hi = x.min(0) - 0.5, x.max(0) + 0.5
    extent = ((float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])))
    base = {"phase": "students", "steps": cfg.steps, "stop_at": stop_at, "extent": extent,
            "class_names": list(ds.class_names), "points": x[:600], "labels": ds.y_train.numpy()[:600],
            "teacher_grid": grid_predictions(teacher, *extent, resolution=GRID).probs.astype(np.float32),
            "teacher_test_acc": float(evaluate(teacher, ds.x_test.to(device), ds.y_test.to(device))["accuracy"]),
            "device": str(device)}
    while run.t < stop_at:
        if not control.proceed():
            return
        run.step(min(chunk_size(cfg.steps), stop_at - run.t))
        emit(_snapshot(run, base, final=run.t >= stop_at))


def _snapshot(run, base: dict, final: bool) -> dict:
    """A picklable view of the run: history, the first seed's decision regions, and at the end the metrics."""
    from kdviz.train import grid_predictions

    grids = grid_predictions(run.population, *base["extent"], resolution=GRID).probs  # (K, H, W, C)
    snap = {**base, **run.snapshot(), "progress": run.t / base["steps"],
            "kd_grid": grids[0].astype(np.float32), "baseline_grid": grids[1].astype(np.float32)}
    if final:
        snap["final"] = {k: v for k, v in run.evaluate("test").items()}
    return snap


@dataclass
class Summary:
    """Final test metrics of the paired students, over seeds (fractions, not percent)."""

    kd_acc: np.ndarray  # (S,) per seed
    base_acc: np.ndarray  # (S,)
    kd_recall: float | None  # mean recall on the omitted class, KD students
    base_recall: float | None
    kd_fidelity: float
    base_fidelity: float
    teacher_acc: float
    diverged: list[str]  # status lines of members that diverged

    @property
    def gain(self) -> np.ndarray:
        """Paired accuracy gain of KD over the baseline, per seed (S,)."""
        return self.kd_acc - self.base_acc

    @property
    def clear_effect(self) -> bool:
        """True when every seed agrees on the sign and the mean gain exceeds the gain's seed spread."""
        g = self.gain
        return bool(len(g) > 1 and (np.all(g > 0) or np.all(g < 0)) and abs(g.mean()) > g.std(ddof=1))


def summarise(snapshot: dict, omit: int) -> Summary:
    """The numbers the page reports at the end of a run (needs snapshot["final"])."""
    fin = snapshot["final"]
    kd, base = slice(0, None, 2), slice(1, None, 2)
    recall = fin["recall"]  # (K, C)
    return Summary(
        kd_acc=fin["accuracy"][kd], base_acc=fin["accuracy"][base],
        kd_recall=float(np.nanmean(recall[kd, omit])) if omit >= 0 else None,
        base_recall=float(np.nanmean(recall[base, omit])) if omit >= 0 else None,
        kd_fidelity=float(fin["fidelity"][kd].mean()), base_fidelity=float(fin["fidelity"][base].mean()),
        teacher_acc=snapshot["teacher_test_acc"],
        diverged=[f"{'KD' if i % 2 == 0 else 'baseline'} student, seed {i // 2}: {s}"
                  for i, s in enumerate(snapshot["status"]) if s != "ok"],
    )


def verdict(s: Summary) -> str:
    """One honest sentence on whether KD helped here, beside the seed spread."""
    g = s.gain
    spread = f" ± {g.std(ddof=1) * 100:.1f}" if len(g) > 1 else ""
    head = f"KD {s.kd_acc.mean():.1%} vs baseline {s.base_acc.mean():.1%}: {g.mean() * 100:+.1f}{spread} points"
    if len(g) < 2:
        return head + " (one seed: train more seeds to tell an effect from noise)."
    if s.clear_effect:
        return head + f", the same sign on all {len(g)} seeds and larger than the spread: a real effect here."
    return head + ": within the seed spread, so no clear effect in this setting."


def curves(snapshot: dict) -> tuple[np.ndarray, dict]:
    """Learning curves averaged over seeds: (steps (R,), {"kd": {...}, "baseline": {...}})."""
    h = snapshot["history"]
    out = {}
    for role, sl in (("kd", slice(0, None, 2)), ("baseline", slice(1, None, 2))):
        out[role] = {m: np.nanmean(h[m][sl], axis=0) for m in ("hard_loss", "soft_loss", "test_acc", "fidelity")}
    return h["step"], out


def task(cfg: LiveConfig, stop_at: int | None = None, device: str | None = None) -> tuple[str, dict]:
    """The (function path, picklable config) pair to submit to the job pool."""
    return "kdviz.lessons.live:train_live", {**dataclasses.asdict(cfg), "stop_at": stop_at, "device": device}
