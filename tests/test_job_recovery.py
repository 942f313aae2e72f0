"""Job pool recovery and fairness: worker deaths at start-up, mid-job and idle; reconnection grace;
round-robin slices by owner; pause and stop at the next preemption point."""
from __future__ import annotations

import os
import signal
import time

import pytest

from kdviz.jobs import WORKER_LOST, JobPool
from tests.test_jobs import LONG, counting_task, long_job, wait_for


def spinning_task(config, emit, control):
    """Busy work in 1 ms steps, each behind a preemption point; emits the steps done after every step."""
    steps = 0
    while control.proceed():
        for _ in range(config.get("steps_per_chunk", 1)):
            control.tick()
            end = time.perf_counter() + 0.001
            while time.perf_counter() < end:
                pass
            steps += 1
            emit({"steps": steps})
        if steps >= config.get("limit", 10**9):
            return


def kill(worker):
    """SIGKILL a worker process, as the OOM killer would."""
    os.kill(worker.runner.pid, signal.SIGKILL)


@pytest.fixture
def pool2():
    p = JobPool(workers=2, backend="process", emit_interval=0.0)
    assert p.wait_ready(60)
    yield p
    p.shutdown()


def test_a_worker_killed_mid_job_fails_only_its_job_and_the_pool_serves_again(pool2):
    first, second = long_job(pool2), long_job(pool2)
    wait_for(lambda: first.version >= 1 and second.version >= 1, timeout=60, what="two running jobs")
    kill(first._worker)
    assert first.wait(20) and first.state == "error" and first.error == WORKER_LOST
    assert second.state == "running"
    after = pool2.submit((counting_task, {"chunks": 3}))
    assert after.wait(30) and after.state == "done"
    assert second.state == "running"


def test_a_worker_killed_while_idle_and_its_replacement_killed_during_start_up(pool2):
    busy = long_job(pool2)
    wait_for(lambda: busy.version >= 1, timeout=60, what="a running job")
    idle = next(w for w in pool2._workers if w is not busy._worker)
    kill(idle)
    wait_for(lambda: pool2._workers[idle.index] is not idle, what="a replacement worker")
    replacement = pool2._workers[idle.index]
    kill(replacement)  # before it is ready: dies during start-up
    wait_for(lambda: pool2._workers[idle.index] is not replacement, what="a second replacement")
    jobs = [pool2.submit((counting_task, {"chunks": 3})) for _ in range(3)]
    assert all(j.wait(120) and j.state == "done" for j in jobs)
    assert busy.state == "running" and busy.error is None
    pool2.shutdown()  # and the exit path does not raise after all that
    assert busy.state == "stopped"


def test_jobs_survive_a_disconnect_that_reconnects_and_stop_once_the_session_is_gone():
    pool = JobPool(workers=1, backend="thread", emit_interval=0.0)
    try:
        kept = long_job(pool, owner="back")
        lost = long_job(pool, owner="gone")
        pool.release_owner("back", grace=0.3)
        pool.release_owner("gone", grace=0.3)
        assert pool.reclaim_owner("back") and not pool.reclaim_owner("nobody")
        assert lost.wait(10) and lost.state == "stopped"
        assert not kept.done
    finally:
        pool.shutdown()


def test_owners_get_equal_slices_whatever_their_number_of_jobs():
    pool = JobPool(workers=1, backend="thread", emit_interval=0.0, jobs_per_worker=6, slice_seconds=0.02)
    try:
        many = [pool.submit((spinning_task, {}), owner="many") for _ in range(5)]
        one = pool.submit((spinning_task, {}), owner="one")
        wait_for(lambda: all(j.state == "running" for j in many + [one]), what="six running jobs")

        def steps(jobs) -> int:
            return sum((j.snapshot() or {}).get("steps", 0) for j in jobs)

        # ~100 slices of ~20 steps whatever the machine's speed or load: wait for the work, not for a time
        wait_for(lambda: steps(many + [one]) >= 2000, timeout=300, what="2000 steps in all")
        for job in many + [one]:
            job.pause()
        wait_for(lambda: all(j.state == "paused" for j in many + [one]), what="the jobs to pause")
        steps_many, steps_one = steps(many), steps([one])
        assert 0.35 < steps_one / (steps_one + steps_many) < 0.65  # half each, not 1/6 for "one"
    finally:
        pool.shutdown()


@pytest.mark.parametrize("action", ["pause", "stop"])
def test_pause_and_stop_act_at_the_next_step_not_the_next_chunk(action):
    pool = JobPool(workers=1, backend="thread", emit_interval=0.0, slice_seconds=60.0)
    try:
        job = pool.submit((spinning_task, {"steps_per_chunk": LONG}))  # one endless chunk
        wait_for(lambda: job.version >= 5, what="a few steps")
        asked_at = job.snapshot()["steps"]
        getattr(job, action)()
        assert job.requested == action  # what the buttons show at once
        wait_for(lambda: job.state == ("paused" if action == "pause" else "stopped"), what=action)
        # a 60 s slice is ~60,000 steps and the chunk never ends: the halt came at a step, mid-slice
        assert job.snapshot()["steps"] - asked_at < 1000
        assert job.requested is None
    finally:
        pool.shutdown()
