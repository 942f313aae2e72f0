"""Shared test fixtures: AppTest pages, a live Streamlit server and a real Chromium through Playwright."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = os.environ.get("KDVIZ_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("KDVIZ_REQUIRE_BROWSER") == "1"

torch.set_num_threads(1)  # tests are small; one thread avoids oversubscribing 2 cores
# Pages start with no stored results (an empty cache per test session) and no background warming;
# tests of the first-load results fill the cache themselves.
os.environ.setdefault("KDVIZ_WARM", "0")
os.environ.setdefault("KDVIZ_CACHE_DIR", tempfile.mkdtemp(prefix="kdviz-cache-"))


@pytest.fixture
def page_test():
    """Return a function opening one page in AppTest: page_test("app_pages/x.py", **query) -> AppTest."""
    from streamlit.testing.v1 import AppTest

    def open_page(path: str, **query) -> "AppTest":
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        for key, value in query.items():
            at.query_params[key] = value
        at.switch_page(path).run()
        return at

    return open_page


@pytest.fixture
def diverging(monkeypatch):
    """diverging(module): every student ``module`` builds trains at a learning rate of 1000, above any a page
    offers (its loss explodes or sits at chance): how a test makes the failed run a page must show as not judged."""
    def patch(module) -> None:
        real = module.MemberConfig
        monkeypatch.setattr(module, "MemberConfig", lambda *a, **k: real(*a, **{**k, "lr": 1e3}))
    return patch


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _browser_missing_reason() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Python package playwright is missing: pip install -r requirements-test.txt"
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        return f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (or set KDVIZ_CHROMIUM)"
    return None


@contextlib.contextmanager
def streamlit_server(log_name: str = "server.log", env: dict | None = None):
    """Run the app with `streamlit run` on a free loopback port (``env``: extra environment variables);
    yield its base URL, then stop it."""
    reason = _browser_missing_reason()
    if reason:
        (pytest.fail if REQUIRE_BROWSER else pytest.skip)(f"browser tests need a browser: {reason}")
    ARTIFACTS.mkdir(exist_ok=True)
    port = _free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "KDVIZ_WORKERS": "2", **(env or {})}
    with open(ARTIFACTS / log_name, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", APP, "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 90
            while time.time() < deadline:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    time.sleep(0.3)
            else:
                pytest.fail(f"streamlit did not become healthy; see {ARTIFACTS / log_name}")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def app_url():
    """The base URL of one app server shared by the browser tests of a session."""
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="session")
def browser(app_url):
    """A headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    with chromium_browser() as b:
        yield b


@contextlib.contextmanager
def chromium_browser():
    """Start Playwright and a headless Debian Chromium (never a downloaded browser); yield it, close both after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def open_in_browser(browser, app_url):
    """Return a function that loads a page path, waits until it has run, and returns the Playwright page."""
    contexts = []

    def load(path: str, min_charts: int = 1, base: str = app_url):
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(ctx)
        page = ctx.new_page()
        page.goto(f"{base}/{path}", wait_until="domcontentloaded")
        page.wait_for_selector("[data-testid='stApp']", timeout=60_000)
        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length >= {min_charts}",
                               timeout=90_000)
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=90_000)
        return page

    yield load
    for ctx in contexts:
        ctx.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot into artifacts/ (git-ignored) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def values(obj):
    """A Plotly trace array as NumPy: plain lists, or Plotly's typed-array form {dtype, bdata}."""
    import base64

    import numpy as np

    if isinstance(obj, dict) and "bdata" in obj:
        arr = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=np.dtype(obj["dtype"]))
        return arr.reshape(obj["shape"]) if "shape" in obj and isinstance(obj["shape"], list) else arr
    return np.asarray(obj)


def charts(at) -> list[dict]:
    """Every Plotly figure an AppTest page drew, as dicts, in page order."""
    import json

    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def plain(element) -> str:
    """The text of a message element as the user reads it (Markdown escapes removed)."""
    return element.value.replace("\\", "")


@pytest.fixture(scope="session")
def postgres_url():
    """The SQLAlchemy URL of a throwaway PostgreSQL cluster started for this test session (tests/postgres.py).

    Skips when PostgreSQL is not installed, unless KDVIZ_REQUIRE_BROWSER=1 (CI), where that fails the run.
    """
    from tests.postgres import missing_reason, postgres_cluster

    reason = missing_reason()
    if reason:
        (pytest.fail if REQUIRE_BROWSER else pytest.skip)(f"PostgreSQL tests need a server: {reason}")
    with postgres_cluster() as url:
        yield url
