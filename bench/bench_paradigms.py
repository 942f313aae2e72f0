"""Benchmark: 6 methods x 5 seeds on moons as one population (Compare paradigms' engine); prints JSON.

Run: OMP_NUM_THREADS=1 python bench/bench_paradigms.py [--quick]
"""
import _root  # noqa: F401  (the repository root on sys.path)

import argparse
import dataclasses
import json
import time

import torch

from kdviz.experiments import compare
from kdviz.experiments.protocol import last


def main(quick: bool = False) -> None:
    """Train baseline + 6 methods x 5 seeds on moons (no omitted class), report accuracies and times."""
    torch.set_num_threads(1)
    cfg = compare.CompareConfig(dataset="moons", methods="kd,dkd,fitnet,rkd,mutual,ema", omit=-1,
                                steps=50 if quick else 1000, seeds=2 if quick else 5)
    t0 = time.perf_counter()
    snap = last(compare.run(cfg))
    total = time.perf_counter() - t0
    rows = compare.summarise(snap, cfg.omit)
    print(json.dumps({"config": dataclasses.asdict(cfg), "total_s": round(total, 2),
                      "setup_s": round(snap.scene.setup_s, 2), "train_s": round(snap.train_s, 2),
                      "teacher_acc": snap.scene.teacher_test_acc, "results": compare.table(rows)}, indent=1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 steps, 2 seeds (smoke test)")
    main(parser.parse_args().quick)
