"""The job pool's entry point for every experiment: drive its generator, publish each snapshot, obey the controls."""
from __future__ import annotations

import dataclasses
from typing import Any

from kdviz.experiments import budget, experiment

TASK = "kdviz.experiments.task:run_experiment"


def job(name: str, cfg, **options) -> tuple[str, dict]:
    """The (function path, picklable payload) pair that runs experiment ``name`` with settings ``cfg``."""
    experiment(name)
    return TASK, {"experiment": name, "config": dataclasses.asdict(cfg), "options": options}


def cost(task: Any) -> float | None:
    """Estimated seconds of an experiment task (from job()) alone on one worker; None for other tasks."""
    fn, payload = task
    if fn != TASK or not isinstance(payload, dict):
        return None
    exp = experiment(payload["experiment"])
    return budget.estimate(exp.name, exp.config(**payload["config"]))


def run_experiment(payload: dict, emit, control) -> None:
    """Job task: run the experiment, emitting each snapshot; between snapshots, pause or stop when asked.

    ``control.tick`` (if the control has one) is passed to the run as the step hook of every training run it
    makes: the preemption point where a time slice ends and pause or stop take effect, between optimiser steps.
    """
    exp = experiment(payload["experiment"])
    cfg = exp.config(**payload["config"])
    for snap in exp.run(cfg, hook=getattr(control, "tick", None), **payload.get("options", {})):
        emit(snap, progress=snap.progress)
        if not control.proceed():
            return

