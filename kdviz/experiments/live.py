"""Live training on the plane: a teacher, KD students and the same students without KD.

The teacher sees every class; the students' transfer set may lack one class entirely, the regime
where dark knowledge shows best on 2-D data (5 overlapping blobs, class 3 omitted). Each seed
trains a KD student and a baseline from the same initial weights and batch order, all in one
population, so the page can show the effect beside the seed spread.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from kdviz import metrics
from kdviz.config import canonical_widths, learning_rate, parse_widths, setting
from kdviz.data import make_dataset, names, omission, spec
from kdviz.data.transforms import omit_class
from kdviz.device import resolve_device
from kdviz.experiments.protocol import Experiment, Phase, Plane
from kdviz.experiments import learned
from kdviz.experiments.stats import FAILED_ADVICE, NO_DIFFERENCE, TOO_FEW, PairedEffect, count, paired
from kdviz.softening_curves import T_CHOICES
from kdviz.train import (MemberConfig, PopulationRun, RunSnapshot, TeacherConfig, evaluate, grid_predictions,
                         train_teacher)

BATCH_CHOICES = (16, 32, 64, 128, 256)
GRID = 60  # decision-region resolution (GRID x GRID)
SHOWN_POINTS = 600  # training points drawn on the decision regions
ROLES = ("kd", "baseline")  # member 2s is seed s's KD student, member 2s + 1 its baseline
MAX_REPLAY = 40  # frames kept for the replay of a finished run


@dataclass
class LiveConfig:
    """Everything the Live training page trains, round-tripped through the URL."""

    dataset: str = setting("blobs", "Dataset", choices=tuple(names("toy")))
    n: int = setting(2000, "Points", lo=200, hi=10000, step=100)
    noise: float = setting(0.0, "Noise", lo=0.0, hi=1.0, step=0.05, help="extra Gaussian jitter (std)")
    train_ratio: float = setting(0.7, "Train share", lo=0.3, hi=0.9, step=0.05)
    teacher: str = setting("128, 128", "Teacher hidden widths", parse=canonical_widths,
                           help="e.g. 128, 128 (1-4 layers, up to 512 units)")
    student: str = setting("32", "Student hidden widths", parse=canonical_widths)
    omit: int = setting(3, "Class the students never see (-1: none)", lo=-1, hi=9)
    T: float = setting(4.0, "Temperature T", choices=T_CHOICES)
    alpha: float = setting(0.1, "alpha (weight of hard labels)", lo=0.0, hi=1.0, step=0.05)
    lr: float = learning_rate()
    batch: int = setting(64, "Batch size", choices=BATCH_CHOICES)
    steps: int = setting(1000, "Steps", lo=50, hi=5000, step=50)
    seeds: int = setting(3, "Seeds (paired students)", lo=1, hi=5)
    seed: int = setting(0, "Data seed", lo=0, hi=9999)


def validate(cfg: LiveConfig) -> LiveConfig:
    """Check a config's cross-field rules; raise ValueError with a message for the page."""
    parse_widths(cfg.teacher)
    parse_widths(cfg.student)
    data = spec(cfg.dataset)
    if not data.two_d:
        raise ValueError(f"Live training draws decision regions on the plane, so it needs 2 features; {data.title} has "
                         f"{data.features}. Compare paradigms trains on wider data.")
    omission.check(cfg)  # the page and the command line move it first (omission.fit)
    return cfg


def separable_notice(cfg: LiveConfig) -> str | None:
    """A two-class toy set without noise does not overlap: say so (every student can reach 100%)."""
    if cfg.noise == 0 and spec(cfg.dataset).classes == 2:
        return (f"With noise 0 the two classes of {cfg.dataset} do not overlap: the task is trivially separable, "
                "every student can reach 100% and KD has nothing to add. Raise the noise to see a difference.")
    return None


def chunk_size(steps: int) -> int:
    """Steps per chunk between snapshots: about 40 redraws per run."""
    return max(10, math.ceil(steps / 40))


def full_data(cfg: LiveConfig):
    """The whole dataset of a config (the teacher's, and what the page draws)."""
    return make_dataset(cfg.dataset, n=cfg.n, noise=cfg.noise, seed=cfg.seed, train_ratio=cfg.train_ratio)


def build_data(cfg: LiveConfig):
    """(full dataset for the teacher, the students' transfer set) for a config."""
    ds = full_data(cfg)
    return ds, (omit_class(ds, cfg.omit) if cfg.omit >= 0 else ds)


def preview(cfg: LiveConfig) -> Plane:
    """The plane of a config's data, drawn before anything trains (cheap: no model is built; the omitted
    class does not matter here, so a setting the dataset cannot take never stops the preview)."""
    return Plane.of(full_data(cfg), GRID, SHOWN_POINTS)


def architecture(cfg: LiveConfig) -> str:
    """'teacher 2-128-128-5, student 2-32-5': the two networks of a config, inputs to classes."""
    classes = spec(cfg.dataset).classes
    return ", ".join(f"{role} 2-{'-'.join(map(str, parse_widths(widths)))}-{classes}"
                     for role, widths in (("teacher", cfg.teacher), ("student", cfg.student)))


def teacher(cfg: LiveConfig, device=None, hook=None):
    """The teacher of a config, trained on the full dataset (cached in-process and on disk: see kdviz.train.teacher;
    ``hook``: the training run's step hook)."""
    return train_teacher(full_data(cfg), TeacherConfig(hidden=parse_widths(cfg.teacher), steps=1000, seed=cfg.seed),
                         device, hook)


@dataclass
class Scene:
    """What stays fixed during a run: the plane, the data drawn on it and the teacher's regions."""

    plane: Plane
    teacher_grid: np.ndarray  # (GRID, GRID, C) teacher probabilities
    teacher_test_acc: float
    device: str


@dataclass
class Replay:
    """Seed 0's decision regions after each chunk of a run, compact enough to cache (about 22 kB a frame).

    A region panel draws each cell's winning class and how sure it is, so that is what is kept:
    frame f holds the KD student's and the baseline's winner (uint8) and winning probability
    (float16) per cell; grids(f) turns them back into probabilities that draw the same.
    """

    steps: np.ndarray  # (F,) the step of each frame, increasing
    top: np.ndarray  # (F, 2, GRID, GRID) uint8 winning class: [:, 0] KD student, [:, 1] baseline
    conf: np.ndarray  # (F, 2, GRID, GRID) float16 its probability
    classes: int

    @classmethod
    def of(cls, frames: list[tuple[int, np.ndarray, np.ndarray]], classes: int, most: int = MAX_REPLAY) -> "Replay":
        """At most ``most`` of the (step, KD probs (G, G, C), baseline probs) frames, evenly spaced, the last kept."""
        keep = np.unique(np.linspace(0, len(frames) - 1, min(len(frames), most)).round().astype(int))
        grids = np.stack([np.stack(frames[i][1:]) for i in keep])  # (F, 2, G, G, C)
        return cls(np.array([frames[i][0] for i in keep]), grids.argmax(-1).astype(np.uint8),
                   grids.max(-1).astype(np.float16), classes)

    def grids(self, f: int) -> tuple[np.ndarray, np.ndarray]:
        """(KD, baseline) probabilities (G, G, C) of frame f: the kept winner and its probability, the rest
        shared evenly by the other classes (all a region panel shows)."""
        conf = self.conf[f].astype(np.float32)  # (2, G, G)
        probs = np.repeat(((1 - conf) / max(self.classes - 1, 1))[..., None], self.classes, -1)
        np.put_along_axis(probs, self.top[f][..., None].astype(np.int64), conf[..., None], -1)
        return probs[0], probs[1]


@dataclass
class LiveSnapshot:
    """The run after a chunk: its history, the first seed's decision regions, and at the end the test metrics."""

    progress: float  # share of the configured steps done
    steps: int  # the configured steps
    stop_at: int  # where this run stops (the configured steps, or earlier for Step)
    scene: Scene
    run: RunSnapshot
    kd_grid: np.ndarray  # (GRID, GRID, C) seed 0's KD student
    baseline_grid: np.ndarray  # (GRID, GRID, C) seed 0's baseline
    final: dict | None = None  # evaluate() of every member on the test set, once stop_at is reached
    replay: Replay | None = None  # the run's decision regions frame by frame, once stop_at is reached
    failed: list | None = None  # per member: why it failed (learned.run_failures) or None, once stop_at is reached
    hits: np.ndarray | None = None  # (K, N_test) bool, once stop_at is reached: each member right on each test point


def run(cfg: LiveConfig, device: str | None = None, stop_at: int | None = None, hook=None) -> Iterator:
    """Train the teacher, then KD and baseline students in chunks, yielding a LiveSnapshot after each.

    stop_at: train only that many steps (the page's Step button; runs are deterministic, so a
    longer run passes through the same states). device: a torch device name (default: the best).
    hook: called before each training step (a job's preemption point), or None.
    """
    cfg = validate(cfg)
    dev = resolve_device(device)
    stop = min(int(stop_at or cfg.steps), cfg.steps)
    yield Phase("teacher", 0.0, "Training the teacher…")
    ds, student_ds = build_data(cfg)
    model = teacher(cfg, dev, hook)
    members = [MemberConfig(method, T=cfg.T, alpha=cfg.alpha, lr=cfg.lr, seed=cfg.seed * 100 + s)
               for s in range(cfg.seeds) for method in ROLES]
    students = PopulationRun(student_ds, model, parse_widths(cfg.student), members, batch_size=cfg.batch,
                             device=dev, record_every=chunk_size(cfg.steps), hook=hook)
    plane = Plane.of(ds, GRID, SHOWN_POINTS)
    extent = plane.extent
    scene = Scene(plane, grid_predictions(model, *extent, resolution=GRID).probs.astype(np.float32),
                  float(evaluate(model, ds.x_test.to(dev), ds.y_test.to(dev))["accuracy"]), str(dev))
    frames = []  # (step, KD grid, baseline grid) after each chunk, for the replay
    while students.t < stop:
        students.step(min(chunk_size(cfg.steps), stop - students.t))
        grids = grid_predictions(students.population, *extent, resolution=GRID).probs  # (K, H, W, C)
        kd_grid, base_grid = grids[0].astype(np.float32), grids[1].astype(np.float32)
        frames.append((students.t, kd_grid, base_grid))
        final = students.t >= stop  # the last snapshot also carries the weights (for exports) and the replay
        yield LiveSnapshot(students.t / cfg.steps, cfg.steps, stop, scene, students.snapshot(weights=final),
                           kd_grid, base_grid, students.evaluate("test") if final else None,
                           Replay.of(frames, len(ds.class_names)) if final else None,
                           learned.run_failures(students) if final else None,
                           metrics.hits(students.logits(ds.x_test), ds.y_test).cpu().numpy() if final else None)


def _role(i: int) -> str:
    return "KD" if ROLES[i % 2] == "kd" else "baseline"


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
    kd_hits: np.ndarray | None = None  # (S, N_test) bool: the KD students per test point, when known
    base_hits: np.ndarray | None = None  # (S, N_test) the baselines

    @property
    def effect(self) -> PairedEffect:
        """KD's paired accuracy gain over the baseline, per seed, judged on the seeds and the test points."""
        return paired(self.base_acc, self.kd_acc, hits_a=self.base_hits, hits_b=self.kd_hits)

    @property
    def gain(self) -> np.ndarray:
        """Paired accuracy gain of KD over the baseline, per seed (S,)."""
        return self.effect.diffs


def summarise(snap: LiveSnapshot, omit: int) -> Summary:
    """The numbers the page reports at the end of a run (needs snap.final)."""
    fin = snap.final
    kd, base = slice(0, None, 2), slice(1, None, 2)
    recall = fin["recall"]  # (K, C)
    return Summary(
        kd_acc=fin["accuracy"][kd], base_acc=fin["accuracy"][base],
        kd_recall=float(np.nanmean(recall[kd, omit])) if omit >= 0 else None,
        base_recall=float(np.nanmean(recall[base, omit])) if omit >= 0 else None,
        kd_fidelity=float(fin["fidelity"][kd].mean()), base_fidelity=float(fin["fidelity"][base].mean()),
        teacher_acc=snap.scene.teacher_test_acc,
        diverged=learned.named([f"{_role(i)} student, seed {i // 2}" for i in range(len(snap.run.status))],
                               failures(snap)),
        kd_hits=None if snap.hits is None else snap.hits[kd], base_hits=None if snap.hits is None else snap.hits[base],
    )


def failures(snap: LiveSnapshot) -> list[str | None]:
    """Per member: why it diverged or did not learn (learned.run_failures, at the end of the run), or None."""
    return snap.failed if snap.failed is not None else [None] * len(snap.run.status)


def verdict(s: Summary) -> str:
    """One honest sentence on whether KD helped here, beside the seed spread."""
    e = s.effect
    head = f"KD {s.kd_acc.mean():.1%} vs baseline {s.base_acc.mean():.1%}: {e.text()}"
    if s.diverged:
        return head + f". Not judged: {count(len(s.diverged), 'student')} failed, so {FAILED_ADVICE}."
    if e.n < 2:
        return head + " (one seed: train more seeds to tell an effect from noise)."
    if e.direction in (NO_DIFFERENCE, TOO_FEW):
        return f"{head}: {e.reading()}"
    if e.clear:
        return head + f", the same sign on all {count(e.n, 'seed')} and larger than the spread: a real effect here."
    return head + ": within the seed spread, so no clear effect in this setting."


def curves(history: dict) -> tuple[np.ndarray, dict]:
    """Learning curves averaged over seeds: (steps (R,), {"kd": {...}, "baseline": {...}})."""
    out = {}
    for i, role in enumerate(ROLES):
        sl = slice(i, None, 2)
        out[role] = {m: np.nanmean(history[m][sl], axis=0) for m in ("hard_loss", "soft_loss", "test_acc", "fidelity")}
    return history["step"], out


def final_verdict(cfg: LiveConfig, snap: LiveSnapshot) -> str:
    """The page's verdict of a finished run ("" before the end)."""
    return verdict(summarise(snap, cfg.omit)) if snap.final is not None else ""


EXPERIMENT = Experiment("live", "Live training: teacher, KD students and baselines on the plane", LiveConfig, run,
                        LiveSnapshot, verdict=final_verdict)
