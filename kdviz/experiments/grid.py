"""A grid of students (T x alpha x method x student width x teacher width x seed) trained as populations, here or on Ray.

Every cell is one student. Cells that share a teacher and a student shape train together as one
PopulationRun, split into tasks of at most ``population`` students (a worker's share); a
student's numbers depend only on its own settings and seed (its initial weights and batch order
are its own), so they do not depend on how the grid was split or where a task ran. The data and
teachers are Compare's (kdviz.experiments.compare.build_data, teacher_config): a grid cell with
Compare's settings reproduces Compare's number for that student. Each distinct teacher is trained
once, in this process (one thread, as a worker trains it, so the numbers are the same), while the
workers start, and shipped with every task: no worker trains or re-creates a teacher.

Task sizes: a group's students are split into equal tasks of at most ``population``, as many as
a multiple of the workers when the group is big enough, so that no worker idles at the end; a
population of 64-256 students trains fastest per student on a CPU (bench/bench_grid.py).

Backends: "local" runs the tasks in kdviz's job pool (worker processes on this machine); "ray"
sends them to Ray (``address`` for a cluster, else a local Ray). Rows stream into one CSV (or
Parquet) file as tasks finish; a rerun skips every cell already in the file, so an interrupted
sweep resumes where it stopped (a CSV survives a kill; a Parquet file is completed on Ctrl-C).
"""
from __future__ import annotations

import copy
import csv
import itertools
import math
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from kdviz.config import check_value, fields, parse_widths
from kdviz.data import spec
from kdviz.device import resolve_device
from kdviz.experiments import compare, learned
from kdviz.jobs import JobPool, resolve_workers
from kdviz.paradigms import MODULES, NOTES
from kdviz.train import MemberConfig, PopulationRun, train_teacher
from kdviz.train.configs import whole

KEYS = ("dataset", "data_seed", "omit", "steps", "lr", "batch", "teacher", "student", "method", "T", "alpha", "seed")
METRICS = ("accuracy", "balanced_accuracy", "nll", "ece", "fidelity", "kl_to_teacher")
ELSEWHERE = {"multi_teacher": "several teachers", "mutual": "peers trained side by side",
             "born_again": "a previous generation"}  # registered paradigms a cell (one student, one teacher) cannot be
GRID_METHODS = tuple(k for k in NOTES if k not in ELSEWHERE)  # every other registered paradigm, by its registered name
MAX_CELLS = 1_000_000  # students one sweep may hold (its cells are listed in memory)
MAX_BATCH = 100_000  # a population's largest batch (kdviz.train.PopulationRun checks the same)
MAX_STEPS = 1_000_000  # training steps per student
MAX_WORKERS = 512  # local worker processes


@dataclass(frozen=True)
class Cell:
    """One student of the grid: everything that determines its numbers."""

    dataset: str
    data_seed: int
    omit: int
    steps: int
    lr: float
    batch: int
    teacher: str  # hidden widths "128, 128"
    student: str  # hidden widths "32"
    method: str
    T: float
    alpha: float
    seed: int

    @property
    def key(self) -> str:
        """A stable text key (the resume check compares these)."""
        return "|".join(_key_part(getattr(self, k)) for k in KEYS)


def _key_part(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Grid:
    """The axes of a sweep (each a tuple) and the settings every cell shares."""

    dataset: str = "digits"
    T: tuple[float, ...] = (1.0, 4.0)
    alpha: tuple[float, ...] = (0.1,)
    method: tuple[str, ...] = ("kd", "baseline")
    student: tuple[str, ...] = ("32",)
    teacher: tuple[str, ...] = ("256, 256",)
    seeds: tuple[int, ...] = (0, 1, 2)
    steps: int = 1000
    lr: float = 0.01
    batch: int = 64
    omit: int = -1
    data_seed: int = 0

    def __post_init__(self):
        """Every axis and shared setting checked (a ValueError naming the first bad one), so nothing trains on one."""
        check(self)

    def cells(self) -> list[Cell]:
        """Every cell, grouped by (teacher, student) so one population holds one shape."""
        return [Cell(self.dataset, self.data_seed, self.omit, self.steps, self.lr, self.batch, t, s, m, T, a, sd)
                for t, s, m, T, a, sd in itertools.product(self.teacher, self.student, self.method, self.T,
                                                            self.alpha, self.seeds)]


def check(grid: Grid) -> None:
    """Check a grid before any work: the data and teachers as Compare's settings accept them, each student's
    settings as the engine accepts them (kdviz.train.MemberConfig), the sizes within bounds; ValueError otherwise."""
    def named(name: str, value, test) -> None:
        try:
            test(value)
        except ValueError as err:
            raise ValueError(f"{name}={str(value)[:40]!r}: {err}") from None

    spec(grid.dataset)
    axes = {name: getattr(grid, name) for name in ("T", "alpha", "method", "student", "teacher", "seeds")}
    for name, values in axes.items():
        if not values:
            raise ValueError(f"{name}: give at least one value")
    if math.prod(map(len, axes.values())) > MAX_CELLS:
        raise ValueError(f"{math.prod(map(len, axes.values())):,} students; a sweep holds at most {MAX_CELLS:,}")
    for name, key in (("omit", "omit"), ("data_seed", "seed")):  # the data and teachers are Compare's
        named(name, getattr(grid, name), lambda v: check_value(fields(compare.CompareConfig)[key], whole(v, name, -1)))
    compare.validate(compare.CompareConfig(dataset=grid.dataset, omit=grid.omit, seed=grid.data_seed))
    for m in grid.method:
        named("method", m, grid_method)
    for name, values in (("student", grid.student), ("teacher", grid.teacher)):
        for widths in values:
            named(name, widths, parse_widths)
    # each student setting as the engine checks it, beside defaults it accepts (seeds are checked at both ends)
    for name, key, values in (("T", "T", grid.T), ("alpha", "alpha", grid.alpha), ("lr", "lr", (grid.lr,)),
                              ("seeds", "seed", (min(grid.seeds), max(grid.seeds)))):
        for v in values:
            named(name, v, lambda v: MemberConfig(**{key: v}))
    named("steps", grid.steps, lambda v: whole(v, "steps", 1, MAX_STEPS))
    named("batch", grid.batch, lambda v: whole(v, "batch size", 1, MAX_BATCH))


def grid_method(name: str) -> str:
    """A grid method's registered name, checked (ValueError naming the choices)."""
    if name not in GRID_METHODS:
        modules = {m.__name__.rpartition(".")[2]: m.NOTE.key for m in MODULES}  # a paradigm's file -> its name
        why = (f"{name} needs {ELSEWHERE[name]}" if name in ELSEWHERE else
               f"{name!r} is registered as {modules[name]!r}" if name in modules else
               f"{name!r} is not a registered paradigm")
        raise ValueError(f"a grid method; choose from {', '.join(GRID_METHODS)} ({why}; methods needing several "
                         "teachers, peers or a previous generation run on the Compare page)")
    return name


MIN_TASK = 16  # students below which a task is not split further to keep every worker busy


def tasks(cells: list[Cell], population: int, workers: int = 1) -> list[list[Cell]]:
    """Cells split into tasks: one (teacher, student) shape each, at most ``population`` students, in equal parts;
    a multiple of ``workers`` parts when the group has at least MIN_TASK students per worker."""
    out = []
    for _, group in itertools.groupby(cells, key=lambda c: (c.teacher, c.student)):
        group = list(group)
        n = math.ceil(len(group) / population)
        if len(group) >= workers * MIN_TASK:
            n = math.ceil(n / workers) * workers
        size, extra = divmod(len(group), n)
        start = 0
        for i in range(n):
            end = start + size + (i < extra)
            out.append(group[start:end])
            start = end
    return out


def teacher_key(cell: Cell) -> tuple:
    """What a cell's teacher depends on: its data and its width."""
    return cell.dataset, cell.data_seed, cell.omit, cell.teacher


def _data(cell: Cell):
    """Compare's settings, teacher data and student data of a cell."""
    cfg = compare.CompareConfig(dataset=cell.dataset, omit=cell.omit, seed=cell.data_seed)
    return (cfg, *compare.build_data(cfg))


@contextmanager
def one_thread():
    """Run the block with one torch thread, as a job worker does (so a teacher trained here is a worker's)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def shared_teachers(work: list[list[Cell]], device: str | None = None) -> dict[tuple, object]:
    """Each distinct teacher of the tasks, trained once here (cached) on ``device``, as a CPU copy to ship with the tasks."""
    out = {}
    for cells in work:
        key = teacher_key(cells[0])
        if key not in out:
            cfg, ds, _ = _data(cells[0])
            with one_thread():
                teacher = train_teacher(ds, compare.teacher_config(cfg, parse_widths(cells[0].teacher)), device)
            out[key] = copy.deepcopy(teacher).cpu()  # the cached one stays where it is
    return out


# ----------------------------------------------------------------------------- one task (any process)
def train_cells(cells: list[dict], device: str | None = None, teacher=None) -> list[dict]:
    """Train one task's students as one population; a row per student (its cell, test metrics, teacher accuracy).

    ``teacher``: the cells' teacher (from shared_teachers), else trained here (cached per process)."""
    t0, cpu0 = time.perf_counter(), time.thread_time()
    first = Cell(**cells[0])
    cfg, ds, sds = _data(first)
    if teacher is None:
        teacher = train_teacher(ds, compare.teacher_config(cfg, parse_widths(first.teacher)), device)
    else:
        teacher = teacher.to(resolve_device(device))
    members = [MemberConfig(c["method"], T=c["T"], alpha=c["alpha"], lr=c["lr"], seed=c["seed"]) for c in cells]
    run = PopulationRun(sds, teacher, parse_widths(first.student), members, batch_size=first.batch, device=device,
                        record_every=first.steps).step(first.steps)
    final, why = run.evaluate("test"), learned.run_failures(run)  # why: per student, how it failed or None
    teacher_acc = float(teacher.info["test_acc"])
    seconds, cpu = time.perf_counter() - t0, time.thread_time() - cpu0  # wall and this thread's CPU (it trains)
    return [{**c, **{m: float(final[m][k]) for m in METRICS if m in final}, "teacher_acc": teacher_acc,
             "status": why[k] or "ok", "task_seconds": round(seconds, 3), "task_cpu_seconds": round(cpu, 3),
             "task_students": len(cells)}
            for k, c in enumerate(cells)]


def grid_task(payload: dict, emit, control) -> None:
    """Job-pool entry: train one task and emit its rows as the snapshot."""
    emit(train_cells(payload["cells"], payload.get("device"), payload.get("teacher")), progress=1.0)


TASK = "kdviz.experiments.grid:grid_task"


# ----------------------------------------------------------------------------- backends
def run_local(work: list[list[Cell]], workers: int | None = None, device: str | None = None):
    """Run tasks in a job pool of ``workers`` processes; yield each task's rows as it finishes."""
    pool = JobPool(workers, nice=0)  # a sweep is the foreground work here, unlike a page's jobs beside the server
    try:
        teachers = shared_teachers(work, device)  # while the workers start
        pending = [pool.submit((TASK, {"cells": [asdict(c) for c in cells], "device": device,
                                       "teacher": teachers[teacher_key(cells[0])]})) for cells in work]
        while pending:
            for job in [j for j in pending if j.done]:
                pending.remove(job)
                if job.state != "done":
                    raise RuntimeError(f"a grid task failed: {job.error}")
                yield job.snapshot()
            time.sleep(0.02)
    finally:
        pool.shutdown()


def run_ray(work: list[list[Cell]], address: str | None = None, device: str | None = None):
    """Run tasks as Ray tasks (one CPU each) on the cluster at ``address`` (or a local Ray); yield rows as they finish."""
    import ray  # optional (the ray extra): imported only when a sweep asks for it

    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(num_cpus=1)(train_cells)
    teachers = {key: ray.put(t) for key, t in shared_teachers(work, device).items()}  # stored once, read by every task
    pending = [remote.remote([asdict(c) for c in cells], device, teachers[teacher_key(cells[0])]) for cells in work]
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        yield ray.get(ready[0])


# ----------------------------------------------------------------------------- the results file
class Sink:
    """The results file, appended as rows arrive: CSV written through, or Parquet completed on close."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.parquet = self.path.suffix == ".parquet"
        self.rows = self._existing()
        self._new: list[dict] = []

    def _existing(self) -> list[dict]:
        if not self.path.exists():
            return []
        if self.parquet:
            import pyarrow.parquet as pq  # optional (Parquet results): imported only for a .parquet file

            return pq.read_table(self.path).to_pylist()
        with open(self.path, newline="") as f:
            return list(csv.DictReader(f))

    def done_keys(self) -> set[str]:
        """Keys of the cells already in the file."""
        return {Cell(**{k: _typed(k, r[k]) for k in KEYS}).key for r in self.rows}

    def add(self, rows: list[dict]) -> None:
        """Append rows (a CSV is flushed at once)."""
        self._new += rows
        if not self.parquet:
            fresh = not self.path.exists() or self.path.stat().st_size == 0
            with open(self.path, "a", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=list(rows[0]))
                if fresh:
                    writer.writeheader()
                writer.writerows(rows)

    def close(self) -> None:
        """Write the Parquet file (old rows and new); a CSV is already complete."""
        if self.parquet and self._new:
            import pyarrow as pa  # optional, as above
            import pyarrow.parquet as pq

            tmp = self.path.with_suffix(".parquet.tmp")
            pq.write_table(pa.Table.from_pylist(self.rows + self._new), tmp)
            tmp.replace(self.path)


def _typed(key: str, value):
    """A CSV cell back in its Cell field's type."""
    kind = Cell.__dataclass_fields__[key].type
    return float(value) if kind == "float" else int(value) if kind == "int" else str(value)


def sweep(grid: Grid, out: Path, backend: str = "local", population: int = 256, workers: int | None = None,
          address: str | None = None, device: str | None = None, report=None) -> dict:
    """Run every cell of ``grid`` not yet in ``out``, streaming rows into it; a summary of what ran."""
    if backend not in ("local", "ray"):
        raise ValueError(f"backend must be local or ray, got {backend!r}")
    sink = Sink(out)
    done = sink.done_keys()
    todo = [c for c in grid.cells() if c.key not in done]
    if workers is None and backend == "local":
        workers = resolve_workers()
    work = tasks(todo, population, workers or 1)
    t0, finished = time.perf_counter(), 0
    runner = run_local(work, workers, device) if backend == "local" else run_ray(work, address, device)
    try:
        for rows in runner:
            sink.add(rows)
            finished += len(rows)
            if report is not None:
                report({"students": finished, "of": len(todo), "seconds": round(time.perf_counter() - t0, 2)})
    finally:
        sink.close()
    seconds = time.perf_counter() - t0
    return {"cells": len(grid.cells()), "skipped": len(grid.cells()) - len(todo), "trained": finished,
            "tasks": len(work), "seconds": round(seconds, 2),
            "students_per_second": round(finished / seconds, 1) if finished else None, "file": str(out)}
