"""A throwaway PostgreSQL cluster for tests: Debian's postgresql package, initdb + pg_ctl on a local socket.

The server runs as a non-root user (PostgreSQL refuses root): the current user, or the package's
``postgres`` user when the tests run as root. It listens on no TCP port, only on a Unix socket in
a temporary directory, and is stopped and deleted when the context exits.
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path


def _bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin that has initdb, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def missing_reason() -> str | None:
    """Why no cluster can be started here, or None."""
    if _bin_dir() is None:
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
    bindir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="kdviz-pg-"))
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    as_user = ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        os.chmod(root, 0o755)
        shutil.chown(root, user)
    data, sock = root / "data", root
    run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)  # noqa: E731
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", user, "-A", "trust", "--no-sync", "-E", "UTF8")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60", "-o",
            f"-c listen_addresses='' -c unix_socket_directories={sock} -c fsync=off -c max_connections=100", "start")
        yield f"postgresql+psycopg://{user}@/postgres?host={sock}"
    finally:
        with contextlib.suppress(Exception):
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
