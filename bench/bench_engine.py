"""Benchmark the training engine; prints JSON. Every figure is a ratio measured in the same run.

(a) One KD student on moons (2000 points; teacher 2-128-128-2, student 2-16-2, batch 64, 500 steps):
    kdviz.train.PopulationRun (K=1, history recorded every 50 steps) against a loop written the
    way the PyTorch KD tutorial does (DataLoader over a TensorDataset, teacher forward per batch,
    F.kl_div, torch.optim.Adam). Target: >= 3x faster.
(b) A population of K students (a temperature x alpha grid) against K sequential single-student
    engine runs. The sequential time is extrapolated from a few timed single runs (stated in the
    JSON). Target: >= 50x at K = 128.
Timings are process CPU time (robust to other processes on a shared machine) and wall time;
each is the median of ``--repeats`` interleaved repeats. Runs with torch.set_num_threads(1).

Usage: python bench/bench_engine.py [--device cpu|cuda] [--quick] [--repeats N]
"""
from __future__ import annotations

import _root  # noqa: F401  (the repository root on sys.path)

import argparse
import itertools
import json
import os
import platform
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from kdviz.data import make_dataset
from kdviz.device import resolve_device
from kdviz.models import MLP
from kdviz.train import MemberConfig, PopulationRun, TeacherConfig, train_teacher

T, ALPHA, LR = 4.0, 0.1, 1e-2


def sync(device: torch.device) -> None:
    """Wait for queued device work so the clock measures it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device) -> tuple[float, float]:
    """(process CPU seconds, wall seconds) of fn()."""
    sync(device)
    c, w = time.process_time(), time.perf_counter()
    fn()
    sync(device)
    return time.process_time() - c, time.perf_counter() - w


def median(values) -> float:
    """The median of a list of numbers (the mean of the middle two for an even count)."""
    v = sorted(values)
    return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2


def median_of(fns: dict, repeats: int, device) -> dict:
    """Run each named fn ``repeats`` times, interleaved; the median CPU and wall time of each (robust on a
    machine shared with other jobs: one lucky or unlucky repeat does not decide a ratio)."""
    out = {name: ([], []) for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            c, w = timed(fn, device)
            out[name][0].append(c)
            out[name][1].append(w)
    return {name: {"cpu_s": round(median(c), 4), "wall_s": round(median(w), 4)} for name, (c, w) in out.items()}


def tutorial_loop(ds, teacher: MLP, steps: int, device) -> MLP:
    """KD written as in the PyTorch tutorial: DataLoader, teacher forward per batch, F.kl_div, Adam."""
    student = MLP([2, 16, 2], seed=0).to(device)
    loader = DataLoader(TensorDataset(ds.x_train, ds.y_train), batch_size=64, shuffle=True)
    opt = torch.optim.Adam(student.parameters(), lr=LR)
    ce = torch.nn.CrossEntropyLoss()
    teacher.eval()
    student.train()
    step = 0
    while step < steps:
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            with torch.no_grad():
                teacher_logits = teacher(inputs)
            student_logits = student(inputs)
            soft = F.kl_div(F.log_softmax(student_logits / T, -1), F.softmax(teacher_logits / T, -1),
                            reduction="batchmean") * T * T
            loss = ALPHA * ce(student_logits, labels) + (1 - ALPHA) * soft
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step == steps:
                break
    return student


def engine_run(ds, teacher, members, steps: int, device) -> PopulationRun:
    """A PopulationRun built and trained for ``steps`` steps (construction included in the time)."""
    return PopulationRun(ds, teacher, [16], members, batch_size=64, device=device, record_every=50).step(steps)


def grid(k: int) -> list[MemberConfig]:
    """k KD students over a temperature x alpha grid (seeds 0..k-1)."""
    temps = [1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0]
    alphas = [0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0, 0.05, 0.15, 0.25, 0.4, 0.6, 0.8, 0.95, 0.35]
    pairs = list(itertools.product(temps, alphas))
    return [MemberConfig("kd", T=pairs[i % len(pairs)][0], alpha=pairs[i % len(pairs)][1], lr=LR, seed=i)
            for i in range(k)]


def machine(device) -> dict:
    """What the figures were measured on: device, processor, cores, torch threads and version."""
    return {"device": str(device), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "cpu_count": os.cpu_count(), "machine": platform.processor() or platform.machine(),
            "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None}


def engine_figures(device, sizes, steps: int, repeats: int, n_seq: int) -> dict:
    """(a) one KD student against the tutorial loop; (b) populations of ``sizes`` against sequential runs."""
    ds = make_dataset("moons", n=2000, noise=0.2, seed=0)
    t0 = time.perf_counter()
    teacher = train_teacher(ds, TeacherConfig(hidden=(128, 128), steps=1000, early_stopping=False), device=device)
    teacher_s = time.perf_counter() - t0
    dsd = ds.to(device)
    one = [MemberConfig("kd", T=T, alpha=ALPHA, lr=LR, seed=0)]

    single = median_of({"engine": lambda: engine_run(ds, teacher, one, steps, device),
                      "tutorial_loop": lambda: tutorial_loop(dsd, teacher, steps, device)}, repeats, device)
    speed = {k: round(single["tutorial_loop"][k] / single["engine"][k], 2) for k in ("cpu_s", "wall_s")}

    seq = median_of({f"single_{i}": (lambda i=i: engine_run(ds, teacher, [MemberConfig("kd", T=T, alpha=ALPHA, lr=LR,
                                                                                      seed=i)], steps, device))
                   for i in range(n_seq)}, max(1, repeats // 2), device)
    per_student = {k: sum(v[k] for v in seq.values()) / n_seq for k in ("cpu_s", "wall_s")}
    population = []
    for k in sizes:
        members = grid(k)
        t = median_of({"population": lambda: engine_run(ds, teacher, members, steps, device)}, repeats, device)["population"]
        population.append({
            "K": k, "population_cpu_s": t["cpu_s"], "population_wall_s": t["wall_s"],
            "students_per_s_wall": round(k / t["wall_s"], 1),
            "sequential_wall_s_extrapolated": round(k * per_student["wall_s"], 3),
            "speedup_cpu": round(k * per_student["cpu_s"] / t["cpu_s"], 1),
            "speedup_wall": round(k * per_student["wall_s"] / t["wall_s"], 1),
            "speedup_vs_tutorial_loops_wall": round(k * single["tutorial_loop"]["wall_s"] / t["wall_s"], 1),
        })
    return {
        "steps": steps, "repeats": repeats,
        "timing": "median of interleaved repeats, process CPU time and wall time; runs include construction and "
                  "history records every 50 steps",
        "teacher_training_s": round(teacher_s, 2),
        "single_student": {**single, "speedup": speed, "target": ">= 3x"},
        "population": population,
        "sequential_note": f"sequential time = K x the mean of {n_seq} timed single-student engine runs "
                           "(seeds 0..{}), extrapolated, not run K times".format(n_seq - 1),
        "population_target": ">= 50x at K = 128 (speedup_* columns), >= 200x against K tutorial loops "
                             "(speedup_vs_tutorial_loops_wall)",
        "target_at_128": _target(population),
    }


def _target(population: list[dict]) -> dict | None:
    """The K = 128 ratios against their targets (None when K = 128 was not measured)."""
    row = next((r for r in population if r["K"] == 128), None)
    if row is None:
        return None
    return {"speedup_cpu": row["speedup_cpu"], "speedup_wall": row["speedup_wall"],
            "met_50x_cpu": row["speedup_cpu"] >= 50, "vs_tutorial_loops_wall": row["speedup_vs_tutorial_loops_wall"],
            "met_200x_tutorial": row["speedup_vs_tutorial_loops_wall"] >= 200}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true", help="fewer steps, repeats and population sizes")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--sizes", default=None, help="population sizes, comma separated (default 1,8,32,128)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    device = resolve_device(args.device)
    steps = 100 if args.quick else 500
    repeats = args.repeats or (2 if args.quick else 5)
    sizes = ([int(k) for k in args.sizes.split(",")] if args.sizes else [1, 8, 128] if args.quick else [1, 8, 32, 128])
    n_seq = 2 if args.quick else 4  # single runs actually timed for the sequential extrapolation
    print(json.dumps({**machine(device), **engine_figures(device, sizes, steps, repeats, n_seq)}, indent=2))


if __name__ == "__main__":
    main()
