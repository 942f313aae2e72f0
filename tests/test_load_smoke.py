"""The workshop load test's short form (N = 3, no timing assertion), and a dropped websocket that
reconnects mid-run keeping its training, both over Streamlit's websocket protocol on loopback."""
from __future__ import annotations

import asyncio
import concurrent.futures
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import bench_load  # noqa: E402


def off_loop(fn, *args):
    """fn(*args) on a fresh thread: the browser tests' Playwright keeps an event loop running on this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def test_three_trainers_all_finish_with_no_error():
    (result,) = off_loop(bench_load.main, ["--users", "3", "--runs", "1", "--limit", "240", "--visit-every", "2"])
    assert result["runs_started"] == 3 and result["runs_finished"] == 3
    assert result["errors"] == 0, result["error_samples"]
    assert result["light_interaction_s"]["n"] >= 1 and result["new_visitor_first_page_s"]["n"] >= 1
    assert result["redraws"] > 0 and len(result["worker_rss_mb"]) >= 1


def test_the_steady_redraw_scenario_measures_a_long_run_and_resets_it():
    # five figure redraws (three to build the figures, two to time), however long a busy machine takes,
    # bounded by 300 s: the scenario waits for the redraws, not for a time
    (result,) = off_loop(bench_load.main, ["--steady", "--steady-redraws", "5", "--steady-seconds", "300"])
    assert result["figure_redraws"] >= 5, result
    assert result["server_cpu_ms_per_redraw"] >= 0 and result["redraws_per_s"] > 0
    assert "steps=5000" in result["query"]


@pytest.fixture
def server():
    port = bench_load.free_port()
    proc = bench_load.start_server(port)
    yield f"ws://127.0.0.1:{port}/_stcore/stream"
    bench_load.stop_server(proc)


def test_a_dropped_connection_that_comes_back_keeps_its_run(server):
    async def scenario() -> tuple[str, str, list[str]]:
        b = bench_load.Browser(server)
        await b.connect()
        await b.run("live")
        await b.run(widgets=[b.buttons["Start"]])
        assert any(t.startswith(("Training", "Waiting", "Starting")) for t in b.texts), b.texts
        first = b.session_id
        await b.close()  # the Wi-Fi drops mid-run
        await asyncio.sleep(2.0)
        await b.connect()  # the same session reconnects
        await b.run(page=None)
        seen = list(b.texts)
        await b.close()
        return first, b.session_id, seen

    first, again, texts = off_loop(lambda: asyncio.run(scenario()))
    assert again == first
    assert not any(t.startswith("Stopped at") for t in texts), texts
    assert any(t.startswith(("Training", "Finished", "Waiting", "Starting")) for t in texts), texts
