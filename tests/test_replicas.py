"""The class recipe end to end on loopback: three replicas (deploy/replica.py) behind HAProxy (deploy/classroom.py)
with the board on one PostgreSQL, driven by real Chromium. Two replicas are healthy; the third's job workers exit
as they start, so its health endpoint must report it unhealthy and the balancer must send it no one.

The stack starts once for the module and is stopped at its end, also on failure; the last test kills a replica."""
from __future__ import annotations

import re
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kdviz.replicas import REPLICA_COOKIE
from tests.conftest import ARTIFACTS, REQUIRE_BROWSER, _browser_missing_reason, screenshot

pytestmark = pytest.mark.browser

MOVED = "The server you were on"  # the start of the notice a moved session shows (ui/replica.py)
SCATTER = "(() => { const p = document.querySelector('.js-plotly-plot'); return p && p.data && p.data[0].hovertext " \
          "? Array.from(p.data[0].hovertext) : []; })()"
# Makes every worker process of a replica exit as it starts (spawned workers run with --multiprocessing-fork).
BREAK_WORKERS = "import os, sys\nif '--multiprocessing-fork' in sys.orig_argv:\n    os._exit(3)\n"


def _free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback ports."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@pytest.fixture(scope="module")
def room(postgres_url):
    """Replicas r1 and r2 (healthy) and r3 (workers cannot start) behind HAProxy, the board on PostgreSQL."""
    from deploy.classroom import HAPROXY, Server, classroom

    reason = _browser_missing_reason() or (None if Path(HAPROXY).exists() else "apt-get install -y haproxy")
    if reason:
        (pytest.fail if REQUIRE_BROWSER else pytest.skip)(f"the replica tests need a browser and HAProxy: {reason}")
    ports = _free_ports(7)
    servers = [Server(f"r{i + 1}", "127.0.0.1", ports[2 * i], ports[2 * i + 1]) for i in range(3)]
    broken = Path(tempfile.mkdtemp(prefix="kdviz-broken-"))
    (broken / "sitecustomize.py").write_text(BREAK_WORKERS)
    env = {"KDVIZ_WORKERS": "1", "KDVIZ_WARM": "0"}
    try:
        with classroom(servers, ("127.0.0.1", ports[6]), postgres_url, ARTIFACTS / "replicas", timeout=300,
                       env={"r1": env, "r2": env, "r3": {**env, "PYTHONPATH": str(broken)}}) as running:
            states = running.wait({"r1": "UP", "r2": "UP", "r3": "DOWN"}, 300)
            assert states["r1"] == "UP" and states["r2"] == "UP", f"the healthy replicas did not come up: {states}"
            yield running
    finally:
        shutil.rmtree(broken, ignore_errors=True)


@pytest.fixture(scope="module")
def chromium(room, browser):
    """The session's headless Chromium (one Playwright per process: a second one refuses to start beside it)."""
    return browser


def visit(chromium, room, path: str, replica: str | None = None):
    """A new browser (its own cookies) opening ``path`` through the balancer, on ``replica`` if given (the
    balancer's cookie set beforehand), else where the balancer sends it; wait until the page has run."""
    ctx = chromium.new_context(viewport={"width": 1400, "height": 1000})
    if replica:
        ctx.add_cookies([{"name": REPLICA_COOKIE, "value": replica, "url": room.url}])
    page = ctx.new_page()
    page.sockets = []  # every websocket the page opens, in order
    page.on("websocket", lambda ws: page.sockets.append(ws))
    page.goto(f"{room.url}/{path}", wait_until="domcontentloaded")
    settled(page)
    return ctx, page


def settled(page) -> None:
    """Wait until the page's script has run."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000)


def on(ctx) -> str:
    """The replica the balancer's cookie binds this browser to."""
    return next(c["value"] for c in ctx.cookies() if c["name"] == REPLICA_COOKIE)


def train(page) -> None:
    """Press Start on Live training and wait for its result."""
    page.locator(".st-key-start button").click()
    page.get_by_text("Result").first.wait_for(timeout=240_000)


def test_the_health_endpoint_reports_a_replica_whose_workers_cannot_start_and_it_gets_no_visitor(room):
    r3 = room.servers[2]
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(f"http://{r3.host}:{r3.health_port}/health", timeout=10)
    assert answer.value.code == 503
    assert answer.value.read().decode().startswith("unhealthy: job workers cannot start: exited with code 3")
    for s in room.servers[:2]:
        with urllib.request.urlopen(f"http://{s.host}:{s.health_port}/health", timeout=10) as ok:
            assert ok.status == 200 and ok.read().decode().strip() == f"ok ({s.name})"
    assert room.states()["r3"].startswith("DOWN")
    seen = set()
    for _ in range(6):  # new visitors, no cookie: round robin over the healthy replicas only
        with urllib.request.urlopen(f"{room.url}/", timeout=30) as r:
            seen.add(re.search(rf"{REPLICA_COOKIE}=(\w+)", r.headers["Set-Cookie"]).group(1))
    assert seen == {"r1", "r2"}


def test_a_session_stays_on_its_replica_through_a_run_and_a_dropped_websocket(chromium, room):
    ctx, page = visit(chromium, room, "live?steps=3000")
    try:
        replica = on(ctx)
        page.locator(".st-key-start button").click()
        page.locator(".st-key-pause button:not([disabled])").wait_for(timeout=120_000)  # the run is going
        room.admin(f"shutdown sessions server replicas/{replica}")  # the balancer drops the page's websocket
        deadline = time.monotonic() + 60
        while len(page.sockets) < 2 and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        assert page.sockets[0].is_closed() and len(page.sockets) >= 2, "the page did not reconnect"
        page.get_by_text("Result").first.wait_for(timeout=240_000)  # the run went on in the same session
        assert on(ctx) == replica and page.get_by_text(MOVED).count() == 0
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        screenshot(page, "replicas-sticky")
        ctx.close()


def test_two_replicas_write_one_room_and_the_instructors_board_on_either_shows_both(chromium, room):
    teacher_ctx, teacher = visit(chromium, room, "board", "r1")
    pupils = [visit(chromium, room, "board", r) for r in ("r1", "r2")]
    try:
        teacher.locator(".st-key-board-create button").click()
        teacher.get_by_text("is open: give this code to the class").wait_for(timeout=60_000)
        code = re.search(r"Room ([A-Z0-9]{6}) is open", teacher.inner_text("body")).group(1)
        for (ctx, page), name in zip(pupils, ("Ana on r1", "Ben on r2")):
            page.locator(".st-key-board-join_code input").fill(code)
            page.locator(".st-key-board-join_name input").fill(name)
            page.locator(".st-key-board-join_button button").click()
            page.get_by_text(f"You are in room {code}").wait_for(timeout=60_000)
            page.get_by_role("link", name="Live training").click()
            page.locator(".st-key-start button").click()
        for ctx, page in pupils:
            page.locator(".st-key-board-post-live button").wait_for(timeout=240_000)
            page.locator(".st-key-board-post-live button").click()
            page.get_by_text(f"Posted to room {code}").wait_for(timeout=60_000)
        assert [on(ctx) for ctx, _ in pupils] == ["r1", "r2"]
        for replica in ("r1", "r2"):  # the instructor's board, served by each replica in turn
            teacher_ctx.add_cookies([{"name": REPLICA_COOKIE, "value": replica, "url": room.url}])
            teacher.reload(wait_until="domcontentloaded")
            teacher.wait_for_function(f"{SCATTER}.length >= 2", timeout=60_000)
            names = sorted(teacher.evaluate(SCATTER))
            assert [n.split(" (seed")[0] for n in names] == ["Ana on r1", "Ben on r2"], names
            assert on(teacher_ctx) == replica and teacher.get_by_text(MOVED).count() == 0
    finally:
        screenshot(teacher, "replicas-board")
        for ctx in (teacher_ctx, *[c for c, _ in pupils]):
            ctx.close()


def test_the_load_test_runs_through_the_balancer(room):
    from tests.test_load_smoke import bench_load, off_loop

    (result,) = off_loop(bench_load.main, ["--balancer", room.url, "--users", "2", "--runs", "1", "--limit", "240",
                                           "--trainers-only"])
    assert result["runs_started"] == 2 and result["runs_finished"] == 2
    assert result["errors"] == 0, result["error_samples"]
    assert result["server_rss_mb"] is None and result["worker_rss_mb"] == []  # not measured behind a balancer


def test_a_killed_replica_fails_only_its_own_sessions_which_say_so_and_work_after_a_reload(chromium, room):
    (lost_ctx, lost), (kept_ctx, kept) = visit(chromium, room, "live?steps=5000", "r1"), visit(chromium, room, "live", "r2")
    try:
        lost.locator(".st-key-start button").click()
        lost.locator(".st-key-pause button:not([disabled])").wait_for(timeout=120_000)  # a run is going on r1
        room.kill("r1")
        # the page, watching its run, reconnects through the balancer to r2, reruns there and says what happened
        lost.get_by_text(MOVED).first.wait_for(timeout=120_000)
        assert "(r1) stopped" in lost.inner_text("body")
        train(kept)  # the other replica's session goes on as before
        assert kept.get_by_text(MOVED).count() == 0 and on(kept_ctx) == "r2"
        lost.reload(wait_until="domcontentloaded")
        settled(lost)
        assert on(lost_ctx) == "r2" and lost.get_by_text(MOVED).count() == 0
        train(lost)
        for page in (lost, kept):
            assert page.locator("[data-testid='stException']").count() == 0
    finally:
        screenshot(lost, "replicas-killed")
        lost_ctx.close()
        kept_ctx.close()
