"""The omitted class on real images (Hinton, Vinyals and Dean 2015: digit 3 left out of MNIST's transfer set).

Students of ``width`` units per hidden layer learn from a transfer set with no image of one class:
a baseline on the labels alone and a KD student per seed (same initial weights and batch order).
Hinton's distilled net made 206 errors, 133 of them on the 1,010 test 3s; raising the 3's bias by
3.5 brought that to 109 and 14. The final snapshot (dark_knowledge.omitted.OmittedSnapshot) keeps
every student's test and validation logits, so the bias that restores the class is chosen on the
validation split (dark_knowledge.omitted.best_bias) and its test errors read off without retraining.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from kdviz.config import setting
from kdviz.data.transforms import omit_class
from kdviz.experiments.budget import loops_of
from kdviz.experiments.dark_knowledge.omitted import OmittedSnapshot, best_bias, errors, omitted_sentence
from kdviz.experiments.protocol import Experiment, chunks
from kdviz.experiments.real_images import teachers, threeway
from kdviz.experiments.real_images.settings import StudentsRun, from_omitted
from kdviz.experiments.real_images.threeway import ROLES, by_role, chunk_size, population, statuses


@dataclass
class OmittedImagesConfig(StudentsRun):
    """Which class the students never see, and how they are distilled and trained."""

    omit: int = setting(3, "Class left out of the students' transfer set (0 to 9)", lo=0, hi=9)


def run(cfg: OmittedImagesConfig, device: str | None = None, hook=None) -> Iterator:
    """The teacher (on every class), then baselines and KD students on the transfer set without class ``omit``.

    hook: called before each training step (a job's preemption point), or None.
    """
    ds, teacher = yield from teachers.prepare(cfg, device, hook)
    transfer = omit_class(ds, cfg.omit)
    students = population(cfg, transfer, teacher, device, hook)
    for done in chunks([students], cfg.steps, chunk_size(cfg.steps)):
        yield OmittedSnapshot(done / cfg.steps, done, cfg.steps, cfg.omit)
    roles = by_role(cfg.seeds)

    def outputs(x) -> dict:
        z = students.logits(x.to(students.device)).cpu().numpy().astype(np.float32)  # (2S, N, C)
        return {r: z[sl] for r, sl in roles.items()}

    status, failed = statuses(students, cfg.seeds)
    arrays = students.population.arrays()
    yield OmittedSnapshot(1.0, cfg.steps, cfg.steps, cfg.omit, list(ROLES), outputs(ds.x_test), outputs(ds.x_val),
                          ds.y_test.numpy(), ds.y_val.numpy(), status,
                          {r: {**arrays, "weight": [w[sl] for w in arrays["weight"]],
                               "bias": [b[sl] for b in arrays["bias"]]} for r, sl in roles.items()},
                          failed, {"kd": float(teacher.info["test_acc"])})


def chosen_bias(snap: OmittedSnapshot) -> float:
    """The bias for the omitted class with the fewest validation errors of the KD students (best_bias)."""
    return best_bias(snap.val_logits["kd"], snap.y_val, snap.omit)


def students(cfg: OmittedImagesConfig, snap: OmittedSnapshot) -> list[dict]:
    """One row per student: role, seed, T, alpha, status, test errors (all and on the omitted class) at the unchanged
    bias and at the bias chosen on validation."""
    if not snap.done:
        return []
    b = chosen_bias(snap)
    rows = []
    for r in snap.roles:
        for s in range(len(snap.test_logits[r])):
            e, raised = (errors(snap.test_logits[r][s:s + 1], snap.y_test, snap.omit, x) for x in (0.0, b))
            rows.append({"role": r, "dataset": cfg.image_set, "method": r, "seed": s, "omitted": cfg.omit,
                         "T": cfg.T if r == "kd" else None, "alpha": cfg.alpha if r == "kd" else None, "lr": cfg.lr,
                         "steps": snap.steps, "status": snap.status[r][s], "errors": int(e.total[0]),
                         "errors_on_omitted": int(e.on_digit[0]), "bias": b, "errors_after_bias": int(raised.total[0]),
                         "errors_on_omitted_after_bias": int(raised.on_digit[0]),
                         "accuracy": 1 - float(e.total[0]) / e.n})
    return rows


def student_weights(cfg: OmittedImagesConfig, snap: OmittedSnapshot, k: int) -> tuple[dict, int] | None:
    """(Population.arrays(), member) of row k's student; None when the snapshot keeps no weights."""
    if snap.weights is None:
        return None
    S = len(snap.test_logits[snap.roles[0]])
    return snap.weights[snap.roles[k // S]], k % S


def class_names(cfg: OmittedImagesConfig) -> list[str]:
    """The image set's class names (from its source, without reading the images)."""
    return list(teachers.SOURCES[cfg.image_set].class_names)


def verdict(cfg: OmittedImagesConfig, snap: OmittedSnapshot) -> str:
    """The tab's sentence: what the students make of the class they never saw, before and after the chosen bias."""
    return omitted_sentence(snap, chosen_bias(snap), class_names(cfg)) if snap.done else ""


cost = loops_of("real_omitted")(threeway.cost)  # the same teacher and students as the three-way, one class fewer


EXPERIMENT = Experiment("real_omitted", "The omitted class on real images: students that never saw one class",
                        OmittedImagesConfig, run, OmittedSnapshot, students=students, weights=student_weights,
                        verdict=verdict, page_config=from_omitted)
