"""Benchmark: 6 methods x 5 seeds on moons as one population (Compare paradigms' engine); prints JSON."""
import dataclasses
import json
import time

import torch

from kdviz.lessons import paradigms as P


class _Go:
    def proceed(self) -> bool:
        return True


def main() -> None:
    """Train baseline + 6 methods x 5 seeds on moons (no omitted class), report accuracies and times."""
    torch.set_num_threads(1)
    cfg = P.CompareConfig(dataset="moons", methods="kd,dkd,fitnet,rkd,mutual,ema", omit=-1, steps=1000, seeds=5)
    snaps = []
    t0 = time.perf_counter()
    P.train_compare(dataclasses.asdict(cfg), snaps.append, _Go())
    total = time.perf_counter() - t0
    last = snaps[-1]
    rows = P.summarise(last, cfg.omit)
    print(json.dumps({"config": dataclasses.asdict(cfg), "total_s": round(total, 2),
                      "setup_s": round(last["setup_s"], 2), "train_s": round(last["train_s"], 2),
                      "teacher_acc": last["teacher_test_acc"], "results": P.table(rows)}, indent=1))


if __name__ == "__main__":
    main()
