"""Grid sweeps: the job pool against one process on the same tasks, where the pool's time goes, the students per
second of a population by its size, and Ray's overhead per task. Prints JSON.

python bench/bench_grid.py [--quick] [--big]: the default runs 2,000 digits students (10 T x 5 alpha x 40 seeds,
200 steps) in this process and then in a pool of 2 workers, one after the other in the same run (a shared
machine's load moves both); --big runs the 10,000-student grid (200 seeds) on the pool; --quick shrinks everything.
CPU seconds (each task's training thread) separate the pool's own cost from the cores it did not get.

Measured 2026-12-01 on the shared 2-core machine (load average 5-11 from other users), each pair in one run:
2,000 students, population 256: one process 54.2 students/s, pool 36.1/s (ratio 0.67); population 512: 89.2 vs
24.3/s (0.27); 10,000 students, population 256: 41.3 vs 24.5/s (0.59; 408 s, was 578 s). Per CPU second the pool's
workers train 94.6-95.8 students, one process 107.6-114.2 (the pool's own cost: ~12-16%); the workers start in
10.5-14.2 s; the rest is the cores: both workers together got 0.27-0.48 of a core, no more than one process alone.
Ray: 4.5 ms overhead per task.
"""
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kdviz.experiments import grid  # noqa: E402

QUICK, BIG = "--quick" in sys.argv, "--big" in sys.argv
WORKERS = 2
TS, ALPHAS = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0), (0.0, 0.1, 0.3, 0.5, 0.9)


def digits_grid(seeds: int) -> grid.Grid:
    """10 T x 5 alpha x ``seeds`` KD students on digits, 200 steps each."""
    return grid.Grid(dataset="digits", T=TS, alpha=ALPHAS, method=("kd",), seeds=tuple(range(seeds)), steps=200)


SMALL = grid.Grid(dataset="digits", T=(4.0,), alpha=(0.1,), method=("kd",), seeds=tuple(range(16)), steps=20)


def population_sizes(sizes=(32, 64, 128, 256, 512, 1024)) -> list[dict]:
    """Students per CPU second and per wall second of one population, by its size (one process, one thread)."""
    cells = [c.__dict__ for c in digits_grid(21).cells()]
    grid.train_cells(cells[:2])  # imports and the teacher
    out = []
    for p in sizes[:3] if QUICK else sizes:
        r = grid.train_cells(cells[:p])[0]
        out.append({"population": p, "students_per_cpu_s": round(p / r["task_cpu_seconds"], 1),
                    "students_per_s": round(p / r["task_seconds"], 1)})
    return out


def pool_against_one_process(g: grid.Grid, population: int) -> dict:
    """The same tasks in this process, one after another, then on a pool of WORKERS workers."""
    from kdviz.jobs import JobPool

    work = grid.tasks(g.cells(), population, WORKERS)
    t0 = time.perf_counter()
    teachers = grid.shared_teachers(work)
    teacher_s = time.perf_counter() - t0
    t0, cpu = time.perf_counter(), 0.0
    for cells in work:
        cpu += grid.train_cells([c.__dict__ for c in cells], None, teachers[grid.teacher_key(cells[0])])[0][
            "task_cpu_seconds"]
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    pool = JobPool(WORKERS, nice=0)
    pool.wait_ready()
    start_s = time.perf_counter() - t0
    pool.shutdown()
    with tempfile.TemporaryDirectory() as d:
        res = grid.sweep(g, Path(d) / "pool.csv", "local", population=population, workers=WORKERS)
        import csv

        with open(Path(d) / "pool.csv") as f:
            rows = list(csv.DictReader(f))
    tasks = {(r["task_seconds"], r["task_cpu_seconds"]) for r in rows}
    n = len(g.cells())
    pool_cpu = sum(float(c) for _, c in tasks)
    return {"students": n, "population": population, "tasks": len(work), "workers": WORKERS,
            "one_process": {"seconds": round(one, 2), "students_per_s": round(n / one, 1),
                            "students_per_cpu_s": round(n / cpu, 1), "teacher_s": round(teacher_s, 2)},
            "pool": {"seconds": res["seconds"], "students_per_s": res["students_per_second"],
                     "students_per_cpu_s": round(n / pool_cpu, 1), "start_s": round(start_s, 2),
                     "task_wall_s": round(sum(float(w) for w, _ in tasks), 2), "task_cpu_s": round(pool_cpu, 2)},
            "ratio_pool_to_one_process": round(res["students_per_second"] / (n / one), 2)}


def overhead() -> dict:
    """Per-task seconds of 16 one-student tasks in-process vs on a local Ray with 2 CPUs."""
    import ray

    cells = grid.tasks(SMALL.cells(), 1)
    grid.train_cells([c.__dict__ for c in cells[0]])  # warm the teacher cache and imports
    t0 = time.perf_counter()
    for task in cells:
        grid.train_cells([c.__dict__ for c in task])
    inproc = (time.perf_counter() - t0) / len(cells)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        with tempfile.TemporaryDirectory() as d:
            grid.sweep(SMALL, Path(d) / "warm.csv", "ray", population=1)  # workers start
            t0 = time.perf_counter()
            grid.sweep(SMALL, Path(d) / "ray.csv", "ray", population=1)
            wall = time.perf_counter() - t0
    finally:
        ray.shutdown()
    return {"tasks": len(cells), "in_process_s_per_task": round(inproc, 4),
            "ray_wall_s_per_task_2cpu": round(wall / len(cells), 4),
            "ray_overhead_s_per_task": round(wall * 2 / len(cells) - inproc, 4)}


if __name__ == "__main__":
    out = {"population_sizes": population_sizes()}
    print(json.dumps(out), flush=True)
    for population in (256, 512):
        out[f"pool_vs_one_process_{population}"] = pool_against_one_process(digits_grid(4 if QUICK else 40), population)
        print(json.dumps(out[f"pool_vs_one_process_{population}"]), flush=True)
    if BIG:
        with tempfile.TemporaryDirectory() as d:
            out["grid_local_10000"] = grid.sweep(digits_grid(200), Path(d) / "big.csv", "local", workers=WORKERS)
    if not QUICK:
        out["ray"] = overhead()
    print(json.dumps(out), flush=True)
