"""The class board's PostgreSQL for a try-out on one machine: Debian's postgresql package, a cluster in a folder
that survives restarts (initdb on first use), listening only on a Unix socket in that folder."""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
from pathlib import Path


def bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin that has initdb, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def server_user() -> str:
    """Who runs the server: this user, or the package's ``postgres`` user for root (PostgreSQL refuses root)."""
    return "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


@contextlib.contextmanager
def cluster(root: Path, fsync: bool = True):
    """Start the cluster in ``root`` (created with initdb when new) and yield its SQLAlchemy URL (psycopg,
    Unix socket in ``root``); stop it afterwards, keeping its data. ``fsync=False``: faster, for throwaway data."""
    bindir = bin_dir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql")
    user = server_user()
    as_user = ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chmod(root, 0o755)
        shutil.chown(root, user)
    data = root / "data"
    run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)  # noqa: E731
    if not (data / "PG_VERSION").exists():
        run(str(bindir / "initdb"), "-D", str(data), "-U", user, "-A", "trust", "--no-sync", "-E", "UTF8")
    options = f"-c listen_addresses='' -c unix_socket_directories={root} -c max_connections=100"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60", "-o",
        options + ("" if fsync else " -c fsync=off"), "start")
    try:
        yield f"postgresql+psycopg://{user}@/postgres?host={root}"
    finally:
        with contextlib.suppress(Exception):
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast" if fsync else "immediate", "-w", "stop")
