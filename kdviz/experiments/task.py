"""The job pool's entry point for every experiment: drive its generator, publish each snapshot, obey the controls."""
from __future__ import annotations

import dataclasses

from kdviz.experiments import experiment

TASK = "kdviz.experiments.task:run_experiment"


def job(name: str, cfg, **options) -> tuple[str, dict]:
    """The (function path, picklable payload) pair that runs experiment ``name`` with settings ``cfg``."""
    experiment(name)
    return TASK, {"experiment": name, "config": dataclasses.asdict(cfg), "options": options}


def run_experiment(payload: dict, emit, control) -> None:
    """Job task: run the experiment, emitting each snapshot; between snapshots, pause or stop when asked."""
    exp = experiment(payload["experiment"])
    cfg = exp.config(**payload["config"])
    for snap in exp.run(cfg, **payload.get("options", {})):
        emit(snap, progress=snap.progress)
        if not control.proceed():
            return

