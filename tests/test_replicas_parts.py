"""The class recipe's parts without a browser: the health endpoint, the moved-session cookie, the balancer's
configuration (valid for HAProxy, tunnels outliving the websocket ping) and the command line's bad flags."""
from __future__ import annotations

import re
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from deploy.classroom import HAPROXY, Server, main, render
from deploy.replica import PING_SECONDS
from kdviz.jobs import health
from kdviz.jobs.pool import JobPool
from kdviz.replicas import MOVED_COOKIE, REPLICA_COOKIE, moved_from


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Pool:
    """A stand-in pool whose health is set by the test."""
    def __init__(self, problem):
        self.problem = problem

    def health(self):
        return self.problem


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_the_health_endpoint_answers_200_only_while_the_pool_can_take_work():
    pool = _Pool(None)
    port = _port()
    server = health.serve(lambda: pool, port, name="r7")
    try:
        assert _get(f"http://127.0.0.1:{port}/health") == (200, "ok (r7)\n")
        pool.problem = "job workers cannot start: exited with code 3"
        assert _get(f"http://127.0.0.1:{port}/health") == (503, "unhealthy: job workers cannot start: exited with code 3 (r7)\n")
        assert _get(f"http://127.0.0.1:{port}/other")[0] == 404
    finally:
        server.shutdown()
        server.server_close()


def test_a_pool_reports_its_health_from_starting_to_ready_to_shut_down():
    pool = JobPool(workers=1, backend="thread")
    try:
        assert pool.wait_ready(60)
        assert pool.health() is None and health.status(pool) == (200, "ok")
    finally:
        pool.shutdown()
    assert pool.health() == "the job pool is shut down"


def test_a_session_is_moved_only_when_the_balancer_names_another_replica():
    assert moved_from({MOVED_COOKIE: "r1"}, me="r2") == "r1"
    assert moved_from({MOVED_COOKIE: "r2"}, me="r2") is None  # where it was
    assert moved_from({REPLICA_COOKIE: "r1"}, me="r2") is None  # not moved: only the balancer's own cookie
    assert moved_from({}, me="r2") is None  # a new browser
    assert moved_from({MOVED_COOKIE: "r1"}, me="") is None  # a server running alone
    assert moved_from({MOVED_COOKIE: "x" * 500}, me="r2") == "x" * 40  # a damaged cookie, cut


def test_the_balancer_config_names_every_replica_and_keeps_websockets_longer_than_the_ping(tmp_path):
    servers = [Server("r1", "127.0.0.1", 8601, 8701), Server("r2", "10.0.0.2", 8601, 8701)]
    text = render(servers, "0.0.0.0:8500", tmp_path / "s.sock")
    assert "server r1 127.0.0.1:8601 check port 8701 cookie r1" in text
    assert "server r2 10.0.0.2:8601 check port 8701 cookie r2" in text
    assert f"cookie {REPLICA_COOKIE} insert indirect nocache" in text
    value, unit = re.search(r"^\s*timeout tunnel (\d+)([smh])", text, re.M).groups()
    assert int(value) * {"s": 1, "m": 60, "h": 3600}[unit] > 10 * PING_SECONDS
    if not Path(HAPROXY).exists():
        pytest.skip("HAProxy is not installed: apt-get install -y haproxy")
    (tmp_path / "haproxy.cfg").write_text(text)
    check = subprocess.run([HAPROXY, "-c", "-f", str(tmp_path / "haproxy.cfg")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("flags", [["--remote", "r9=nohost"], ["--replicas", "0"], ["--replicas", "two"]])
def test_bad_flags_get_one_line_and_exit_code_2(flags, capsys):
    assert main(flags) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("classroom.py: ") and "Traceback" not in err
