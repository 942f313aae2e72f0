"""Time the Dark knowledge page's default T x alpha sweep (6 x 4 x 3 seeds, small and tiny students).

Prints JSON: teacher seconds (trained once, cached after), sweep seconds, members, threads, the
best temperature per student. Run: OMP_NUM_THREADS=1 python bench/bench_sweep.py [threads]
"""
import json
import sys
import time

import torch

from kdviz.lessons import sweep as W
from kdviz.lessons.digits_teachers import digits_data, teacher_for


def main(threads: int = 1) -> dict:
    """Train the teacher, then time the default sweep once (the cache is cleared first)."""
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    teacher_for(digits_data(0))
    t1 = time.perf_counter()
    W._CACHE.clear()
    cfg = W.SweepConfig()
    r = W.run_sweep(cfg)
    t2 = time.perf_counter()
    return {"threads": threads, "teacher_s": round(t1 - t0, 2), "sweep_s": round(t2 - t1, 2),
            "members_per_student": len(W.members(cfg)), "students": list(W.STUDENTS), "steps": cfg.steps,
            "best_T_at_alpha_0.1": {n: W.best_temperature(r, n, 0.1) for n in W.STUDENTS}}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1), indent=1))
