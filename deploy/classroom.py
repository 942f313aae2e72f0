"""A class on several kdviz replicas behind HAProxy, on one machine, with one command.

    OMP_NUM_THREADS=1 .venv/bin/python deploy/classroom.py --replicas 2 --port 8500 [--address 0.0.0.0]

starts the board's PostgreSQL (unless KDVIZ_BOARD_URL names one), N replicas (deploy/replica.py), each with
its own job workers and health endpoint, and HAProxy in front with sticky sessions; Ctrl-C stops them all.
``--remote NAME=HOST:PORT:HEALTH_PORT`` adds a replica that runs on another machine.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deploy.replica import PING_SECONDS  # noqa: E402
from kdviz.replicas import MOVED_COOKIE, REPLICA_COOKIE  # noqa: E402

TEMPLATE = Path(__file__).with_name("haproxy.cfg.template")
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


@dataclass(frozen=True)
class Server:
    """One replica as the balancer sees it: its name (and cookie value), address, app port and health port."""
    name: str
    host: str
    port: int
    health_port: int


def render(servers: list[Server], bind: str, stats_socket: Path) -> str:
    """The HAProxy configuration for ``servers`` behind ``bind`` ("address:port"), from the template."""
    lines = "\n".join(f"    server {s.name} {s.host}:{s.port} check port {s.health_port} cookie {s.name}"
                      for s in servers)
    return TEMPLATE.read_text().format(stats_socket=stats_socket, ping_seconds=PING_SECONDS, bind=bind,
                                       cookie=REPLICA_COOKIE, moved_cookie=MOVED_COOKIE, servers=lines)


@dataclass
class Classroom:
    """A running class: the balancer's URL, its replicas and their processes (local ones only)."""
    url: str
    servers: list[Server]
    stats_socket: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def admin(self, command: str) -> str:
        """Send one command to HAProxy's runtime API and return its answer."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(self.stats_socket))
            s.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def states(self) -> dict[str, str]:
        """Each replica's state as the balancer's health checks see it: "UP", "DOWN", ... ("no check" at first)."""
        rows = csv.DictReader(io.StringIO(self.admin("show stat").lstrip("# ")))
        return {r["svname"]: r["status"] for r in rows if r["pxname"] == "replicas" and r["svname"] in
                {s.name for s in self.servers}}

    def wait(self, want: dict[str, str], timeout: float) -> dict[str, str]:
        """Wait up to ``timeout`` s until the named replicas are in the wanted states; return the states seen."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self.states()
            if all(seen.get(name, "").startswith(state) for name, state in want.items()) \
                    or time.monotonic() > deadline:
                return seen
            time.sleep(0.5)

    def kill(self, name: str) -> None:
        """Kill replica ``name`` and its workers at once (SIGKILL to its process group), as a lost machine would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait(timeout=30)


def _stop(proc: subprocess.Popen, group: bool) -> None:
    """End ``proc`` (its process group when ``group``): SIGTERM, then SIGKILL after 15 s."""
    send = (lambda sig: os.killpg(proc.pid, sig)) if group else proc.send_signal
    with contextlib.suppress(ProcessLookupError):
        send(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            send(signal.SIGKILL)
            proc.wait(timeout=15)


@contextlib.contextmanager
def classroom(local: list[Server], bind: tuple[str, int], board_url: str, log_dir: Path,
              remote: tuple[Server, ...] = (), env: dict[str, dict[str, str]] | None = None, timeout: float = 180):
    """Start the ``local`` replicas (deploy/replica.py, each in its own process group; ``env``: extra
    environment for a replica, by name) on board ``board_url``, then HAProxy on ``bind`` in front of them and
    the ``remote`` ones; wait up to ``timeout`` s for the balancer to answer; yield a Classroom; stop everything
    started here afterwards, also on failure. Logs go to ``log_dir``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    shared = {"KDVIZ_BOARD_URL": board_url, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
              "STREAMLIT_SERVER_COOKIE_SECRET": os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET") or secrets.token_hex()}
    stats_socket = Path(tempfile.mkdtemp(prefix="kdviz-class-")) / "haproxy.sock"
    room = Classroom(f"http://{bind[0]}:{bind[1]}", [*local, *remote], stats_socket)
    balancer = None
    try:
        for s in local:
            log = open(log_dir / f"replica-{s.name}.log", "w")
            room.processes[s.name] = subprocess.Popen(
                [sys.executable, str(ROOT / "deploy" / "replica.py"), "--name", s.name, "--port", str(s.port),
                 "--health-port", str(s.health_port), "--address", s.host],
                cwd=ROOT, env={**os.environ, **shared, **(env or {}).get(s.name, {})}, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
        config = log_dir / "haproxy.cfg"
        config.write_text(render(room.servers, f"{bind[0]}:{bind[1]}", stats_socket))
        with open(log_dir / "haproxy.log", "w") as log:
            balancer = subprocess.Popen([HAPROXY, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not _answers(f"{room.url}/_stcore/health"):
            if balancer.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the class did not come up in {timeout:.0f} s; see the logs in {log_dir}")
            time.sleep(0.5)
        yield room
    finally:
        for proc in room.processes.values():
            _stop(proc, group=True)
        if balancer is not None:
            _stop(balancer, group=False)
        shutil.rmtree(stats_socket.parent, ignore_errors=True)


def _answers(url: str) -> bool:
    """Whether ``url`` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _remote(text: str) -> Server:
    """A --remote value NAME=HOST:PORT:HEALTH_PORT as a Server."""
    try:
        name, rest = text.split("=", 1)
        host, port, health = rest.rsplit(":", 2)
        return Server(name, host, int(port), int(health))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=HOST:PORT:HEALTH_PORT, got {text[:80]!r}") from None


def main(argv: list[str] | None = None) -> int:
    """Start a class from the command line and keep it running until Ctrl-C (exit code 2 on bad flags)."""
    from kdviz.cli import Parser, UsageError

    p = Parser(prog="classroom.py", description="Run kdviz replicas behind HAProxy (see the README's workshop section).")
    p.add_argument("--replicas", type=int, default=2, help="replicas on this machine (default 2)")
    p.add_argument("--port", type=int, default=8500, help="the balancer's port: the class opens http://ADDRESS:PORT")
    p.add_argument("--address", default="127.0.0.1", help="the balancer's address (0.0.0.0: reachable by the class)")
    p.add_argument("--first-port", type=int, default=8601, help="replica i serves on FIRST_PORT+i, health on +100")
    p.add_argument("--remote", type=_remote, action="append", default=[], metavar="NAME=HOST:PORT:HEALTH_PORT",
                   help="a replica started on another machine with deploy/replica.py (repeatable)")
    p.add_argument("--state-dir", type=Path, default=Path.home() / ".cache" / "kdviz" / "class",
                   help="the board's PostgreSQL cluster (unless KDVIZ_BOARD_URL is set) and the logs")
    try:
        args = p.parse_args(argv)
        if args.replicas < 0 or args.replicas + len(args.remote) < 1:
            p.error("a class needs at least one replica (--replicas or --remote)")
    except UsageError as exc:
        print(str(exc)[:400], file=sys.stderr)
        return 2
    if not os.path.exists(HAPROXY):
        print("HAProxy is not installed: apt-get install -y haproxy", file=sys.stderr)
        return 2
    local = [Server(f"r{i + 1}", "127.0.0.1", args.first_port + i, args.first_port + 100 + i)
             for i in range(args.replicas)]
    from deploy.postgres import cluster

    with contextlib.ExitStack() as stack:
        board = os.environ.get("KDVIZ_BOARD_URL") or (  # a balancer alone needs no database
            stack.enter_context(cluster(args.state_dir / "postgres")) if args.replicas else "")
        room = stack.enter_context(classroom(local, (args.address, args.port), board, args.state_dir / "logs",
                                             remote=tuple(args.remote)))
        print(f"class open on {room.url} ({len(room.servers)} replicas: {room.wait({}, 0)}); Ctrl-C stops it",
              flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        with contextlib.suppress(KeyboardInterrupt):
            while True:  # a replica that stops is the balancer's to route around
                time.sleep(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
