"""Time the Dark knowledge page's default T x alpha sweep (6 x 4 x 3 seeds, small and tiny students).

Prints JSON: teacher seconds (trained once, cached after), sweep seconds, members, threads, the
best temperature per student. Run: OMP_NUM_THREADS=1 python bench/bench_sweep.py [--threads N] [--quick]
"""
import _root  # noqa: F401  (the repository root on sys.path)

import argparse
import json
import time

import torch

from kdviz.experiments.dark_knowledge import sweep
from kdviz.experiments.dark_knowledge.teachers import digits_data, teacher_for


def main(threads: int = 1, quick: bool = False) -> dict:
    """Train the teacher, then time the default sweep once (the cache is cleared first); quick: 2 T x 2 alpha."""
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    teacher_for(digits_data(0))
    t1 = time.perf_counter()
    sweep._CACHE.clear()
    cfg = sweep.SweepConfig(temperatures=(1.0, 4.0), alphas=(0.1, 1.0), seeds=1, steps=50) if quick else sweep.SweepConfig()
    result = sweep.run_sweep(cfg)
    t2 = time.perf_counter()
    return {"threads": threads, "teacher_s": round(t1 - t0, 2), "sweep_s": round(t2 - t1, 2),
            "members_per_student": len(sweep.members(cfg)), "students": list(sweep.STUDENTS), "steps": cfg.steps,
            "best_T_at_alpha_0.1": {n: sweep.best_temperature(result, n, 0.1) for n in sweep.STUDENTS}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="a tiny grid (smoke test)")
    args = parser.parse_args()
    print(json.dumps(main(args.threads, args.quick), indent=1))
