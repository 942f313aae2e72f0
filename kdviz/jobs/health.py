"""The health endpoint a load balancer checks: a tiny HTTP server on a side port, in a thread of the web server.

Streamlit's own ``/_stcore/health`` answers "ok" as soon as the web server runs, whether or not its job
workers can train. ``GET /health`` on the side port answers 200 "ok" only while the server's job pool can
take work (some worker has started and the pool is not broken), else 503 with the reason in one line, so a
balancer sends no visitor to a replica whose workers cannot start.
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kdviz.jobs.pool import JobPool

PATH = "/health"


def status(pool: JobPool) -> tuple[int, str]:
    """The HTTP status and one-line body the endpoint answers for ``pool``: (200, "ok") or (503, why)."""
    problem = pool.health()
    return (200, "ok") if problem is None else (503, f"unhealthy: {problem}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A checker that gave up before the answer (its timeout) is no error of this server: stay quiet."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def serve(pool: Callable[[], JobPool], port: int, host: str = "127.0.0.1", name: str = "") -> ThreadingHTTPServer:
    """Answer ``GET /health`` on ``host:port`` from a daemon thread; return the server (``shutdown()`` stops it).

    ``pool``: returns the pool to report on (called per request, so the server's default pool is
    checked as it is now); ``name``: this replica's name, appended to every answer for a person reading it.
    """
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            code, text = status(pool()) if self.path.split("?")[0] == PATH else (404, f"not found: try {PATH}")
            body = (f"{text} ({name})" if name else text).encode() + b"\n"
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # a balancer checks every second: keep the server's log quiet
            pass

    server = _Server((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="kdviz-health", daemon=True).start()
    return server
