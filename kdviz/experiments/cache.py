"""Final snapshots of experiments, stored on disk so a page can show a result the moment it opens.

An entry is keyed by the experiment's name, its settings and a hash of the kdviz source code, so
a change to the code (or to any setting) never shows an old result, and a server restart does
not recompute (kdviz.storage holds the folder and the code version). Only runs whose options
are all listed in KEYLESS (the device) are cached: a run on uploaded prices is never stored. A
stored file is only taken back when it holds the experiment's own snapshot class; anything else
(damaged, truncated, another object) is dropped and computed again (kdviz.storage.read_checked).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import pickle

from kdviz.experiments import experiment
from kdviz.experiments.protocol import last
from kdviz.storage import cache_dir, code_version, read_checked, write_atomically

KEYLESS = ("device",)  # options that do not change what a run computes (beyond rounding)
log = logging.getLogger(__name__)


def cacheable(**options) -> bool:
    """Whether a run with these options may be cached (no uploaded data, nothing but the device)."""
    return all(k in KEYLESS for k in options)


def key(name: str, cfg) -> str:
    """The file name of experiment ``name`` run with settings ``cfg``."""
    text = json.dumps({"experiment": name, "config": dataclasses.asdict(cfg), "code": code_version()},
                      sort_keys=True, default=str)
    return f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:24]}.pkl"


def load(name: str, cfg):
    """The stored final snapshot of ``name`` with ``cfg``, or None: never stored, or unreadable or not the
    experiment's snapshot class (then logged and deleted, see storage.read_checked)."""
    return read_checked(cache_dir() / key(name, cfg), pickle.load, experiment(name).snapshot)


def store(name: str, cfg, snapshot) -> None:
    """Write ``snapshot`` as the result of ``name`` with ``cfg`` (atomically)."""
    write_atomically(cache_dir() / key(name, cfg), lambda f: pickle.dump(snapshot, f, protocol=pickle.HIGHEST_PROTOCOL))


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
