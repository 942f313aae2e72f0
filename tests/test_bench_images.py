"""bench/bench_images.py and bench/gpu.sh: the FLOP count the rates divide by, and the GPU script's Python part
run tiny on the CPU (so a lent GPU's one short run does not fail on a mistake a CPU could have caught)."""
import json
import subprocess
import sys
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from kdviz.data.registry import Dataset
from kdviz.train import MemberConfig, PopulationRun

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import bench_images  # noqa: E402  (bench/ is not a package)

MATMULS = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm"}


def test_the_flop_count_equals_the_profilers_count_of_an_engine_step():
    """step_flops (2 m k n per GEMM the step needs) against torch.profiler's count of the matmuls one optimiser
    step of the engine runs, at sizes where some products are batched and some run per member."""
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(600, 64, generator=g), torch.randint(0, 3, (600,), generator=g)
    ds = Dataset("synthetic", x, y, x[:50], y[:50], ["a", "b", "c"])
    run = PopulationRun(ds, None, [384, 320], [MemberConfig("baseline", seed=i) for i in range(2)], batch_size=128,
                        record_every=10 ** 9).step(1, record=False)
    with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
        run.step(1, record=False)
    counted = sum(e.flops for e in prof.events() if e.name in MATMULS)
    assert counted == bench_images.step_flops(2, (64, 384, 320, 3), 128) > 0


def test_step_without_record_leaves_the_record_to_the_next_call():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(200, 4, generator=g), torch.randint(0, 2, (200,), generator=g)
    run = PopulationRun(Dataset("s", x, y, x[:20], y[:20], ["a", "b"]), None, [8], [MemberConfig("baseline")],
                        record_every=10 ** 9)
    run.step(3, record=False)
    assert run.history["step"].tolist() == [0] and run.t == 3
    run.step(1)
    assert run.history["step"].tolist() == [0, 4]


def test_gpu_script_runs_tiny_on_the_cpu():
    listing = (lambda: {p for p in (ROOT / "bench").iterdir() if p.name != "__pycache__"})
    before = listing()
    done = subprocess.run(["bash", "bench/gpu.sh", "--tiny", sys.executable], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    runs = out["images"]["runs"]["synthetic"]
    for part in ("teacher", "student_alone", "student_kd_T20"):
        r = runs[part]
        assert r["s_per_epoch"] > 0 and 0 <= r["test_errors"] <= r["test_images"] and r["steps"] >= 1, (part, r)
    assert runs["teacher"]["hidden"] == list(bench_images.TINY_SIZES["teacher"])
    assert {"tests", "engine", "paradigms"} <= set(out)
    assert listing() == before  # no log written into the repository
