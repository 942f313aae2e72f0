"""Where kdviz keeps files between runs (results, teachers), and the code version that keys them.

Everything lives under one folder, $KDVIZ_CACHE_DIR (default ~/.cache/kdviz/results), so a test
or a workshop server can point all of it elsewhere at once. Files are written atomically (a
temporary file, then a rename), so several server and worker processes may share the folder.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path

SOURCE = Path(__file__).resolve().parent  # the kdviz package


def cache_dir() -> Path:
    """The cache folder: $KDVIZ_CACHE_DIR, else ~/.cache/kdviz/results."""
    return Path(os.environ.get("KDVIZ_CACHE_DIR") or Path.home() / ".cache" / "kdviz" / "results")


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of every kdviz source file that can change a result (all but the figure builders in
    kdviz/plots, which only draw results)."""
    h = hashlib.sha256()
    for path in sorted(p for p in SOURCE.rglob("*.py") if "plots" not in p.relative_to(SOURCE).parts):
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
