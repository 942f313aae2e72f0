"""Paused jobs beyond the per-owner limit park their runs' tensors on disk and continue bit for bit."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from kdviz.data import make_dataset
from kdviz.experiments import live
from kdviz.experiments.protocol import last
from kdviz.experiments.task import job as experiment_job
from kdviz.jobs import JobPool
from kdviz.jobs.parking import Parking, park, paused_limit, unpark
from kdviz.train import MemberConfig, PopulationRun, TeacherConfig, train_teacher
from test_jobs import wait_for  # noqa: E402  (tests/ is on the path)


@pytest.fixture(scope="module")
def setup():
    ds = make_dataset("blobs", n=300, noise=0.0, seed=0, classes=3)
    return ds, train_teacher(ds, TeacherConfig(hidden=(32,), steps=150, early_stopping=False))


def population(ds, teacher):
    members = [MemberConfig("kd", T=4.0, alpha=0.1, lr=0.01, seed=s) for s in range(3)] + \
              [MemberConfig("baseline", lr=0.01, seed=s) for s in range(3)]
    return PopulationRun(ds, teacher, [16], members, record_every=10)


def test_a_parked_run_holds_no_memory_and_continues_bit_for_bit(setup, tmp_path):
    ds, teacher = setup
    alone = population(ds, teacher).step(60)
    run = population(ds, teacher).step(30)
    held = sum(t.untyped_storage().nbytes() for t in run.own_tensors().values())
    path = park([run], tmp_path)
    assert path.exists() and path.stat().st_size >= held
    assert all(t.untyped_storage().nbytes() == 0 for t in run.own_tensors().values())
    unpark([run], path)
    assert not path.exists()
    run.step(30)
    for name, tensor in alone.own_tensors().items():
        assert torch.equal(run.own_tensors()[name], tensor), name
    for key, values in alone.history.items():
        np.testing.assert_array_equal(np.asarray(run.history[key]), np.asarray(values), err_msg=key)


def test_only_pauses_beyond_the_owners_limit_park(setup, tmp_path):
    ds, teacher = setup
    runs = {name: population(ds, teacher).step(10) for name in "abc"}
    parking = Parking(limit=1, folder=tmp_path)
    assert parking.pause("a", "owner-1", [runs["a"]]) is None  # the first paused job keeps its memory
    assert parking.pause("c", "owner-2", [runs["c"]]) is None  # so does another owner's
    path = parking.pause("b", "owner-1", [runs["b"]])
    assert path is not None and parking.parked == 1
    assert runs["b"].own_tensors()["weights"].untyped_storage().nbytes() == 0
    parking.resume("b", "owner-1", [runs["b"]], path)
    assert parking.parked == 0 and not path.exists()
    assert runs["b"].own_tensors()["weights"].untyped_storage().nbytes() > 0
    parking.resume("a", "owner-1", [runs["a"]], None)
    assert parking.pause("b", "owner-1", [runs["b"]]) is None  # a's place is free again


def test_the_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("KDVIZ_PAUSED_IN_MEMORY", "3")
    assert paused_limit() == 3
    monkeypatch.setenv("KDVIZ_PAUSED_IN_MEMORY", "some")
    with pytest.raises(ValueError, match="KDVIZ_PAUSED_IN_MEMORY must be a whole number >= 0, got 'some'"):
        paused_limit()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["thread", "process"])
def test_a_paused_live_job_parks_on_disk_and_resumes_to_the_same_result(backend, tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_PAUSED_IN_MEMORY", "0")  # every pause parks
    monkeypatch.setenv("KDVIZ_CHECKPOINT_DIR", str(tmp_path))
    cfg = live.LiveConfig(n=400, steps=2000, seeds=1, teacher="32", student="16")
    expected = last(live.run(cfg, device="cpu"))
    pool = JobPool(workers=1, backend=backend, emit_interval=0.0)
    try:
        assert pool.wait_ready(60)
        job = pool.submit(experiment_job("live", cfg, device="cpu"), owner="me")
        wait_for(lambda: isinstance(job.snapshot(), live.LiveSnapshot), timeout=60, what="the students' first snapshot")
        job.pause()
        wait_for(lambda: job.state == "paused", timeout=60, what="the pause")
        wait_for(lambda: list(tmp_path.glob("*.safetensors")), timeout=60, what="the parked file")
        job.resume()
        assert job.wait(120) and job.state == "done", job.error
        assert not list(tmp_path.glob("*.safetensors"))  # reloaded, then deleted
        got = job.snapshot()
        assert got.run.step == expected.run.step == cfg.steps
        for metric, values in expected.final.items():
            np.testing.assert_array_equal(np.asarray(got.final[metric]), np.asarray(values), err_msg=metric)

        stopped = pool.submit(experiment_job("live", dataclasses.replace(cfg, seed=1), device="cpu"), owner="me")
        wait_for(lambda: isinstance(stopped.snapshot(), live.LiveSnapshot), timeout=60, what="the second job's students")
        stopped.pause()
        wait_for(lambda: list(tmp_path.glob("*.safetensors")), timeout=60, what="the second parked file")
        stopped.stop()
        assert stopped.wait(60) and stopped.state == "stopped"
        wait_for(lambda: not list(tmp_path.glob("*.safetensors")), timeout=60, what="the stopped job's file to go")
    finally:
        pool.shutdown()
