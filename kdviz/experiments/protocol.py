"""What an experiment is: a settings dataclass and a generator of typed snapshots, runnable anywhere.

An experiment's ``run(cfg, hook=None, **options)`` trains in chunks and yields a snapshot after each: a
Phase while it has nothing to draw yet, then its own snapshot dataclass. The same generator is
driven by the job pool for a page (kdviz.experiments.task), by the command line and by tests,
so every caller gets exactly the same numbers for the same settings and seeds. ``hook`` (a job's
preemption point) goes to every training run the experiment makes (PopulationRun's hook).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from kdviz.data.registry import Dataset
from kdviz.train.evaluate import plane_extent


@dataclass(frozen=True)
class Phase:
    """A snapshot with nothing to draw yet: which phase a run is in, how far it got, and what to say."""

    name: str  # e.g. "teacher", "teachers", "students"
    progress: float  # in [0, 1]
    text: str  # one line for the page, e.g. "Training the teacher…"


@dataclass
class Plane:
    """2-D data as a page draws it: the plot range, the training points shown, and the grid of the regions."""

    extent: tuple[tuple[float, float], tuple[float, float]]  # ((x_lo, x_hi), (y_lo, y_hi))
    points: np.ndarray  # (n, 2) training points shown
    labels: np.ndarray  # (n,)
    class_names: list[str]
    grid: int  # decision regions are grid x grid

    @classmethod
    def of(cls, ds: Dataset, grid: int, shown: int) -> "Plane":
        """The plane of a 2-D dataset: its extent and its first ``shown`` training points."""
        return cls(plane_extent(ds.x_train), ds.x_train.cpu().numpy()[:shown], ds.y_train.cpu().numpy()[:shown],
                   list(ds.class_names), grid)

    @property
    def axes(self) -> tuple[np.ndarray, np.ndarray]:
        """The x (grid,) and y (grid,) coordinates of the decision-region grid."""
        (x0, x1), (y0, y1) = self.extent
        return np.linspace(x0, x1, self.grid), np.linspace(y0, y1, self.grid)


@dataclass(frozen=True)
class Experiment:
    """A named experiment: its settings class, its generator of snapshots, and what its final snapshot exports.

    A run's figures are its page's, built by kdviz.figures. The export hooks (kdviz.exports dispatches
    through them; None: the defaults for a snapshot with a ``run``, a PopulationRun's RunSnapshot):
    - students(cfg, snap) -> [row]: one dict per trained student (what it is, its status, test metrics);
    - weights(cfg, snap, i) -> (Population.arrays(), member) of row i, or None when that student's weights are not kept;
    - verdict(cfg, snap) -> str: the conclusion in words, as the page states it;
    - page_config(cfg) -> the settings of the page that shows this run (its link), when the page's
      settings class is not ``config`` (one tab of a page of several runs).
    ``snapshot`` is the class of the final snapshot (what the results cache accepts back from disk).
    """

    name: str  # the registry key, also the command-line subcommand
    title: str  # what it is, in a few words
    config: type  # the settings dataclass
    run: Callable[..., Iterator]  # run(cfg, hook=None, **options) -> snapshots (each with a ``progress`` in [0, 1])
    snapshot: type  # the class of the final snapshot
    students: Callable | None = None
    weights: Callable | None = None
    verdict: Callable | None = None
    page_config: Callable | None = None


def chunks(runs, steps: int, every: int) -> Iterator[int]:
    """Train every run of ``runs`` (PopulationRuns, in turn) ``steps`` steps in chunks of ``every``, yielding the
    steps done after each chunk but the last (where a run yields a progress snapshot)."""
    done = 0
    while done < steps:
        n = min(every, steps - done)
        for run in runs:
            run.step(n)
        done += n
        if done < steps:
            yield done


def last(snapshots: Iterator):
    """Drive a run to its end and return its final snapshot."""
    snap = None
    for snap in snapshots:
        pass
    return snap
