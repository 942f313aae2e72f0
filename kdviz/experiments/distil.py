"""Shared pieces of the claim-testing experiments: their data, their teachers, and students of many teachers at once.

``students_of`` trains, as one population, a baseline student per seed and, for each of several
teachers, a student per seed distilled toward that teacher's logits (the per-member targets of
PopulationRun, trained with the born-again objective: Hinton's loss toward any fixed logits).
Students of one seed share initial weights and batch order whatever their teacher, so every
comparison between teachers is paired.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from kdviz import metrics
from kdviz.config import setting
from kdviz.data import make_dataset, spec
from kdviz.data.registry import Dataset
from kdviz.experiments import learned
from kdviz.experiments.stats import PairedEffect, paired
from kdviz.train import MemberConfig, PopulationRun, TeacherConfig, model_logits

DATASETS = ("digits", "blobs", "spiral", "moons")  # digits and three 2-D sets


@dataclass
class StudentSettings:
    """The settings every claim experiment shares: data, the student, its KD loss, its training and the seeds."""

    dataset: str = setting("digits", "Dataset", choices=DATASETS)
    student: int = setting(16, "Student hidden width", lo=2, hi=256)
    T: float = setting(4.0, "Temperature T", lo=1.0, hi=20.0, step=0.5)
    alpha: float = setting(0.1, "alpha (weight of hard labels)", lo=0.0, hi=1.0, step=0.05)
    steps: int = setting(1000, "Steps", lo=50, hi=5000, step=50)
    seeds: int = setting(3, "Seeds", lo=2, hi=6)
    seed: int = setting(0, "Data seed", lo=0, hi=9999, help="seed of the data and the teachers")


def seeds_of(cfg: StudentSettings) -> list[int]:
    """The students' seeds (one per paired group)."""
    return [cfg.seed * 100 + k for k in range(cfg.seeds)]


def build_data(name: str, seed: int) -> Dataset:
    """The dataset of a claim experiment: 2000 points (digits: all 1797), 70% train, seeded."""
    return make_dataset(name, n=2000, noise=0.0 if spec(name).kind == "image" else 0.1, seed=seed, train_ratio=0.7)


def teacher_config(dataset: str, hidden: tuple[int, ...], seed: int, steps: int = 1000) -> TeacherConfig:
    """How a teacher of the given widths is trained: two-layer digits teachers get dropout 0.5 and lr 1e-3."""
    wide = spec(dataset).kind == "image" and len(hidden) > 1
    return TeacherConfig(hidden=tuple(hidden), steps=steps, seed=seed, **(dict(dropout=0.5, lr=1e-3) if wide else {}))


@dataclass
class Students:
    """Test results of a students_of population: the baseline row first, then one row per teacher."""

    acc: np.ndarray  # (G + 1, S) test accuracy
    fidelity: np.ndarray  # (G + 1, S) top-1 agreement with the row's teacher on test (NaN for the baseline)
    kl: np.ndarray  # (G + 1, S) KL(teacher || student) on test at T = 1 (NaN for the baseline)
    run: PopulationRun
    hits: np.ndarray | None = None  # (G + 1, S, N_test) bool: whether each student got each test point right

    def effect(self, a: int, b: int) -> PairedEffect:
        """The paired accuracy effect of row b over row a, judged on the seeds and the test points (kdviz.experiments.stats)."""
        return paired(self.acc[a], self.acc[b], hits_a=None if self.hits is None else self.hits[a],
                      hits_b=None if self.hits is None else self.hits[b])

    @property
    def failed(self) -> list[str]:
        """The students that diverged or did not learn (learned.run_named)."""
        return learned.run_named(self.run)


def students_of(ds: Dataset, teachers: list[torch.nn.Module | torch.Tensor], hidden, seeds: list[int], T: float,
                alpha: float, steps: int, device, targets: list[torch.Tensor] | None = None, hook=None) -> Students:
    """Train baseline and distilled students of width ``hidden`` (one per seed and teacher) for ``steps`` steps.

    teachers: G models (their logits on ds are computed here); ``targets`` instead gives per-seed
    train logits (G lists of S tensors (N, C)) with their test logits in ``teachers`` as (S, N_test, C).
    hook: the training run's step hook (PopulationRun's).
    """
    s = len(seeds)
    members = [MemberConfig("baseline", T=T, alpha=alpha, seed=sd) for sd in seeds]
    train_logits, test_logits = [], []
    for g, t in enumerate(teachers):
        if targets is None:
            v_train, v_test = model_logits(t, ds.x_train.to(device)), model_logits(t, ds.x_test.to(device))
            train_logits += [v_train] * s
            test_logits.append(v_test.expand(s, *v_test.shape))  # (S, N_test, C)
        else:
            train_logits += list(targets[g])
            test_logits.append(t)
        members += [MemberConfig("born_again", T=T, alpha=alpha, seed=sd) for sd in seeds]
    run = PopulationRun(ds, None, hidden, members, device=device, record_every=max(steps, 1),
                        targets={s + i: v for i, v in enumerate(train_logits)}, hook=hook).step(steps)
    z = run.logits(ds.x_test)  # (K, N_test, C)
    hits = metrics.hits(z, ds.y_test.to(z.device)).cpu().numpy().reshape(-1, s, z.shape[1])  # (G + 1, S, N_test)
    acc = metrics.accuracy(z, ds.y_test.to(z.device)).cpu().numpy().reshape(-1, s)  # (G + 1, S)
    fid = np.full_like(acc, np.nan)
    kl = np.full_like(acc, np.nan)
    for g, v in enumerate(test_logits):
        zg = z[(g + 1) * s:(g + 2) * s]  # (S, N_test, C)
        fid[g + 1] = metrics.fidelity(zg, v.to(z.device)).cpu().numpy()
        kl[g + 1] = metrics.kl_to_teacher(zg, v.to(z.device)).cpu().numpy()
    return Students(acc, fid, kl, run, hits)


def accuracy_on_test(model, ds: Dataset) -> float:
    """A model's test accuracy on ds."""
    x = ds.x_test.to(next(model.parameters()).device)
    return float(metrics.accuracy(model_logits(model, x), ds.y_test.to(x.device)))
