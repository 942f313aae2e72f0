"""Background jobs (kdviz/jobs.py) on both backends: lifecycle, pause/resume/stop, the pool bound,
errors, owners, copies, and determinism against calling the task directly."""
from __future__ import annotations

import os
import pickle
import queue
import time

import pytest

from kdviz.jobs import pool as jobs_module
from kdviz.jobs import WORKER_LOST, Control, JobPool, default_pool, demo_task, resolve_backend, resolve_workers

BACKENDS = ["thread", "process"]
LONG = 100_000  # chunks: a job that only ends when stopped


# ----------------------------------------------------------------------------- tasks (module-level: picklable)
def counting_task(config, emit, control):
    """Count chunks of ``sleep`` seconds; emit one growing history list (mutated after each emit)."""
    history = []
    chunks = config.get("chunks", 10)
    for i in range(chunks):
        if not control.proceed():
            return
        time.sleep(config.get("sleep", 0.002))
        if i == config.get("fail_at"):
            raise config.get("error", RuntimeError)("boom at chunk %d" % i)
        history.append(i)
        emit({"i": i + 1, "history": history, "progress": (i + 1) / chunks})


def probe_task(config, emit, control):
    """Report where the task runs: its process, torch's thread count and OMP_NUM_THREADS."""
    import torch

    emit({"pid": os.getpid(), "threads": torch.get_num_threads(), "omp": os.environ.get("OMP_NUM_THREADS")})


def crashing_task(config, emit, control):
    """Kill the worker process outright, as a segfault or the OOM killer would."""
    os._exit(3)


# ----------------------------------------------------------------------------- helpers
def wait_for(predicate, timeout=15.0, what="condition"):
    """Poll ``predicate`` every 5 ms until true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.005)


def long_job(pool, owner=None, sleep=0.002):
    """Submit a counting job that runs until stopped."""
    return pool.submit((counting_task, {"chunks": LONG, "sleep": sleep}), owner=owner)


def settled(pool):
    """True when the pool has no active jobs left (so the next test starts clean)."""
    return not pool.jobs()


@pytest.fixture(scope="module", params=BACKENDS)
def pool(request):
    """A pool of size 1 per backend, shared by the tests of this module; every snapshot is sent."""
    p = JobPool(workers=1, backend=request.param, emit_interval=0.0)
    assert p.wait_ready(60), "workers did not start"
    yield p
    p.shutdown()


@pytest.fixture
def clean(pool):
    """The shared pool; after the test, stop whatever the test left running."""
    yield pool
    for job in pool.jobs():
        job.close(10)
    wait_for(lambda: settled(pool), what="the pool to settle")


# ----------------------------------------------------------------------------- lifecycle
def test_job_completes_with_final_snapshot(clean):
    job = clean.submit(("kdviz.jobs:demo_task", {"steps": 120, "chunk": 40, "seed": 1}), owner="a")
    assert job.wait(60)
    snap = job.snapshot()
    assert (job.state, job.error, job.progress, job.queue_position) == ("done", None, 1.0, None)
    assert snap["step"] == 120 and len(snap["loss"]) == 3 and snap["progress"] == 1.0
    assert job.version == 3 and job.started_at is not None and job.ended_at >= job.started_at


def test_same_config_same_numbers_as_a_direct_call(clean):
    config = {"steps": 60, "chunk": 20, "seed": 7}
    outbox = queue.Queue()
    direct = Control("direct", outbox, emit_interval=0.0)
    demo_task(config, direct.emit, direct)
    expected = pickle.loads([m for m in outbox.queue if m[0] == "snap"][-1][2])
    first = clean.submit((demo_task, config))
    other = clean.submit((demo_task, {**config, "seed": 8}))
    assert first.wait(60) and other.wait(60)
    assert first.snapshot() == expected
    assert other.snapshot()["loss"] != expected["loss"]


def test_a_job_trains_with_one_torch_thread_in_its_own_process(clean):
    job = clean.submit((probe_task, {}))
    assert job.wait(20) and job.state == "done"
    probe = job.snapshot()
    assert probe["threads"] == 1
    if clean.backend == "process":
        assert probe["pid"] != os.getpid() and probe["omp"] == "1"
        base = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, probe["pid"]) == min(19, base + clean.nice)
    else:
        assert probe["pid"] == os.getpid()


def test_pause_holds_progress_and_resume_continues(clean):
    job = long_job(clean)
    wait_for(lambda: job.version >= 3, what="first snapshots")
    job.pause()
    wait_for(lambda: job.state == "paused", what="pause")
    held, progress = job.snapshot()["i"], job.progress
    time.sleep(0.3)  # a running job would add ~100 chunks here
    assert job.snapshot()["i"] == held and job.progress == progress and job.state == "paused"
    job.resume()
    wait_for(lambda: job.snapshot()["i"] > held + 5, what="progress after resume")
    assert job.state == "running"
    job.stop()
    assert job.wait(10) and job.state == "stopped"


def test_stop_ends_a_running_job(clean):
    job = long_job(clean)
    wait_for(lambda: job.version >= 1, what="a snapshot")
    job.stop()
    assert job.wait(10)
    assert job.state == "stopped" and job.error is None and job.snapshot()["i"] < LONG
    assert job.progress < 1.0


# ----------------------------------------------------------------------------- the pool bound
def test_pool_bound_queues_in_order(clean):
    first, second, third = long_job(clean), long_job(clean), long_job(clean)
    wait_for(lambda: first.version >= 1, what="the first job to run")
    assert (first.state, second.state, third.state) == ("running", "queued", "queued")
    assert (first.queue_position, second.queue_position, third.queue_position) == (None, 1, 2)
    assert second.snapshot() is None and clean.stats()["queued"] == 2
    first.stop()
    wait_for(lambda: second.version >= 1, what="the second job to start")
    assert (second.state, second.queue_position, third.queue_position) == ("running", None, 1)


def test_pause_gives_the_slot_away_and_keeps_the_place_in_line(clean):
    first, second, third = long_job(clean), long_job(clean), long_job(clean)
    wait_for(lambda: first.version >= 1, what="the first job to run")
    first.pause()
    wait_for(lambda: second.version >= 1, what="the second job to take the slot")
    assert first.state == "paused" and first.queue_position is None
    first.resume()  # every slot is busy: it queues again, ahead of the later third job
    assert (first.state, first.queue_position, third.queue_position) == ("queued", 1, 2)
    second.stop()
    wait_for(lambda: first.state == "running", what="the first job to resume")
    held = first.snapshot()["i"]
    wait_for(lambda: first.snapshot()["i"] > held, what="progress after resume")


def test_a_queued_job_can_be_paused_and_stopped(clean):
    first, second, third = long_job(clean), long_job(clean), long_job(clean)
    second.pause()
    assert (second.state, second.queue_position, third.queue_position) == ("paused", None, 1)
    third.stop()
    assert third.wait(1) and third.state == "stopped" and third.started_at is None
    first.stop()
    assert first.wait(10)
    time.sleep(0.1)
    assert second.state == "paused" and second.snapshot() is None  # a paused job does not start
    second.resume()
    wait_for(lambda: second.version >= 1, what="the resumed job to start")


# ----------------------------------------------------------------------------- errors and owners
def test_an_exception_becomes_state_error_and_the_pool_goes_on(clean):
    job = clean.submit((counting_task, {"chunks": 10, "fail_at": 3}))
    assert job.wait(20)
    assert job.state == "error" and job.error == "RuntimeError: boom at chunk 3"
    assert "boom at chunk 3" in job.traceback and job.snapshot()["i"] == 3
    bad = clean.submit((counting_task, {"chunks": 10, "fail_at": 0, "error": ValueError}))
    assert bad.wait(20) and bad.error == "boom at chunk 0"  # a ValueError is shown as it is
    missing = clean.submit(("kdviz.no_such_module:task", {}))
    assert missing.wait(20) and missing.state == "error" and "no_such_module" in missing.error
    after = clean.submit((counting_task, {"chunks": 3}))
    assert after.wait(20) and after.state == "done"


def test_cancel_owner_stops_only_that_owner(clean):
    a1 = long_job(clean, owner="a")
    b1 = clean.submit((counting_task, {"chunks": 5}), owner="b")
    a2 = long_job(clean, owner="a")
    wait_for(lambda: a1.version >= 1, what="the first job to run")
    assert clean.cancel_owner("a") == 2 and clean.cancel_owner("nobody") == 0
    assert a1.wait(10) and a2.wait(10) and b1.wait(20)
    assert (a1.state, a2.state, b1.state) == ("stopped", "stopped", "done")
    assert b1.snapshot()["i"] == 5


def test_snapshots_are_copies(clean):
    job = clean.submit((counting_task, {"chunks": 4}))
    assert job.wait(20)
    snap = job.snapshot()
    assert snap == {"i": 4, "history": [0, 1, 2, 3], "progress": 1.0}
    snap["history"].append(99)
    snap["i"] = -1
    assert job.snapshot() == {"i": 4, "history": [0, 1, 2, 3], "progress": 1.0}
    assert job.snapshot() is not job.snapshot()


def test_snapshot_is_taken_at_emit_time(clean):
    job = long_job(clean)
    wait_for(lambda: job.version >= 5, what="snapshots")
    job.pause()
    wait_for(lambda: job.state == "paused", what="pause")
    snap = job.snapshot()  # the task kept appending to the same list after earlier emits
    assert snap["history"] == list(range(snap["i"]))
    job.stop()


# ----------------------------------------------------------------------------- processes only
def test_worker_processes_train_at_once_survive_a_crash_and_die_with_the_pool():
    pool = JobPool(workers=2, backend="process", emit_interval=0.0)
    try:
        first, second = long_job(pool), long_job(pool)
        crash = pool.submit((crashing_task, {}))
        wait_for(lambda: first.version >= 1 and second.version >= 1, timeout=60, what="two running jobs")
        assert (first.state, second.state, crash.state) == ("running", "running", "queued")
        assert first._worker is not second._worker  # one job per worker process
        second.stop()
        assert crash.wait(120) and crash.state == "error" and crash.error == WORKER_LOST
        assert first.state == "running"  # the other worker's job is untouched
        after = pool.submit((counting_task, {"chunks": 3}))  # runs on the replacement worker
        assert after.wait(60) and after.state == "done"
        runners = [w.runner for w in pool._workers]
    finally:
        pool.shutdown()
    assert first.state == "stopped" and not any(r.is_alive() for r in runners)
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit((counting_task, {}))


# ----------------------------------------------------------------------------- validation
def test_bad_input_is_rejected_with_clear_messages(monkeypatch):
    monkeypatch.setenv("KDVIZ_WORKERS", "3")
    assert resolve_workers() == 3 and resolve_workers(2) == 2
    for bad in ("0", "two", "1.5", -1, True):
        with pytest.raises(ValueError, match="whole number"):
            resolve_workers(bad)
    monkeypatch.delenv("KDVIZ_WORKERS")
    assert resolve_workers() >= 1
    assert resolve_backend() == "process" and resolve_backend("thread") == "thread"
    with pytest.raises(ValueError, match="backend"):
        resolve_backend("gpu")
    with pytest.raises(ValueError, match="fork"):
        JobPool(1, "process", context="fork")


def test_default_pool_is_shared_and_follows_the_environment(monkeypatch):
    monkeypatch.setenv("KDVIZ_WORKERS", "1")
    monkeypatch.setenv("KDVIZ_JOB_BACKEND", "thread")
    monkeypatch.setattr(jobs_module, "_DEFAULT", None)
    jobs_module.release_owner("u")
    assert jobs_module._DEFAULT is None  # creates no pool
    pool = default_pool()
    try:
        assert default_pool() is pool and (pool.size, pool.backend) == (1, "thread")
        job = pool.submit((counting_task, {"chunks": LONG}), owner="u")
        jobs_module.release_owner("u", grace=0)
        assert job.wait(10) and job.state == "stopped"
        assert pool.stats() == {"workers": 1, "backend": "thread", "running": 0, "queued": 0, "paused": 0}
    finally:
        pool.shutdown()
    fresh = default_pool()  # a shut-down pool is replaced, not reused
    assert fresh is not pool
    fresh.shutdown()


def test_bad_tasks_are_rejected_at_submit(pool):
    for bad in (demo_task, (demo_task,), ("", {}), (42, {})):
        with pytest.raises(ValueError, match="task"):
            pool.submit(bad)
    if pool.backend == "process":
        with pytest.raises(ValueError, match="picklable"):
            pool.submit((lambda c, e, k: None, {}))
