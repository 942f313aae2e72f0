"""Calibrate kdviz.experiments.budget: time Live runs of several sizes on one torch thread, fit the
two constants of the cost model (seconds per step, seconds per parameter x example x member) by least
relative error, print JSON.

Each run uses a fresh data seed, so the teacher cache never hides the teacher's cost.

    OMP_NUM_THREADS=1 python bench/bench_budget.py [--quick] [--experiments]
"""
from __future__ import annotations

import _root  # noqa: F401  (the repository root on sys.path)

import argparse
import dataclasses
import json
import time

import numpy as np
import torch

from kdviz.experiments import budget, experiment, live
from kdviz.paradigms import PARADIGMS

SIZES = [  # (steps, seeds, student, teacher, batch)
    (1000, 3, "32", "128, 128", 64),  # the page's defaults
    (400, 5, "256, 256", "128, 128", 128),
    (400, 1, "8", "32", 32),
    (300, 5, "512, 512", "256, 256", 256),
]


def timed_run(cfg: live.LiveConfig) -> float:
    """Wall seconds of one whole Live run, the way a worker drives it."""
    t0 = time.perf_counter()
    for _ in live.run(cfg, device="cpu"):
        pass
    return time.perf_counter() - t0


CHECKS = [  # (experiment, settings): other experiments' estimates against their measured time
    ("compare", {"methods": "kd", "seeds": 2, "steps": 500}),
    ("compare", {}),  # the page's defaults: six methods and the baseline, 3 seeds
    ("compare", {"methods": ",".join(PARADIGMS), "seeds": 5, "steps": 1000}),
    ("claims", {}), ("claims", {"claim": "temperature"}),
    ("which_teacher", {}), ("which_teacher", {"part": "early_stop"}),
]


def check_experiments() -> list[dict]:
    """Each CHECKS run's estimate and wall seconds (a fresh data seed each, so teachers train as estimated)."""
    out = []
    for i, (name, settings) in enumerate(CHECKS):
        exp = experiment(name)
        cfg = exp.config(**settings, seed=2000 + i)
        t0 = time.perf_counter()
        for _ in exp.run(cfg, device="cpu"):
            pass
        seconds = time.perf_counter() - t0
        estimate = budget.estimate(exp.name, cfg)
        out.append({"experiment": name, "settings": settings, "seconds": round(seconds, 2),
                    "estimate": round(estimate, 2), "measured_over_estimate": round(seconds / estimate, 2)})
    return out


def main() -> None:
    """Time each size, fit the model's two constants by least squares and report both with the fit's error."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the first two sizes only, fewer steps")
    parser.add_argument("--experiments", action="store_true",
                        help="instead: other experiments' estimates against their measured time")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.experiments:
        print(json.dumps(check_experiments(), indent=1))
        return
    sizes = [(s // 4, *rest) for s, *rest in SIZES[:2]] if args.quick else SIZES
    rows, seconds = [], []
    for i, (steps, seeds, student, teacher, batch) in enumerate(sizes):
        cfg = dataclasses.replace(live.LiveConfig(), steps=steps, seeds=seeds, student=student, teacher=teacher,
                                  batch=batch, seed=1000 + i)
        loops = budget.LOOPS["live"](cfg)
        rows.append([sum(loop.steps for loop in loops),
                     sum(loop.steps * loop.params * loop.batch * loop.members for loop in loops)])
        seconds.append(timed_run(cfg))
    a, y = np.array(rows, dtype=np.float64), np.array(seconds)
    (step_s, unit_s), *_ = np.linalg.lstsq(a / y[:, None], np.ones(len(y)), rcond=None)  # least relative error
    fitted = a @ np.array([step_s, unit_s])
    print(json.dumps({"step_seconds": float(step_s), "unit_seconds": float(unit_s),
                      "runs": [{"size": dict(zip(("steps", "seeds", "student", "teacher", "batch"), s)),
                                "seconds": round(t, 2), "fitted": round(f, 2),
                                "model_now": round(budget.estimate("live", dataclasses.replace(
                                    live.LiveConfig(), steps=s[0], seeds=s[1], student=s[2], teacher=s[3],
                                    batch=s[4])), 2)}
                               for s, t, f in zip(sizes, seconds, fitted)]}, indent=1))


if __name__ == "__main__":
    main()
