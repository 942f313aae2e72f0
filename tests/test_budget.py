"""Run budgets: the cost model, the refusal message, every page's defaults fitting, and the queue's
position and estimated wait as the page says them."""
from __future__ import annotations

import dataclasses

import pytest

from kdviz.experiments import EXPERIMENTS, budget, experiment, live
from kdviz.experiments.task import cost, job
from kdviz.jobs import JobPool
from tests.test_jobs import wait_for


def largest_live() -> live.LiveConfig:
    """The largest Live run the widgets allow."""
    return dataclasses.replace(live.LiveConfig(), steps=5000, seeds=5, student="512, 512", teacher="512, 512",
                               n=10000, batch=256)


def test_the_cost_model_is_steps_times_fixed_plus_parameters_batch_members():
    loop = budget.Loop(params=1000, batch=64, steps=10, members=4)
    assert loop.seconds() == pytest.approx(10 * (budget.STEP_SECONDS + 1000 * 64 * 4 * budget.UNIT_SECONDS))
    assert budget.mlp_params(2, (3,), 4) == 2 * 3 + 3 + 3 * 4 + 4


def test_every_page_default_fits_and_the_largest_live_run_is_refused_with_its_time():
    for name in EXPERIMENTS:
        seconds = budget.estimate(name, experiment(name).config())
        assert seconds is not None and budget.refusal(seconds) is None, name
    seconds = budget.estimate("live", largest_live())
    assert seconds > 10 * budget.estimate("live", live.LiveConfig())
    message = budget.refusal(seconds)
    assert message.startswith(f"This run would take {budget.duration(seconds)} on this server")
    assert "minutes" in message and "lower Steps" in message
    assert cost(job("live", largest_live())) == seconds and cost(("some.module:task", {})) is None


def test_durations_read_as_words():
    assert budget.duration(3) == "about 5 seconds" and budget.duration(42) == "about 40 seconds"
    assert budget.duration(31 * 60 - 5) == "about 31 minutes" and budget.duration(3 * 3600) == "about 3.0 hours"


def test_the_limit_follows_the_environment(monkeypatch):
    monkeypatch.setenv("KDVIZ_MAX_RUN_SECONDS", "1")
    assert budget.refusal(2.0) is not None and budget.refusal(0.5) is None
    monkeypatch.setenv("KDVIZ_MAX_RUN_SECONDS", "soon")
    with pytest.raises(ValueError, match="KDVIZ_MAX_RUN_SECONDS"):
        budget.max_run_seconds()


def test_a_queued_job_knows_its_place_and_wait_and_owners_take_turns():
    pool = JobPool(workers=1, backend="thread", emit_interval=0.0)
    try:
        running = pool.submit(("tests.test_jobs:counting_task", {"chunks": 10**6, "sleep": 0.002}), owner="a",
                              cost=100.0)
        wait_for(lambda: running.state == "running", what="the first job")
        a2 = pool.submit(("tests.test_jobs:counting_task", {"chunks": 3}), owner="a", cost=10.0)
        a3 = pool.submit(("tests.test_jobs:counting_task", {"chunks": 3}), owner="a", cost=10.0)
        b1 = pool.submit(("tests.test_jobs:counting_task", {"chunks": 3}), owner="b", cost=10.0)
        # b was never served, a just was: b goes first although it came last
        assert (b1.queue_position, a2.queue_position, a3.queue_position) == (1, 2, 3)
        assert b1.wait_seconds == pytest.approx(100.0 * (1 - running.progress), rel=0.05)
        assert a3.wait_seconds == pytest.approx(b1.wait_seconds + 20.0, rel=0.05)
        assert pool.in_flight() == pytest.approx(130.0, rel=0.05)
    finally:
        pool.shutdown()
