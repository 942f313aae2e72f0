"""Where kdviz keeps files between runs (results, teachers), and the code version that keys them.

Everything lives under one folder, $KDVIZ_CACHE_DIR (default ~/.cache/kdviz/results), so a test
or a workshop server can point all of it elsewhere at once. Files are written atomically (a
temporary file, then a rename), so several server and worker processes may share the folder.
Files are read back through read_checked: anything in the folder may be damaged or foreign, so a file
that cannot be read, or holds the wrong kind of object, is a miss (logged once, deleted, recomputed).
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

SOURCE = Path(__file__).resolve().parent  # the kdviz package
log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """The cache folder: $KDVIZ_CACHE_DIR, else ~/.cache/kdviz/results."""
    return Path(os.environ.get("KDVIZ_CACHE_DIR") or Path.home() / ".cache" / "kdviz" / "results")


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of every kdviz source file that can change a result (all but the figure builders in
    kdviz/plots and kdviz/figures, which only draw results)."""
    h = hashlib.sha256()
    for path in sorted(p for p in SOURCE.rglob("*.py") if not {"plots", "figures"} & set(p.relative_to(SOURCE).parts)):
        h.update(str(path.relative_to(SOURCE)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def write_atomically(path: Path, write) -> None:
    """Create ``path`` by calling ``write(binary file)`` on a temporary file in its folder, then renaming it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_checked(path: Path, read: Callable[[BinaryIO], object], expected: type | tuple[type, ...]):
    """``read(binary file)`` of ``path`` when it returns an instance of ``expected``, else None (a miss).

    A missing file is a quiet miss. Any other failure (unreadable, truncated, not the expected format,
    an object of another type, or ``read`` raising anything) logs one line and deletes the file, so
    the caller computes the value again and stores a good one in its place.
    """
    try:
        with open(path, "rb") as f:
            obj = read(f)
    except FileNotFoundError:
        return None
    except Exception as e:  # noqa: BLE001 - whatever a damaged or foreign file raises, it is a miss
        why = f"unreadable: {type(e).__name__}: {e}"
    else:
        if isinstance(obj, expected):
            return obj
        names = expected if isinstance(expected, tuple) else (expected,)
        why = f"holds a {type(obj).__name__}, not a {' or '.join(t.__name__ for t in names)}"
    log.warning("dropped the cache file %s (%s); it will be computed again", path, why[:200])
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass
    return None
