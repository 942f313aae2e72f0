"""The experiments behind the pages, one module (or package) per page, each a settings class and a generator.

EXPERIMENTS lists every runnable experiment by name (also the command line's subcommands, in this order): each
module in this package, at any depth, that defines ``EXPERIMENT`` (one kdviz.experiments.protocol.Experiment) or
``EXPERIMENTS`` (several) contributes them, the modules taken in the order of their names and a module's
EXPERIMENTS in its own order (kdviz.discovery); a new page's experiment module is registered by existing.
Shared pieces: protocol (Experiment, Phase), stats (the paired verdict), learned (whether a student learned),
findings and distil (the figures, verdicts and students of which_teacher and claims), task (the job-pool entry that
drives any of them), budget, cache and grid. temperature and gradients hold the settings of the two pages that
compute on the spot.
"""
from __future__ import annotations

from kdviz.discovery import gather, submodules
from kdviz.experiments.protocol import Experiment


def experiment(name: str) -> Experiment:
    """The experiment registered as ``name``; ValueError naming the choices otherwise."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]


def _declared(modules) -> list[tuple[str, Experiment, object]]:
    """(name, experiment, module) of each module's EXPERIMENT and EXPERIMENTS, in the modules' order."""
    return [(e.name, e, m) for m in modules
            for e in ([m.EXPERIMENT] if hasattr(m, "EXPERIMENT") else []) + list(getattr(m, "EXPERIMENTS", ()))]


# defined after experiment(): the shared modules discovery imports (cache, task) import that function by name
EXPERIMENTS: dict[str, Experiment] = gather(_declared(submodules(__name__)), "experiments")
