"""Every page's first-load results computed ahead, with the teachers they store, before a class or a demo.

``python -m kdviz prepare`` (kdviz.cli) drives it. The runs are the warm-up's (kdviz.site.warm_runs: each page's
defaults, light runs first) and land in the results cache the pages read (kdviz.experiments.cache); the teachers
they train are stored on the way (kdviz.train.teacher_store), so a later Start on a page loads its teacher instead
of training it. A run already stored is skipped, a run whose real images are not on this machine is skipped with the
one line saying how to get them (kdviz.data.image_files.how_to_get), and a run that fails is recorded and the others
go on. Ctrl-C stops it: every result finished before stays stored, the run in progress is dropped (results and
teachers are written atomically, so nothing half-written is left), and a rerun goes on from there.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kdviz import site
from kdviz.data.image_files import SOURCES, ImagesMissing, missing
from kdviz.experiments import budget, cache, experiment
from kdviz.experiments.protocol import Phase


@dataclass(frozen=True)
class Item:
    """One result to compute ahead: an experiment at a page's settings, its page and its estimated seconds."""

    experiment: str
    cfg: object
    page: str  # the title of the page that shows it
    seconds: float | None  # kdviz.experiments.budget's estimate alone on one core (None: no estimate)
    label: str  # as typed on the command line, with the tab it fills: "which-teacher (capacity)", "dark-omitted (2/2)"


def labels(runs: list[tuple[str, object]]) -> list[str]:
    """Each run's label: its experiment as typed on the command line, with the tab it fills where its page has one
    tab per value of a setting, else its place among the runs of that experiment when there are several."""
    bases = []
    for name, cfg in runs:
        tab = site.of_experiment(name).tab_field.get(name)
        bases.append(name.replace("_", "-") + (f" ({getattr(cfg, tab)})" if tab else ""))
    seen: dict[str, int] = {}
    out = []
    for base in bases:
        seen[base] = seen.get(base, 0) + 1
        out.append(f"{base} ({seen[base]}/{bases.count(base)})" if bases.count(base) > 1 else base)
    return out


def plan(only: Iterable[str] | None = None) -> list[Item]:
    """Every warm-up run (kdviz.site.warm_runs, in its order), or only those of the experiments named in ``only``
    (written as on the command line, "dark-omitted", or as registered, "dark_omitted"); a ValueError naming the
    experiments that have runs to prepare when a name has none."""
    runs = site.warm_runs()
    if only is not None:
        wanted = [name.strip().replace("-", "_") for name in only if name.strip()]
        known = list(dict.fromkeys(name for name, _ in runs))
        unknown = [name for name in wanted if name not in known]
        choices = ", ".join(name.replace("_", "-") for name in known)
        if not wanted:
            raise ValueError(f"--only: name at least one experiment; choose from {choices}")
        if unknown:
            raise ValueError(f"--only: {unknown[0].replace('_', '-')[:40]!r} has no results to prepare; choose from "
                             f"{choices}")
        runs = [(name, cfg) for name, cfg in runs if name in wanted]
    return [Item(name, cfg, site.of_experiment(name).title, budget.estimate(name, cfg), label)
            for (name, cfg), label in zip(runs, labels(runs))]


def absent_data(cfg) -> str | None:
    """The one line saying how to get the real images a run with settings ``cfg`` trains on when they are not on
    this machine, else None (a run on a generated or bundled dataset needs nothing)."""
    name = getattr(cfg, "dataset", None)
    return missing(name) if name in SOURCES else None


def stored(item: Item) -> bool:
    """Whether ``item``'s result is in the results cache already (what a page shows on its first load)."""
    return cache.load(item.experiment, item.cfg) is not None


def listing(items: list[Item]) -> list[str]:
    """One line per item (its page, what it computes, its estimate, whether it is stored or lacks its data) and a
    last line with the total estimate of what is left to compute."""
    lines, left, todo = [], 0.0, 0
    for item in items:
        need = absent_data(item.cfg)
        state = "stored" if stored(item) else f"skipped: {need}" if need else "to compute"
        if state == "to compute":
            todo, left = todo + 1, left + (item.seconds or 0.0)
        estimate = "no estimate" if item.seconds is None else budget.duration(item.seconds)
        heavy = ", longer than one page run may be" if site.heavy(item.experiment, item.cfg) else ""
        lines.append(f"{item.page}: {item.label}, {estimate}{heavy} ({state})")
    lines.append(f"{todo} of {len(items)} to compute: {budget.duration(left) if todo else 'nothing'} on one core "
                 "(the budget's estimate)")
    return lines


@dataclass
class Outcome:
    """What a prepare did: items computed, skipped as stored, skipped for missing data (with the line), failed
    (with the exception), and whether Ctrl-C stopped it."""

    computed: list[Item] = field(default_factory=list)
    stored: list[Item] = field(default_factory=list)
    absent: list[tuple[Item, str]] = field(default_factory=list)
    failed: list[tuple[Item, BaseException]] = field(default_factory=list)
    interrupted: Item | None = None  # the run Ctrl-C stopped (its result not stored)
    seconds: float = 0.0


class Display:
    """How prepare reports: ``say(line)`` for each skip and result, ``begin(todo)`` once with the runs to compute,
    ``start(item)``, ``step(fraction)`` during a run and ``finish()`` after it. This one prints lines only (on a
    pipe, in a log); Bars draws progress bars too."""

    def __init__(self, say: Callable[[str], None] = print):
        self.say = say

    def begin(self, todo: list[Item]) -> None:
        """The runs about to be computed, in order."""

    def start(self, item: Item, index: int, total: int) -> None:
        """A run begins (the ``index``-th of ``total`` to compute)."""

    def step(self, fraction: float, text: str = "") -> None:
        """The current run got to ``fraction`` of its work (``text``: its phase, when it says one)."""

    def finish(self) -> None:
        """The current run ended (computed, failed or stopped)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


class Bars(Display):
    """Two rich progress bars on a terminal: the run in progress, and all runs to compute weighted by their
    estimates (a run without one weighs a second)."""

    def __init__(self):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                                 TimeElapsedColumn())
        super().__init__(lambda line: self.progress.console.print(line, markup=False, highlight=False))
        self.overall = self.progress.add_task("all runs", total=1.0)
        self.run, self.done, self.weight, self.label = None, 0.0, 0.0, ""

    def begin(self, todo: list[Item]) -> None:
        self.progress.update(self.overall, total=sum(weight(item) for item in todo) or 1.0)

    def start(self, item: Item, index: int, total: int) -> None:
        self.weight, self.label = weight(item), f"{index}/{total} {item.label}"
        self.run = self.progress.add_task(self.label, total=1.0)

    def step(self, fraction: float, text: str = "") -> None:
        self.progress.update(self.run, completed=fraction, description=f"{self.label}: {text}" if text else self.label)
        self.progress.update(self.overall, completed=self.done + fraction * self.weight)

    def finish(self) -> None:
        self.done += self.weight
        self.progress.update(self.overall, completed=self.done)
        self.progress.remove_task(self.run)

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()


def weight(item: Item) -> float:
    """An item's share of the overall bar: its estimated seconds (one when it has no estimate)."""
    return item.seconds if item.seconds else 1.0


def prepare(items: list[Item], display: Display | None = None, device: str | None = None) -> Outcome:
    """Compute and store every item not stored yet, in order, on ``device`` (None: the best available, as a page's
    "auto"); report through ``display``. Never raises for a run: a failure is recorded and the next run goes on;
    Ctrl-C (KeyboardInterrupt) ends it, keeping every result finished before."""
    display = display or Display()
    out, t0 = Outcome(), time.perf_counter()
    todo = []
    for item in items:
        need = absent_data(item.cfg)
        if stored(item):
            out.stored.append(item)
            display.say(f"skipped {item.label}: already computed on this machine")
        elif need:
            out.absent.append((item, need))
            display.say(f"skipped {item.label}: {need}")
        else:
            todo.append(item)
    display.begin(todo)
    for index, item in enumerate(todo, 1):
        display.start(item, index, len(todo))
        started = time.perf_counter()
        try:
            snap = None
            for snap in experiment(item.experiment).run(item.cfg, device=device):
                display.step(float(snap.progress), snap.text if isinstance(snap, Phase) else "")
            cache.store(item.experiment, item.cfg, snap)
            out.computed.append(item)
            display.say(f"computed {item.label} in {elapsed(time.perf_counter() - started)}")
        except KeyboardInterrupt:
            out.interrupted = item
            break
        except ImagesMissing as err:  # a run that needs real images no setting names (its teacher's data, say)
            out.absent.append((item, str(err)))
            display.say(f"skipped {item.label}: {err}")
        except Exception as err:  # noqa: BLE001 - recorded; the other runs go on
            out.failed.append((item, err))
            display.say(f"failed {item.label}: {type(err).__name__}: {str(err).strip()[:200] or 'no message'}")
        finally:
            display.finish()
    out.seconds = time.perf_counter() - t0
    return out


def elapsed(seconds: float) -> str:
    """'4.2 s', '3 min 05 s', '1 h 02 min': a measured time, to the precision a person reads."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def summary(out: Outcome, total: int) -> str:
    """The last line: what was computed, skipped, failed or stopped, and the total time."""
    parts = [f"{len(out.computed)} computed", f"{len(out.stored)} already stored"]
    if out.absent:
        parts.append(f"{len(out.absent)} skipped for missing data")
    if out.failed:
        parts.append(f"{len(out.failed)} failed")
    if out.interrupted is not None:
        left = total - len(out.computed) - len(out.stored) - len(out.absent) - len(out.failed)
        parts.append(f"stopped during {out.interrupted.label} ({left} not computed; run prepare again to finish)")
    return f"Prepared {total} results: {', '.join(parts)}; total time {elapsed(out.seconds)}."
