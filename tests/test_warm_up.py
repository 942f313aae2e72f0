"""The server's warm-up: ``python -m kdviz prepare`` in one background process at a low priority with one torch
thread (never in the server's interpreter), a page whose result it has not computed yet says so and still trains on
Start, and a terminate stops prepare as Ctrl-C does, keeping what finished."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kdviz.experiments import cache
from kdviz.experiments.live import LiveConfig
from ui import results

ROOT = Path(__file__).resolve().parents[1]
SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


@pytest.fixture
def sleeping_warm_up(monkeypatch, tmp_path):
    """The warm-up enabled, its command replaced by a process that computes nothing (under the same ``nice``), in an
    empty cache; stopped and forgotten afterwards."""
    monkeypatch.setenv("KDVIZ_WARM", "1")
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path / "cache"))
    real = results.warm_command()
    prefix = real[:real.index(sys.executable)]
    monkeypatch.setattr(results, "warm_command", lambda: [*prefix, *SLEEPER])
    results.start_warming.clear()
    yield
    proc = results.start_warming()
    if proc is not None:
        proc.terminate()
        proc.wait(30)
    results.start_warming.clear()


def test_the_warm_up_command_is_prepare_on_the_cpu_under_nice():
    command = results.warm_command()
    assert command[-7:] == [sys.executable, "-m", "kdviz", "prepare", "--device", "cpu", "--progress", "lines"][-7:]
    if os.name == "posix":
        assert command[1:3] == ["-n", str(results.WARM_NICE)] and Path(command[0]).name == "nice"


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads the process's settings from /proc")
def test_the_warm_up_runs_in_its_own_process_niced_with_one_thread(sleeping_warm_up):
    proc = results.start_warming()
    assert proc is not None and proc.pid != os.getpid() and proc.poll() is None
    assert results.start_warming() is proc  # once per server
    deadline = time.monotonic() + 60
    while Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")[:2] != [os.fsencode(sys.executable), b"-c"]:
        assert time.monotonic() < deadline, "nice did not start the warm-up"
        time.sleep(0.05)
    assert os.getpriority(os.PRIO_PROCESS, proc.pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + results.WARM_NICE)
    environ = Path(f"/proc/{proc.pid}/environ").read_bytes().split(b"\0")
    env = dict(item.split(b"=", 1) for item in environ if b"=" in item)
    assert env[b"OMP_NUM_THREADS"] == b"1"


def test_a_page_whose_result_is_being_warmed_says_so_and_starts(sleeping_warm_up, page_test):
    at = page_test("app_pages/live.py")
    assert not at.exception and not at.error
    assert any(i.value == results.WARMING_LINE for i in at.info)
    assert cache.load("live", LiveConfig()) is None
    at.button(key="start").click().run()  # Start does not wait for the warm-up
    job = at.session_state["_job.live"]
    assert job.wait(120)
    job_id = job.id
    at.run()
    assert not at.exception and not any(i.value == results.WARMING_LINE for i in at.info)
    assert not job_id.startswith("cached:")


def test_other_settings_or_no_warm_up_show_no_such_line(sleeping_warm_up, page_test):
    at = page_test("app_pages/live.py", steps="100")  # not a page's defaults: the warm-up never computes it
    assert not any(i.value == results.WARMING_LINE for i in at.info)


def test_a_terminate_stops_prepare_like_ctrl_c_keeping_what_finished(tmp_path):
    env = {**os.environ, "KDVIZ_CACHE_DIR": str(tmp_path), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "kdviz", "prepare", "--only", "live,dark-sweep", "--progress",
                             "lines"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not list(tmp_path.glob("live-*.pkl")):  # the first run stored: the second one is under way
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "slow"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "stopped during dark-sweep" in out.strip().splitlines()[-1]
    assert list(tmp_path.glob("live-*.pkl")) and not list(tmp_path.glob("dark_sweep-*.pkl"))
    assert not list(tmp_path.glob("*.tmp"))


def test_a_page_on_absent_images_says_in_one_line_how_to_get_them(page_test, monkeypatch, tmp_path):
    from kdviz.data.image_files import missing
    from ui.messages import escape

    monkeypatch.setenv("KDVIZ_FASHION_MNIST", str(tmp_path / "nowhere"))
    at = page_test("app_pages/compare.py", dataset="fashion_mnist")
    line = missing("fashion_mnist")
    assert not at.exception and line is not None
    assert [w.value for w in at.warning if "MNIST is not on this machine" in w.value] == [escape(line)]
    monkeypatch.delenv("KDVIZ_FASHION_MNIST")
    at = page_test("app_pages/compare.py", dataset="blobs")
    assert not any("MNIST is not on this machine" in w.value for w in at.warning)
