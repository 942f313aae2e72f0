"""Fair share between sessions: a cap on one owner's running and queued jobs, proportionally fair
shares of the workers, and stride turns inside a worker that follow them."""
from __future__ import annotations

import threading

import pytest

from kdviz.jobs import JobPool
from tests.test_jobs import LONG, counting_task, long_job, wait_for

STARTED = threading.Event()  # set by the measured job when it starts (in its worker process)
FINISHED = threading.Event()  # set by the measured job when it is done


def busy_task(config, emit, control):
    """Busy work in 1 ms steps behind preemption points. With ``limit`` it is the measured job: it sets
    STARTED, counts ``limit`` steps and sets FINISHED; without, it counts only the steps it makes while
    the measured job runs in the same process (between STARTED and FINISHED)."""
    import time

    steps = 0
    if config.get("limit"):
        STARTED.set()
    while control.proceed():
        control.tick()
        end = time.perf_counter() + 0.001
        while time.perf_counter() < end:
            pass
        if config.get("limit") or STARTED.is_set() and not FINISHED.is_set():
            steps += 1
        emit({"steps": steps})
        if steps >= config.get("limit", 10**9):
            FINISHED.set()
            return


def test_one_owner_may_have_only_so_many_runs_going_and_others_still_start():
    pool = JobPool(workers=1, backend="thread", emit_interval=0.0, jobs_per_worker=8, per_owner=2)
    try:
        first, second = long_job(pool, owner="a"), long_job(pool, owner="a")
        from kdviz.jobs.pool import OwnerLimit

        with pytest.raises(OwnerLimit, match=r"^You have 2 runs going; stop one or wait for one to finish"):
            long_job(pool, owner="a")
        other = pool.submit((counting_task, {"chunks": 3}), owner="b")  # another session is not held up
        assert other.wait(30) and other.state == "done"
        first.stop()  # a run being stopped no longer counts (Start replaces a page's run this way)
        third = long_job(pool, owner="a")
        second.pause()
        wait_for(lambda: second.state == "paused", what="the pause")
        fourth = long_job(pool, owner="a")  # a paused run holds no slot
        assert pool.going("a") == 2 and not third.done and not fourth.done
        assert all(long_job(pool, owner=None) for _ in range(3))  # jobs without an owner are never capped
    finally:
        pool.shutdown()


def test_an_owner_on_every_worker_leaves_a_shared_worker_to_the_owner_with_a_single_job():
    FINISHED.clear()
    pool = JobPool(workers=2, backend="process", emit_interval=0.0, jobs_per_worker=4, slice_seconds=0.02)
    try:
        assert pool.wait_ready(120)
        many = [pool.submit((busy_task, {}), owner="many") for _ in range(4)]
        wait_for(lambda: all(j.version >= 1 for j in many), timeout=60, what="four running jobs")
        one = pool.submit((busy_task, {"limit": 2000}), owner="one")
        assert one.wait(300) and one.state == "done", one.error
        beside = [j for j in many if j._worker is one._worker]
        assert beside, "the single job shares a worker with the other owner's jobs"
        during = sum(j.snapshot()["steps"] for j in beside)  # their steps while "one" ran (they stop counting after)
        # equal turns per owner would give them about as many steps as "one"; fair shares give them about 1%
        assert during < 0.25 * 2000, during
    finally:
        pool.shutdown()


def test_fair_shares_leave_a_shared_worker_to_the_owner_that_has_no_other():
    from kdviz.jobs.fairness import ROUNDS, fair_shares

    two = fair_shares({0: {"many", "one"}, 1: {"many"}})
    assert two[1] == {"many": 1.0}
    assert two[0]["one"] > 1 - 1 / ROUNDS and two[0]["many"] + two[0]["one"] == pytest.approx(1.0)
    three = fair_shares({0: {"a", "b"}, 1: {"a", "c"}})  # a on both workers: everyone gets 2/3 of a worker
    for owner, total in {"a": three[0]["a"] + three[1]["a"], "b": three[0]["b"], "c": three[1]["c"]}.items():
        assert total == pytest.approx(2 / 3, abs=1e-6), owner
    assert fair_shares({0: {"a"}, 1: set()}) == {0: {"a": 1.0}, 1: {}}
