"""The GPU path without a GPU: every tensor a run makes is made on the run's device (or, by design, on the CPU
and then moved), never on torch's default device.

The guard: torch.set_default_device("meta") while the run's device is given explicitly as "cpu". A tensor
created without ``device=`` then lands on the meta device, which holds no data: the first operation mixing it
with the run's CPU tensors, copying it out (.to, .item, .numpy) or running an operator with no meta kernel
fails loudly, naming the line. On a CUDA machine the same tensor would sit on the CPU beside CUDA tensors,
the mistake this guard stands in for. (Chosen over a TorchFunctionMode that refuses factory calls without
``device=``: meta is what torch itself offers, covers every factory torch routes through the default
device, and fails only where a tensor really ends up used.) Each case runs at its smallest settings.
"""
from __future__ import annotations

import contextlib
import dataclasses

import pytest
import torch

from kdviz.data import make_dataset
from kdviz.experiments import beyond, claims, compare, grid, live, market, which_teacher
from kdviz.experiments import dark_knowledge as D
from kdviz.experiments.protocol import last
from kdviz.paradigms import NOTES
from kdviz.train import MemberConfig, PopulationRun, TeacherConfig, clear_teacher_cache, train_teacher

DEVICE = "cpu"  # the run's device, always given explicitly under the guard


@contextlib.contextmanager
def tensors_without_a_device_fail():
    """Tensors created without ``device=`` land on the meta device (no data) until the block ends."""
    torch.set_default_device("meta")
    try:
        yield
    finally:
        torch.set_default_device(None)


@pytest.fixture(scope="module")
def blobs():
    # data sets are made on the CPU by design (and moved by the run); the toy generator names its device
    return make_dataset("blobs", n=120, seed=0)


def test_the_guard_fails_loudly_on_a_tensor_made_on_the_default_device():
    with tensors_without_a_device_fail():
        with pytest.raises((RuntimeError, NotImplementedError)):
            torch.zeros(3).cpu()  # what a missing device= comes to
        assert torch.zeros(3, device=DEVICE).sum().item() == 0.0
    assert torch.zeros(1).device.type == "cpu"  # the default is restored


def test_a_teacher_trains_on_the_given_device(blobs):
    clear_teacher_cache()  # trained here, not fetched from a run outside the guard
    with tensors_without_a_device_fail():
        teacher = train_teacher(blobs, TeacherConfig(hidden=(8,), steps=20, seed=3), DEVICE)
        with torch.no_grad():
            assert teacher(blobs.x_test).device.type == DEVICE
    assert teacher.info["best_step"] is not None


def test_a_population_of_every_paradigm_trains_on_the_given_device(blobs):
    teacher = train_teacher(blobs, TeacherConfig(hidden=(8,), steps=20, seed=0, early_stopping=False), DEVICE)
    small = train_teacher(blobs, TeacherConfig(hidden=(4,), steps=20, seed=1, early_stopping=False), DEVICE)
    members = [MemberConfig(m, seed=s) for m in NOTES for s in (0, 1)]  # two each: mutual learning needs a peer
    g = torch.Generator().manual_seed(5)  # born_again's previous generation: a seeded table, made before the guard
    targets = {i: torch.randn(len(blobs.y_train), blobs.n_classes, generator=g) for i, m in enumerate(members)
               if m.method == "born_again"}
    with tensors_without_a_device_fail():
        run = PopulationRun(blobs, teacher, (6,), members, teachers=[teacher, small], targets=targets, batch_size=8,
                            device=DEVICE, record_every=5).step(6)
        snap = run.snapshot(weights=True)
    assert snap.status == ["ok"] * len(members) and run.history["test_acc"].shape == (len(members), 3)


EXPERIMENTS = {
    "live": lambda: live.run(live.LiveConfig(steps=10, seeds=1, n=200), device=DEVICE),
    "compare": lambda: compare.run(compare.CompareConfig(methods=",".join(m for m in NOTES if m != "baseline"),
                                                         steps=10, seeds=2), device=DEVICE),  # mutual: 2 seeds
    "beyond": lambda: beyond.run(beyond.BeyondConfig(steps=10, seeds=2, generations=1), device=DEVICE),
    "dark_knowledge": lambda: D.page.run(D.DarkConfig(steps=10, seeds=1, sweep_steps=10, sweep_seeds=1), device=DEVICE),
    **{f"which_teacher {p}": (lambda p=p: which_teacher.run(
        which_teacher.WhichTeacherConfig(part=p, teacher_steps=200, steps=10, seeds=1), device=DEVICE))
       for p in which_teacher.PARTS},
    **{f"claims {c}": (lambda c=c: claims.run(claims.ClaimsConfig(claim=c, steps=10, seeds=1), device=DEVICE))
       for c in claims.CLAIMS},
    "market": lambda: market.run(market.MarketConfig(days=600, steps=10, seeds=1, members=2), device=DEVICE),
}


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_each_experiment_runs_on_the_given_device(name):
    with tensors_without_a_device_fail():
        final = last(EXPERIMENTS[name]())
    assert final is not None


def test_a_grid_task_trains_its_cells_on_the_given_device():
    g = grid.Grid(dataset="blobs", T=(4.0,), alpha=(0.1,), method=("kd", "baseline"), teacher=("8",), student=("4",),
                  seeds=(0,), steps=10, omit=3)
    (cells,) = grid.tasks(g.cells(), 2, 1)
    # the grid's task entry, as a worker runs it (the local pool's workers and Ray's run outside this process)
    with tensors_without_a_device_fail():
        rows = grid.train_cells([dataclasses.asdict(c) for c in cells], DEVICE)
    assert len(rows) == 2
