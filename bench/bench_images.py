"""Benchmark the engine at real-image sizes against the hardware's matmul rate; prints JSON.

Students 784-800-800-10 (ReLU), batch 128, one thread. At these sizes a step's time is its GEMMs,
so every rate is GFLOP/s of those GEMMs: per layer of widths (in, out) and per member, the forward
product and the weight gradient (2 * B * in * out FLOPs each), and the input gradient for every
layer but the first (nobody needs d loss / d x: neither the engine nor autograd computes it).
Measured, interleaved, in one run (median of ``--repeats``):
(a) matmul: torch.mm on exactly those GEMM shapes with K members' own operands (the engine's
    memory footprint), and torch.bmm on the same operands stacked; the faster is the reference;
(b) the engine (kdviz.train.PopulationRun's optimiser step, K students) at K = 1, 4, 16;
(c) a plain loop: nn.Sequential + torch.optim.Adam with autograd, one student, on the same data.
Each engine rate is given as a fraction of (a) at its K, and at K = 1 as a ratio to (c). One row
trains plain labels ("baseline"), a second Hinton's KD at T = 20 (teacher logits precomputed for
both the engine and the loop). The data are synthetic 784-feature inputs of the image sets' shape
(the rates depend on shapes only), or Fashion-MNIST with --real.
Targets: engine >= 70% of the matmul rate at every K, and >= the plain loop at K = 1.

With --runs (what bench/gpu.sh runs on a CUDA device): the real-image experiments at full size instead,
on Fashion-MNIST and on MNIST where it is on the machine: a 784-1200-1200-10 teacher, then 784-800-800-10
students alone and distilled at T = 20, each trained for --epochs epochs; seconds per epoch (wall, and
the process's CPU seconds, steadier on a shared CPU; history records included, one per epoch) and test
errors. --tiny makes them tiny, on synthetic data of the same width, so that a test checks this entry
on any CPU.

Usage: OMP_NUM_THREADS=1 python bench/bench_images.py [--quick] [--repeats N] [--real] [--sizes 1,4,16]
       python bench/bench_images.py --runs [--device cuda] [--epochs 3] [--tiny]
"""
from __future__ import annotations

import _root  # noqa: F401  (the repository root on sys.path)

import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from bench_engine import machine, median, sync
from kdviz.data.registry import Dataset
from kdviz.device import resolve_device
from kdviz.train import MemberConfig, PopulationRun, TeacherOutputs

SIZES = (784, 800, 800, 10)
BATCH, T, ALPHA, LR = 128, 20.0, 0.5, 1e-3
ROWS = {"plain_labels": "baseline", "kd_T20": "kd"}
TARGET_FRACTION = 0.70


def gemm_shapes(sizes=SIZES, batch: int = BATCH) -> list[tuple[int, int, int]]:
    """The (m, k, n) of every GEMM one member's step needs, feature-major: forward W (out, in) @ x (in, B),
    weight gradient g (out, B) @ x^T (B, in), and input gradient W^T (in, out) @ g (out, B) past the first layer."""
    out = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        out += [(b, a, batch), (b, batch, a)] + ([(a, b, batch)] if i > 0 else [])
    return out


def step_flops(k: int, sizes=SIZES, batch: int = BATCH) -> int:
    """FLOPs of one optimiser step of K members: 2 m k n per GEMM of gemm_shapes."""
    return k * sum(2 * m * kk * n for m, kk, n in gemm_shapes(sizes, batch))


def synthetic(n: int, seed: int = 0) -> tuple[Dataset, TeacherOutputs]:
    """Inputs of the image sets' shape (n, 784), 10 classes, and teacher logits for them (random, fixed by seed)."""
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(n, SIZES[0], generator=g), torch.randint(0, SIZES[-1], (n,), generator=g)
    nt = min(n, 1000)
    ds = Dataset("synthetic-784", x, y, x[:nt], y[:nt], [str(c) for c in range(SIZES[-1])])
    v = 3 * torch.randn(n, SIZES[-1], generator=g)  # (N, C)
    return ds, TeacherOutputs(v, v[:nt])


def real(seed: int = 0) -> tuple[Dataset, TeacherOutputs]:
    """Fashion-MNIST at full size with random teacher logits (the rates do not depend on the teacher's values)."""
    from kdviz.data import make_dataset

    ds = make_dataset("fashion_mnist", n=None, seed=seed)
    g = torch.Generator().manual_seed(seed)
    return ds, TeacherOutputs(3 * torch.randn(len(ds.y_train), SIZES[-1], generator=g),
                              3 * torch.randn(len(ds.y_test), SIZES[-1], generator=g))


class MatmulReference:
    """The step's GEMMs on K members' own operands, as torch.mm per member and as torch.bmm over the stack."""

    def __init__(self, k: int):
        g = torch.Generator().manual_seed(k)
        self.ops = [(torch.randn(k, m, kk, generator=g), torch.randn(k, kk, n, generator=g), torch.empty(k, m, n))
                    for m, kk, n in gemm_shapes()]  # per GEMM: A (K, m, k), B (K, k, n), C (K, m, n)

    def mm(self) -> None:
        """Every GEMM of the step with torch.mm, one member at a time, into preallocated outputs."""
        for a, b, c in self.ops:
            for i in range(a.shape[0]):
                torch.mm(a[i], b[i], out=c[i])

    def bmm(self) -> None:
        """Every GEMM of the step with one torch.bmm over the members, into preallocated outputs."""
        for a, b, c in self.ops:
            torch.bmm(a, b, out=c)


def engine(ds: Dataset, teacher: TeacherOutputs, method: str, k: int) -> PopulationRun:
    """A run of K students (seeds 0..K-1) at the benchmark's settings; records only at construction."""
    members = [MemberConfig(method, T=T, alpha=ALPHA, lr=LR, seed=i) for i in range(k)]
    return PopulationRun(ds, teacher if method == "kd" else None, SIZES[1:-1], members, batch_size=BATCH,
                         record_every=10 ** 9)


class PlainLoop:
    """One student as nn.Sequential with torch.optim.Adam and autograd, on the same data (batches by index_select)."""

    def __init__(self, ds: Dataset, teacher: TeacherOutputs, method: str):
        torch.manual_seed(0)
        layers = []
        for a, b in zip(SIZES[:-2], SIZES[1:-1]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.model = nn.Sequential(*layers, nn.Linear(SIZES[-2], SIZES[-1]))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.x, self.y, self.v, self.kd = ds.x_train, ds.y_train, teacher.train, method == "kd"
        self.gen = torch.Generator().manual_seed(0)

    def step(self) -> None:
        """One optimiser step on a random batch."""
        idx = torch.randint(0, len(self.y), (BATCH,), generator=self.gen)
        z = self.model(self.x.index_select(0, idx))
        loss = F.cross_entropy(z, self.y.index_select(0, idx))
        if self.kd:
            soft = F.kl_div(F.log_softmax(z / T, -1), F.log_softmax(self.v.index_select(0, idx) / T, -1),
                            reduction="batchmean", log_target=True)
            loss = ALPHA * loss + (1 - ALPHA) * T * T * soft
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()


def cpu_seconds(fn, calls: int) -> float:
    """Process CPU seconds per call of fn over ``calls`` calls (robust to other processes on a shared machine)."""
    c = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - c) / calls


def row(ds, teacher, method: str, sizes, repeats: int, steps: int) -> dict:
    """One method's rates: matmul (mm, bmm), the engine at each K and the plain loop, interleaved, medians."""
    refs = {k: MatmulReference(k) for k in sizes}
    runs = {k: engine(ds, teacher, method, k) for k in sizes}
    plain = PlainLoop(ds, teacher, method)
    calls = {k: max(2, steps // k) for k in sizes}  # about the same time per measure at every K
    timings = {name: [] for name in ["plain", *(f"{w}_{k}" for k in sizes for w in ("mm", "bmm", "engine"))]}
    for k in sizes:  # warm-up: first calls allocate
        refs[k].mm(), refs[k].bmm(), runs[k].step(1, record=False)
    plain.step()
    for _ in range(repeats):
        timings["plain"].append(cpu_seconds(plain.step, steps))
        for k in sizes:
            timings[f"mm_{k}"].append(cpu_seconds(refs[k].mm, calls[k]))
            timings[f"bmm_{k}"].append(cpu_seconds(refs[k].bmm, calls[k]))
            timings[f"engine_{k}"].append(cpu_seconds(lambda: runs[k].step(1, record=False), calls[k]))
    rate = (lambda name, k: step_flops(k) / median(timings[name]) / 1e9)
    plain_rate = rate("plain", 1)
    out = {"method": method, "plain_loop_gflops": round(plain_rate, 1), "K": []}
    for k in sizes:
        mm, bmm, eng = rate(f"mm_{k}", k), rate(f"bmm_{k}", k), rate(f"engine_{k}", k)
        ref = max(mm, bmm)
        out["K"].append({"K": k, "matmul_mm_gflops": round(mm, 1), "matmul_bmm_gflops": round(bmm, 1),
                         "engine_gflops": round(eng, 1), "fraction_of_matmul": round(eng / ref, 3),
                         "met_70pct": eng / ref >= TARGET_FRACTION,
                         "engine_ms_per_step": round(1e3 * median(timings[f"engine_{k}"]), 2)})
    first = next((r for r in out["K"] if r["K"] == 1), None)
    if first is not None:
        out["engine_over_plain_at_K1"] = round(first["engine_gflops"] / plain_rate, 3)
        out["met_plain_at_K1"] = first["engine_gflops"] >= plain_rate
    return out


def figures(sizes, repeats: int, steps: int, use_real: bool, n: int) -> dict:
    """Both rows (plain labels, KD at T = 20) with what was measured and how."""
    ds, teacher = real() if use_real else synthetic(n)
    return {
        "data": ds.name, "train_points": len(ds.y_train), "sizes": "-".join(map(str, SIZES)), "batch": BATCH,
        "flops": "2 m k n per GEMM: forward and weight gradient per layer, input gradient past the first layer",
        "timing": f"process CPU time, median of {repeats} interleaved repeats; matmul reference = the faster of "
                  "torch.mm per member and torch.bmm over the members, on K members' own operands",
        "step_gflop_per_member": round(step_flops(1) / 1e9, 4),
        "rows": {name: row(ds, teacher, method, sizes, repeats, steps) for name, method in ROWS.items()},
        "targets": f">= {TARGET_FRACTION:.0%} of the matmul rate at every K; >= the plain loop at K = 1",
    }


RUN_SIZES = {"teacher": (1200, 1200), "student": SIZES[1:-1]}  # hidden widths of the full-size runs
TINY_SIZES = {"teacher": (64, 64), "student": (32, 32)}


def timed_run(ds, teacher, hidden, member: MemberConfig, epochs: int, device) -> tuple[dict, PopulationRun]:
    """One student trained for ``epochs`` epochs on ``device``: its seconds per epoch and test errors, and the run."""
    steps = max(1, len(ds.y_train) // BATCH)  # optimiser steps per epoch
    run = PopulationRun(ds, teacher, hidden, [member], batch_size=BATCH, device=device, record_every=steps)
    sync(device)
    start, cpu = time.perf_counter(), time.process_time()
    run.step(steps * epochs)
    sync(device)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    acc = float(run.evaluate("test")["accuracy"][0])
    return {"s_per_epoch": round(seconds / epochs, 3), "cpu_s_per_epoch": round(cpu / epochs, 3),
            "test_errors": int(round((1 - acc) * len(ds.y_test))),
            "test_images": len(ds.y_test), "steps": steps * epochs}, run


def image_runs(name: str, epochs: int, device, tiny: bool) -> dict:
    """The teacher, the student alone and the student at T = 20 on image set ``name`` (synthetic when tiny)."""
    ds = synthetic(512)[0] if tiny else None
    if ds is None:
        from kdviz.data import make_dataset
        from kdviz.data.image_files import ImagesMissing

        try:
            ds = make_dataset(name, n=None, seed=0)
        except ImagesMissing as e:
            return {"skipped": str(e)}
    sizes = TINY_SIZES if tiny else RUN_SIZES
    teacher, run = timed_run(ds, None, sizes["teacher"], MemberConfig("baseline", lr=LR, seed=0), epochs, device)
    model = run.population.member(0).eval()
    alone = timed_run(ds, None, sizes["student"], MemberConfig("baseline", lr=LR, seed=1), epochs, device)[0]
    kd = timed_run(ds, model, sizes["student"], MemberConfig("kd", T=T, alpha=ALPHA, lr=LR, seed=1), epochs, device)[0]
    return {"data": ds.name, "train_images": len(ds.y_train), "epochs": epochs, "batch": BATCH, "lr": LR,
            "teacher": {"hidden": list(sizes["teacher"]), **teacher},
            "student_alone": {"hidden": list(sizes["student"]), **alone},
            "student_kd_T20": {"hidden": list(sizes["student"]), "alpha": ALPHA, **kd}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and steps")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--sizes", default="1,4,16", help="population sizes K, comma separated")
    parser.add_argument("--real", action="store_true", help="Fashion-MNIST's 55,000 training images (else synthetic)")
    parser.add_argument("--points", type=int, default=8192, help="synthetic training points")
    parser.add_argument("--runs", action="store_true", help="the full-size real-image runs instead (see above)")
    parser.add_argument("--device", default="cpu", help="device of the --runs (cpu or cuda)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of each --runs model")
    parser.add_argument("--tiny", action="store_true", help="--runs tiny, on synthetic data (a check, not a figure)")
    args = parser.parse_args()
    if args.runs:
        device = resolve_device(args.device)
        sets = ["synthetic"] if args.tiny else ["fashion_mnist", "mnist"]
        print(json.dumps({**machine(device), "runs": {n: image_runs(n, args.epochs, device, args.tiny) for n in sets}},
                         indent=2))
        return
    torch.set_num_threads(1)
    repeats = args.repeats or (3 if args.quick else 7)
    steps = 8 if args.quick else 24  # optimiser steps per measure at K = 1 (fewer at larger K)
    sizes = [int(k) for k in args.sizes.split(",")]
    print(json.dumps({**machine(torch.device("cpu")), **figures(sizes, repeats, steps, args.real, args.points)},
                     indent=2))


if __name__ == "__main__":
    main()
