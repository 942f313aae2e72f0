"""Which teacher? The capacity gap, a teacher assistant, and early-stopped teachers, each as one population.

Three parts, each testing a published claim with paired seeds:
- capacity: one small student distilled from teachers of growing size (Cho and Hariharan 2019:
  bigger teachers are often worse teachers; KD tutorials: teacher quality directly impacts the
  student);
- assistant: large -> medium -> small against large -> small directly (Mirzadeh et al. 2020);
- early_stop: students of one teacher's checkpoints along its training, early, best on
  validation and overtrained (Cho and Hariharan 2019: early-stopped teachers teach better).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from kdviz.config import setting
from kdviz.device import resolve_device
from kdviz.experiments.distil import StudentSettings, accuracy_on_test, build_data, seeds_of, students_of, teacher_config
from kdviz.experiments import findings, learned
from kdviz.experiments.findings import TUTORIAL_ADVICE, Finding, Panel, Verdict, timed
from kdviz.experiments.protocol import Experiment, Phase
from kdviz.experiments.stats import mean_std
from kdviz.train import Checkpoints, MemberConfig, PopulationRun, model_logits, train_teacher

PARTS = ("capacity", "assistant", "early_stop")
LADDER = ((4,), (16,), (64,), (256, 256))  # teacher widths of the capacity gap, smallest first
ASSISTANT = (32,)  # the teacher assistant's widths
EARLY_STOP_TEACHER = (64,)  # the checkpointed teacher: no dropout, trained long enough to overfit
CHECKS_AT = (10, 40)  # early checkpoints (steps), besides best-on-validation and the last
VAL_EVERY = 25


@dataclass
class WhichTeacherConfig(StudentSettings):
    """What the Which teacher? page trains (round-tripped through the URL)."""

    part: str = setting("capacity", "Experiment", choices=PARTS)
    student: int = setting(8, "Student hidden width", lo=2, hi=128)
    teacher_steps: int = setting(3000, "Overtrained teacher's steps (early_stop)", lo=100, hi=10000, step=100)


def capacity(cfg: WhichTeacherConfig, dev, hook=None) -> Iterator:
    """Students of each teacher of LADDER, with the teachers' own accuracy beside theirs."""
    ds = build_data(cfg.dataset, cfg.seed)
    teachers = []
    for i, h in enumerate(LADDER):
        yield Phase("teachers", 0.6 * i / len(LADDER), f"Training teacher {'x'.join(map(str, h))}…")
        teachers.append(train_teacher(ds, teacher_config(cfg.dataset, h, cfg.seed), dev, hook))
    yield Phase("students", 0.6, "Training the students of every teacher as one population…")
    st = students_of(ds, teachers, (cfg.student,), seeds_of(cfg), cfg.T, cfg.alpha, cfg.steps, dev, hook=hook)
    names = ["x".join(map(str, h)) for h in LADDER]
    t_acc = np.array([t.info["test_acc"] for t in teachers])
    series = {"student (distilled)": st.acc[1:].T, "baseline student": np.repeat(st.acc[:1].T, len(LADDER), 1),
              "teacher itself": np.tile(t_acc, (cfg.seeds, 1))}
    best, worst = int(np.argmax(t_acc)), int(np.argmin(t_acc))
    verdicts = [
        Verdict("Bigger teachers are often worse teachers.", "Cho and Hariharan 2019",
                "On ImageNet, students of deeper ResNets were not better and often worse.",
                f"Student of the largest teacher ({names[-1]}) against the next smaller ({names[-2]})",
                st.effect(-2, -1), -1),
        Verdict("Teacher quality directly impacts student performance.", TUTORIAL_ADVICE,
                "Stated without an experiment.",
                f"Student of the most accurate teacher ({names[best]}, {t_acc[best]:.1%}) against the least "
                f"({names[worst]}, {t_acc[worst]:.1%})", st.effect(worst + 1, best + 1), +1),
    ]
    top = int(np.argmax(st.acc[1:].mean(1)))
    notes = [f"The best teacher for this {cfg.student}-unit student was {names[top]} (student "
             f"{mean_std(st.acc[top + 1], 100)}%, teacher {t_acc[top]:.1%}); the most accurate teacher was "
             f"{names[best]}; the baseline student reached {mean_std(st.acc[0], 100)}%."]
    yield Finding("capacity", [Panel("Student accuracy against teacher size", "teacher hidden widths",
                                     "test accuracy", names, series, percent=True),
                               Panel("Student-teacher agreement", "teacher hidden widths", "top-1 agreement on test",
                                     names, {"fidelity": st.fidelity[1:].T}, percent=True)], verdicts, notes,
                  failed=st.failed)


def assistant(cfg: WhichTeacherConfig, dev, hook=None) -> Iterator:
    """Large -> assistant -> small against large -> small, both beside the baseline small student."""
    ds = build_data(cfg.dataset, cfg.seed)
    yield Phase("teacher", 0.0, "Training the large teacher…")
    large = train_teacher(ds, teacher_config(cfg.dataset, LADDER[-1], cfg.seed), dev, hook)
    seeds = seeds_of(cfg)
    yield Phase("assistant", 0.4, "Distilling the teacher assistants…")
    ta = PopulationRun(ds, large, ASSISTANT, [MemberConfig("kd", T=cfg.T, alpha=cfg.alpha, seed=sd) for sd in seeds],
                       device=dev, record_every=cfg.steps, hook=hook).step(cfg.steps)
    ta_train, ta_test = ta.logits(ds.x_train), ta.logits(ds.x_test)  # (S, N, C), (S, N_test, C)
    ta_acc = ta.evaluate("test")["accuracy"]
    yield Phase("students", 0.7, "Distilling the small students, directly and through the assistants…")
    v_train, v_test = (model_logits(large, x.to(dev)).expand(len(seeds), -1, -1) for x in (ds.x_train, ds.x_test))
    st = students_of(ds, [v_test, ta_test], (cfg.student,), seeds, cfg.T, cfg.alpha, cfg.steps, dev,
                     targets=[list(v_train), list(ta_train)], hook=hook)
    labels = ["baseline", "large -> small", "large -> assistant -> small"]
    series = {lab: st.acc[i][:, None] for i, lab in enumerate(labels)}
    verdicts = [Verdict("A teacher assistant bridges a large capacity gap.", "Mirzadeh et al. 2020",
                        "On CIFAR-10/100 and ImageNet, large -> TA -> small beat large -> small.",
                        "Through the assistant against directly", st.effect(1, 2), +1)]
    notes = [f"Large teacher {large.info['test_acc']:.1%}; assistants ({ASSISTANT[0]} units) "
             f"{mean_std(ta_acc, 100)}%; small students ({cfg.student} units): baseline {mean_std(st.acc[0], 100)}%, "
             f"directly {mean_std(st.acc[1], 100)}%, through the assistant {mean_std(st.acc[2], 100)}%."]
    yield Finding("assistant", [Panel("Small student by route", "route", "test accuracy", ["small student"],
                                      series, percent=True)], verdicts, notes, failed=learned.run_named(ta) + st.failed)


def early_stop(cfg: WhichTeacherConfig, dev, hook=None) -> Iterator:
    """Students of one teacher's checkpoints: early ones, the best on validation, and the last (overtrained)."""
    ds = build_data(cfg.dataset, cfg.seed)
    n_val = len(ds.y_train) // 6
    perm = torch.randperm(len(ds.y_train), generator=torch.Generator().manual_seed(cfg.seed), device="cpu").to(ds.y_train.device)
    val = (ds.x_train[perm[:n_val]], ds.y_train[perm[:n_val]])
    yield Phase("teacher", 0.0, "Training the teacher and keeping checkpoints…")
    run = PopulationRun(ds, None, EARLY_STOP_TEACHER, [MemberConfig("baseline", seed=cfg.seed)], device=dev,
                        record_every=cfg.teacher_steps, hook=hook)
    keep = Checkpoints(run, val)
    checks = {}
    while run.t < cfg.teacher_steps:
        nxt = min([s for s in (*CHECKS_AT, cfg.teacher_steps) if s > run.t] + [run.t + VAL_EVERY])
        run.step(nxt - run.t)
        keep.update()
        if run.t in CHECKS_AT:
            checks[f"step {run.t}"] = run.population.member(0).eval()
    best = keep.best()
    best_step = int(best.info["best_step"][0])
    if best_step < run.t:
        checks[f"best on validation (step {best_step})"] = best.member(0).eval()
    checks[f"last (step {run.t})"] = run.population.member(0).eval()
    names = list(checks)
    t_acc = np.array([accuracy_on_test(m, ds) for m in checks.values()])
    yield Phase("students", 0.5, "Distilling a student from every checkpoint…")
    st = students_of(ds, list(checks.values()), (cfg.student,), seeds_of(cfg), cfg.T, cfg.alpha, cfg.steps, dev,
                     hook=hook)
    series = {"student (distilled)": st.acc[1:].T, "baseline student": np.repeat(st.acc[:1].T, len(names), 1),
              "teacher checkpoint itself": np.tile(t_acc, (cfg.seeds, 1))}
    early = names.index(f"step {CHECKS_AT[-1]}")
    claim = ("Early-stopped teachers teach better than fully trained ones.", "Cho and Hariharan 2019",
             "On ImageNet, students of early-stopped teachers beat those of converged teachers.")
    verdicts = [Verdict(*claim, f"Student of the step-{CHECKS_AT[-1]} checkpoint against the last",
                        st.effect(-1, early + 1), +1)]
    if best_step < run.t:
        verdicts.append(Verdict(*claim, "Student of the best-on-validation checkpoint against the last",
                                st.effect(-1, -2), +1))
    notes = ["Checkpoints' own accuracy: " + ", ".join(f"{n}: {a:.1%}" for n, a in zip(names, t_acc)) +
             ". Their students: " + ", ".join(f"{n}: {mean_std(st.acc[i + 1], 100)}%" for i, n in enumerate(names)) +
             f"; baseline {mean_std(st.acc[0], 100)}%."]
    if best_step == run.t:
        notes.append(f"The teacher's validation score was still improving at step {run.t}: no checkpoint after the "
                     "best on validation here, so only early checkpoints are compared with the last.")
    yield Finding("early_stop", [Panel("Students of one teacher's checkpoints", "teacher checkpoint", "test accuracy",
                                       names, series, percent=True)], verdicts, notes, failed=st.failed)


PART_RUNS = {"capacity": capacity, "assistant": assistant, "early_stop": early_stop}


def run(cfg: WhichTeacherConfig, device: str | None = None, hook=None) -> Iterator:
    """Run the chosen part: Phases while teachers and students train, then one Finding; ``hook``: called before each
    training step (a job's preemption point), or None."""
    if cfg.part not in PART_RUNS:
        raise ValueError(f"unknown part {cfg.part!r}; choose one of {', '.join(PARTS)}")
    yield from timed(PART_RUNS[cfg.part](cfg, resolve_device(device), hook))


EXPERIMENT = Experiment("which_teacher", "Which teacher? capacity gap, teacher assistant, early-stopped teachers",
                        WhichTeacherConfig, run, Finding,
                        students=findings.students, verdict=findings.verdict)
