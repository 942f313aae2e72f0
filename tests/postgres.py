"""A throwaway PostgreSQL cluster for tests: the class recipe's cluster (deploy/postgres.py) in a temporary
directory, without fsync, stopped and deleted when the context exits.

The server runs as a non-root user (PostgreSQL refuses root): the current user, or the package's
``postgres`` user when the tests run as root. It listens on no TCP port, only on a Unix socket.
"""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import tempfile
from pathlib import Path

from deploy.postgres import bin_dir, cluster


def missing_reason() -> str | None:
    """Why no cluster can be started here, or None."""
    if bin_dir() is None:
        return "PostgreSQL is not installed: apt-get install -y postgresql"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run the server as"
    return None


@contextlib.contextmanager
def postgres_cluster():
    """Start a fresh cluster; yield its SQLAlchemy URL (psycopg, Unix socket); stop and delete it afterwards."""
    root = Path(tempfile.mkdtemp(prefix="kdviz-pg-"))
    try:
        with cluster(root, fsync=False) as url:
            yield url
    finally:
        shutil.rmtree(root, ignore_errors=True)
