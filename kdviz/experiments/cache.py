"""Final snapshots of experiments, stored on disk so a page can show a result the moment it opens.

An entry is keyed by the experiment's name, its settings and a hash of the kdviz source code, so
a change to the code (or to any setting) never shows an old result, and a server restart does
not recompute. Only runs whose options are all listed in KEYLESS (the device) are cached: a run
on uploaded prices is never stored. Files are written atomically (a temporary file, then a
rename), so several server processes may share one directory.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path

from kdviz.experiments import experiment
from kdviz.experiments.protocol import last

KEYLESS = ("device",)  # options that do not change what a run computes (beyond rounding)
SOURCE = Path(__file__).resolve().parents[1]  # the kdviz package
log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """Where results are stored: $KDVIZ_CACHE_DIR, else ~/.cache/kdviz/results."""
    return Path(os.environ.get("KDVIZ_CACHE_DIR") or Path.home() / ".cache" / "kdviz" / "results")


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of every kdviz source file that can change a snapshot (all but the figure builders in
    kdviz/plots, which only draw snapshots): part of every key."""
    h = hashlib.sha256()
    for path in sorted(p for p in SOURCE.rglob("*.py") if "plots" not in p.relative_to(SOURCE).parts):
        h.update(str(path.relative_to(SOURCE)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cacheable(**options) -> bool:
    """Whether a run with these options may be cached (no uploaded data, nothing but the device)."""
    return all(k in KEYLESS for k in options)


def key(name: str, cfg) -> str:
    """The file name of experiment ``name`` run with settings ``cfg``."""
    text = json.dumps({"experiment": name, "config": dataclasses.asdict(cfg), "code": code_version()},
                      sort_keys=True, default=str)
    return f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:24]}.pkl"


def load(name: str, cfg):
    """The stored final snapshot of ``name`` with ``cfg``, or None (never stored, or unreadable)."""
    path = cache_dir() / key(name, cfg)
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def store(name: str, cfg, snapshot) -> None:
    """Write ``snapshot`` as the result of ``name`` with ``cfg`` (atomically)."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        pickle.dump(snapshot, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, folder / key(name, cfg))


def compute(name: str, cfg, **options):
    """Run ``name`` with ``cfg`` to its end, store its final snapshot (when cacheable) and return it."""
    snap = last(experiment(name).run(cfg, **options))
    if cacheable(**options):
        store(name, cfg, snap)
    return snap


def warm(entries, device: str = "cpu") -> list[str]:
    """Compute every (name, cfg) of ``entries`` not stored yet, in order; returns the names computed.

    A run that fails is logged and skipped: warming must never take a server down.
    """
    done = []
    for name, cfg in entries:
        if load(name, cfg) is not None:
            continue
        try:
            compute(name, cfg, device=device)
            done.append(name)
        except Exception:  # noqa: BLE001 - logged; the page then simply trains on Start
            log.exception("warming the result of %s failed", name)
    return done
