"""Worker processes killed while they start: the pool recovers from any sequence of kills, and says
what happened (the signal, or the worker's own error) instead of guessing."""
from __future__ import annotations

import os
import signal

import pytest

from kdviz.jobs import JobPool
from tests.test_jobs import counting_task, wait_for


def kill_while_starting(pool, index):
    """SIGKILL worker ``index`` of ``pool`` before it reported ready; return the killed worker record."""
    worker = pool._workers[index]
    assert not worker.ready, "the worker was ready before it could be killed"
    os.kill(worker.runner.pid, signal.SIGKILL)
    return worker


@pytest.mark.parametrize("workers", [1, 2])
def test_the_pool_recovers_from_three_kills_during_its_first_start_up(workers):
    pool = JobPool(workers=workers, backend="process", emit_interval=0.0)
    try:
        for _ in range(3):  # each kill hits the newest worker of slot 0 while it imports torch
            killed = kill_while_starting(pool, 0)
            wait_for(lambda: pool._workers[0] is not killed, timeout=60, what="a replacement worker")
        job = pool.submit((counting_task, {"chunks": 3}))
        assert job.wait(120) and job.state == "done", job.error
        assert pool.wait_ready(120) and pool.problem is None
    finally:
        pool.shutdown()


def test_a_job_submitted_between_kills_waits_and_then_runs():
    pool = JobPool(workers=1, backend="process", emit_interval=0.0)
    try:
        job = pool.submit((counting_task, {"chunks": 3}))
        for _ in range(3):
            killed = kill_while_starting(pool, 0)
            wait_for(lambda: pool._workers[0] is not killed, timeout=60, what="a replacement worker")
            assert not job.done and job.error is None
            assert job.trouble == "a job worker stopped while starting (killed by signal 9 (SIGKILL)); starting another"
        assert job.wait(120) and job.state == "done", job.error
    finally:
        pool.shutdown()


def test_how_a_worker_ended_reads_as_words():
    from kdviz.jobs.pool import ended

    assert ended(-9) == "killed by signal 9 (SIGKILL)"
    assert ended(-15) == "killed by signal 15 (SIGTERM)"
    assert ended(1) == "exited with code 1"
    assert ended(None) == "it stopped answering"
