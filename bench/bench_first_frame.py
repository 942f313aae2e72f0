"""Start -> first live frame on the Live training page, with its defaults, in process, in the job pool and in Chromium. Prints JSON.

python bench/bench_first_frame.py [--warm]: in process, the time from calling live.run to its first
LiveSnapshot (teacher trained, in memory, from the disk store); in a fresh two-worker pool, from submit to the
first LiveSnapshot, four jobs in a row; in Chromium, a fresh server (its own empty caches, two
workers) opened on /live, Start clicked, and the time until the page draws a frame of the run.
With --warm the server warms its defaults first (KDVIZ_WARM=1) and the click waits until it has.
"""
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WARM = "--warm" in sys.argv
FRAME_JS = ("() => { const t = document.body.innerText; "
            "return /Decision regions at step \\d+ of/.test(t) && !t.includes('Computed ahead'); }")


def in_process() -> dict:
    """Seconds from live.run() to its first LiveSnapshot: a teacher trained here, then the same one reused."""
    from kdviz.experiments import live
    from kdviz.experiments.protocol import Phase
    from kdviz.train import clear_teacher_cache

    def first() -> float:
        t0 = time.perf_counter()
        for snap in live.run(live.LiveConfig(), device="cpu"):
            if not isinstance(snap, Phase):
                return time.perf_counter() - t0
        return float("nan")

    os.environ["KDVIZ_CACHE_DIR"] = tempfile.mkdtemp(prefix="kdviz-bench-")
    clear_teacher_cache()
    fresh, memory = first(), first()
    clear_teacher_cache()
    return {"teacher_trained_s": round(fresh, 3), "teacher_in_memory_s": round(memory, 3),
            "teacher_from_disk_s": round(first(), 3)}


def in_pool() -> dict:
    """Seconds from submitting the defaults' job to a ready two-worker pool to its first LiveSnapshot, per attempt."""
    from kdviz.experiments import live
    from kdviz.experiments.task import job
    from kdviz.jobs import JobPool

    pool = JobPool(workers=2)
    pool.wait_ready(120)
    out = []
    try:
        for _ in range(4):
            t0 = time.perf_counter()
            j = pool.submit(job("live", live.LiveConfig(), device="cpu"))
            while not isinstance(j.snapshot(), live.LiveSnapshot) and not j.done:
                time.sleep(0.005)
            out.append(round(time.perf_counter() - t0, 3))
            j.wait(60)
    finally:
        pool.shutdown()
    return {"submit_to_first_snapshot_s": out}


@contextlib.contextmanager
def server(cache: str):
    """A streamlit server of the app on a free loopback port with its own cache folders."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "KDVIZ_WORKERS": "2", "KDVIZ_WARM": "1" if WARM else "0",
           "KDVIZ_CACHE_DIR": cache, "XDG_CACHE_HOME": cache}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.fileWatcherType", "none"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(OSError):
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def in_browser() -> dict:
    """Seconds from the Start click to the first drawn frame, twice (the second reuses the worker)."""
    from playwright.sync_api import sync_playwright

    out = {}
    with tempfile.TemporaryDirectory() as cache, server(cache) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=os.environ.get("KDVIZ_CHROMIUM", "/usr/bin/chromium"),
                                     headless=True, args=["--no-sandbox", "--disable-gpu"])
        for attempt in ("first_click_s", "second_session_s"):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/live", wait_until="domcontentloaded")
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000)
            if attempt == "first_click_s":  # an idle server: its workers started (and with --warm, Live warmed)
                while WARM and not list(Path(cache).glob("live-*.pkl")):
                    time.sleep(0.5)
                time.sleep(20)
                page.reload(wait_until="domcontentloaded")
                page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000)
            page.wait_for_timeout(1500)
            t0 = time.perf_counter()
            page.locator(".st-key-start button").click()
            page.wait_for_function(FRAME_JS, timeout=120_000, polling=20)
            out[attempt] = round(time.perf_counter() - t0, 3)
            page.close()
        browser.close()
    return out


if __name__ == "__main__":
    print(json.dumps({"warm_server": WARM, "in_process": in_process(), "pool": in_pool(), "chromium": in_browser()}))
