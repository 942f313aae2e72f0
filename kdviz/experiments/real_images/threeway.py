"""Hinton's three-way on real images: the teacher, the student trained alone, the same student distilled.

Hinton, Vinyals and Dean (2015), MNIST: a 784-1200-1200-10 teacher (dropout, inputs jittered by
up to two pixels) makes 67 test errors; a 784-800-800-10 net trained alone 146; the same net
distilled at T = 20, 74. Here the students (``width`` units in each of two hidden layers) of every
seed are trained as one population: a baseline on the labels alone and a KD student per seed,
sharing their initial weights and batch order, so the difference per seed is the effect of KD.
Test errors are counted on the test images (the official 10,000 by default).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from kdviz.experiments import learned
from kdviz.experiments.budget import Loop, loops_of, mlp_params
from kdviz.experiments.protocol import Experiment, chunks
from kdviz.experiments.real_images import teachers
from kdviz.experiments.real_images.settings import StudentsRun, from_threeway
from kdviz.experiments.stats import judged_sentence, mean_std, paired
from kdviz.train import MemberConfig, PopulationRun

PAPER = {"teacher": 67, "alone": 146, "distilled": 74, "test_count": 10_000}  # Hinton et al. 2015, MNIST
PAPER_SOURCE = "Paper (Hinton et al. 2015, MNIST: 1200-1200 teacher, 800-800 students, T = 20)"
ROLES = ("baseline", "kd")  # the students of each seed, in the population's order


def chunk_size(steps: int) -> int:
    """Steps per snapshot: about 20 per run."""
    return max(25, steps // 20)


@dataclass
class ThreeWayConfig(StudentsRun):
    """The students of the three-way: their width, how they are distilled and trained, how many seeds."""


@dataclass
class ThreeWaySnapshot:
    """Progress; at the end the test errors of the teacher and of every student."""

    progress: float
    step: int
    steps: int
    architecture: str = ""  # the students'
    teacher_architecture: str = ""
    test_count: int = 0
    teacher_errors: int | None = None
    errors: dict | None = None  # role ("baseline", "kd") -> (S,) int test errors
    hits: dict | None = None  # role -> (S, N) bool: whether each student got each test image right
    status: dict | None = None  # role -> per-seed "ok" or why it failed
    failed: list[str] = field(default_factory=list)
    weights: dict | None = None  # Population.arrays() of the 2S students (baselines first)
    image_set: str = ""

    @property
    def done(self) -> bool:
        """Whether the final numbers are there."""
        return self.errors is not None


def members(cfg: StudentsRun) -> list[MemberConfig]:
    """The population: a baseline per seed, then a KD student per seed (member = role index * S + seed)."""
    return ([MemberConfig("baseline", lr=cfg.lr, seed=s) for s in range(cfg.seeds)]
            + [MemberConfig("kd", T=cfg.T, alpha=cfg.alpha, lr=cfg.lr, seed=s) for s in range(cfg.seeds)])


def population(cfg: StudentsRun, ds, teacher, device=None, hook=None) -> PopulationRun:
    """The students of a run (members()) on ``ds``, distilled from ``teacher``, two hidden layers of cfg.width."""
    return PopulationRun(ds, teacher, (cfg.width, cfg.width), members(cfg), batch_size=teachers.BATCH, device=device,
                         record_every=chunk_size(cfg.steps), hook=hook)


def by_role(seeds: int) -> dict[str, slice]:
    """Each role's members in the population: {"baseline": slice(0, S), "kd": slice(S, 2S)}."""
    return {r: slice(i * seeds, (i + 1) * seeds) for i, r in enumerate(ROLES)}


def statuses(students: PopulationRun, seeds: int) -> tuple[dict, list[str]]:
    """({role: per-seed "ok" or why it failed}, ["<role>, seed <s>: why" of each failed student])."""
    status = learned.run_status(students)
    failed = [f"{r}, seed {s}: {status[sl][s]}" for r, sl in by_role(seeds).items() for s in range(seeds)
              if status[sl][s] != "ok"]
    return {r: status[sl] for r, sl in by_role(seeds).items()}, failed


def run(cfg: ThreeWayConfig, device: str | None = None, hook=None) -> Iterator:
    """Train (or load) the teacher, then the baselines and KD students together, yielding progress, then errors.

    hook: called before each training step (a job's preemption point), or None.
    """
    ds, teacher = yield from teachers.prepare(cfg, device, hook)
    hidden = teachers.teacher_config(cfg.teacher).hidden
    students = population(cfg, ds, teacher, device, hook)
    arch = teachers.architecture((cfg.width, cfg.width))
    for done in chunks([students], cfg.steps, chunk_size(cfg.steps)):
        yield ThreeWaySnapshot(done / cfg.steps, done, cfg.steps, arch, teachers.architecture(hidden))
    y = ds.y_test.numpy()
    x = ds.x_test.to(students.device)
    right = students.logits(x).argmax(-1).cpu().numpy() == y  # (2S, N)
    teacher_right = teachers.logits_of(teacher, x).argmax(-1) == y  # (N,)
    status, failed = statuses(students, cfg.seeds)
    roles = by_role(cfg.seeds)
    yield ThreeWaySnapshot(1.0, cfg.steps, cfg.steps, arch, teachers.architecture(hidden), int(len(y)),
                           int((~teacher_right).sum()), {r: (~right[sl]).sum(-1) for r, sl in roles.items()},
                           {r: right[sl] for r, sl in roles.items()}, status, failed, students.population.arrays(),
                           cfg.image_set)


def effect(snap: ThreeWaySnapshot):
    """KD's effect on test accuracy over the baseline, paired per seed (stats.paired, with each test image's hits)."""
    n = snap.test_count
    return paired(1 - snap.errors["baseline"] / n, 1 - snap.errors["kd"] / n, hits_a=snap.hits["baseline"],
                  hits_b=snap.hits["kd"])


def comparison_rows(cfg: ThreeWayConfig, snap: ThreeWaySnapshot, dataset_title: str) -> list[dict]:
    """The paper's three numbers (labelled as MNIST) and ours (labelled with the image set and the sizes)."""
    p = PAPER
    rows = [{"source": PAPER_SOURCE, "model": what, "test errors": f"{p[key]} of {p['test_count']:,}"}
            for key, what in (("teacher", "teacher"), ("alone", "student alone"),
                              ("distilled", "student distilled"))]
    ours = f"Ours ({dataset_title}, mean ± std over {cfg.seeds} seed{'s' if cfg.seeds > 1 else ''})"
    rows.append({"source": ours, "model": f"teacher {snap.teacher_architecture}",
                 "test errors": f"{snap.teacher_errors:,} of {snap.test_count:,}"})
    for role, what in (("baseline", "student alone"), ("kd", f"student distilled (T = {cfg.T:g})")):
        rows.append({"source": ours, "model": f"{what} {snap.architecture}",
                     "test errors": f"{mean_std(snap.errors[role])} of {snap.test_count:,}"})
    return rows


def sentence(cfg: ThreeWayConfig, snap: ThreeWaySnapshot) -> str:
    """The three-way in words: the teacher's errors, the students' with their spread, KD's paired effect."""
    base, kd = snap.errors["baseline"], snap.errors["kd"]
    head = (f"The teacher ({snap.teacher_architecture}) makes {snap.teacher_errors:,} errors on "
            f"{snap.test_count:,} test images; the {snap.architecture} student makes {mean_std(base)} alone and "
            f"{mean_std(kd)} distilled at T = {cfg.T:g}.")
    return f"{head} {judged_sentence(effect(snap), 'KD over the baseline (test accuracy)', snap.failed)}"


def students(cfg: ThreeWayConfig, snap: ThreeWaySnapshot) -> list[dict]:
    """One row per student: role, seed, T, alpha, status, test errors and accuracy."""
    if not snap.done:
        return []
    return [{"role": r, "dataset": snap.image_set, "architecture": snap.architecture, "method": r, "seed": s,
             "T": cfg.T if r == "kd" else None, "alpha": cfg.alpha if r == "kd" else None, "lr": cfg.lr,
             "steps": snap.steps, "status": snap.status[r][s], "errors": int(snap.errors[r][s]),
             "accuracy": 1 - float(snap.errors[r][s]) / snap.test_count}
            for r in ROLES for s in range(len(snap.errors[r]))]


def student_weights(cfg: ThreeWayConfig, snap: ThreeWaySnapshot, k: int) -> tuple[dict, int] | None:
    """(Population.arrays(), member) of row k's student (rows and members share their order)."""
    return None if snap.weights is None else (snap.weights, k)


def verdict(cfg: ThreeWayConfig, snap: ThreeWaySnapshot) -> str:
    """The tab's sentence (sentence), once the run is done."""
    return sentence(cfg, snap) if snap.done else ""


@loops_of("real_threeway")
def cost(cfg: ThreeWayConfig) -> list[Loop]:
    """The teacher's training (stored after the first run) and the 2 x seeds students'."""
    students = Loop(mlp_params(784, (cfg.width, cfg.width), 10), teachers.BATCH, cfg.steps, 2 * cfg.seeds)
    return [*teachers.teacher_loops(cfg.teacher), students]


EXPERIMENT = Experiment("real_threeway", "Hinton's three-way on real images: teacher, student alone, student distilled",
                        ThreeWayConfig, run, ThreeWaySnapshot, students=students, weights=student_weights,
                        verdict=verdict, page_config=from_threeway)
