"""One kdviz replica: the health endpoint on a side port, the job pool, then `streamlit run app.py`, in one process.

Usage: python deploy/replica.py --name r1 --port 8601 --health-port 8701 [--address 0.0.0.0]
The health endpoint starts before Streamlit, answers 503 while the job workers start and 200 once they can
take work; the balancer sends visitors only to a replica whose endpoint answers 200. Set the same
STREAMLIT_SERVER_COOKIE_SECRET and KDVIZ_* settings for every replica of a class.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PING_SECONDS = 20  # Streamlit's websocket ping: far below the balancer's tunnel timeout (deploy/haproxy.cfg.template)


def main(argv: list[str] | None = None) -> None:
    """Parse the flags, start the health endpoint and the pool, then serve the app until stopped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="this replica's name: the balancer's server name and cookie value")
    parser.add_argument("--port", type=int, required=True, help="the port Streamlit serves on")
    parser.add_argument("--health-port", type=int, required=True, help="the port of GET /health")
    parser.add_argument("--address", default="127.0.0.1", help="the address both listen on (default: loopback)")
    args = parser.parse_args(argv)
    os.environ["KDVIZ_REPLICA"] = args.name
    os.chdir(ROOT)  # Streamlit reads .streamlit/config.toml from the working directory
    sys.path.insert(0, str(ROOT))
    from kdviz.jobs import health
    from kdviz.jobs.pool import default_pool

    health.serve(default_pool, args.health_port, args.address, name=args.name)
    default_pool()  # the workers start now, not at the first visitor: the balancer waits for them
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), "--server.port", str(args.port),
                "--server.address", args.address, "--server.websocketPingInterval", str(PING_SECONDS)]
    cli.main()


if __name__ == "__main__":
    main()
