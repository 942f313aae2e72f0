"""Grid sweeps: students per second of a big local grid on digits, and Ray's overhead per task. Prints JSON.

python bench/bench_grid.py [--quick]: the full run trains 10,000 students (10 T x 5 alpha x 200 seeds);
the overhead part runs the same small tasks in-process and as Ray tasks and reports the difference per task.
"""
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kdviz.experiments import grid  # noqa: E402

QUICK = "--quick" in sys.argv
BIG = grid.Grid(dataset="digits", T=(1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0), alpha=(0.0, 0.1, 0.3, 0.5, 0.9),
                method=("kd",), seeds=tuple(range(4 if QUICK else 200)), steps=200)
SMALL = grid.Grid(dataset="digits", T=(4.0,), alpha=(0.1,), method=("kd",), seeds=tuple(range(16)), steps=20)


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
            grid.sweep(SMALL, Path(d) / "warm.csv", "ray", population=1)  # workers start, teachers cached per worker
            t0 = time.perf_counter()
            grid.sweep(SMALL, Path(d) / "ray.csv", "ray", population=1)
            wall = time.perf_counter() - t0
    finally:
        ray.shutdown()
    return {"tasks": len(cells), "in_process_s_per_task": round(inproc, 4),
            "ray_wall_s_per_task_2cpu": round(wall / len(cells), 4),
            "ray_overhead_s_per_task": round(wall * 2 / len(cells) - inproc, 4)}


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as d:
        big = grid.sweep(BIG, Path(d) / "big.csv", "local", population=500, workers=2)
    print(json.dumps({"grid_local": big, "ray": overhead()}), flush=True)
