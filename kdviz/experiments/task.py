"""The job pool's entry point for every experiment: drive its generator, publish each snapshot, obey the controls."""
from __future__ import annotations

import dataclasses
from typing import Any

from kdviz.experiments import budget, experiment
from kdviz.train.run import STEP_HOOK

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

    While it runs, ``control.tick`` (if the control has one) is this thread's engine step hook: the
    preemption point where a time slice ends and pause or stop take effect, between optimiser steps.
    """
    exp = experiment(payload["experiment"])
    cfg = exp.config(**payload["config"])
    STEP_HOOK.fn = getattr(control, "tick", None)
    try:
        for snap in exp.run(cfg, **payload.get("options", {})):
            emit(snap, progress=snap.progress)
            if not control.proceed():
                return
    finally:
        STEP_HOOK.fn = None

