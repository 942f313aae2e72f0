"""The experiments behind the pages, one module (or package) per page, each a settings class and a generator.

EXPERIMENTS lists every runnable experiment by name (also the command line's subcommands):
live, compare, beyond, the three of Dark knowledge (teachers, omitted digit, sweep) and the two
of Market (market, transfer), which_teacher and claims (findings: their figures and verdicts;
distil: their students of many teachers). Shared pieces: protocol (Experiment, Phase), stats (the
paired verdict), learned (whether a student learned), task (the job-pool entry that drives any of them). temperature and gradients hold the
state of the two pages that compute on the spot.
"""
from kdviz.experiments import beyond, claims, compare, dark_knowledge, live, market, which_teacher
from kdviz.experiments.market import transfer
from kdviz.experiments.protocol import Experiment

EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (
    live.EXPERIMENT, compare.EXPERIMENT, beyond.EXPERIMENT, *dark_knowledge.EXPERIMENTS, market.EXPERIMENT,
    transfer.EXPERIMENT,
    which_teacher.EXPERIMENT, claims.EXPERIMENT)}


def experiment(name: str) -> Experiment:
    """The experiment registered as ``name``; ValueError naming the choices otherwise."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]
