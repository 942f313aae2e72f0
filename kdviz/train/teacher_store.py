"""Trained teachers on disk, shared by every process of a server and kept across restarts.

A job's worker process trains its teacher before its first frame; with this store the teacher
of a config is trained once (by the server's warm-up or the first run) and loaded in
milliseconds by every later run in any worker. An entry is keyed like the in-process cache (kind,
data content, config, device) plus the code version, so changed code never loads an old teacher.
Only teachers of the registered datasets are stored: a teacher of an uploaded file never touches
the disk (an upload lives on the server only for its session).
"""
from __future__ import annotations

import hashlib
import logging

import torch

from kdviz.data import names
from kdviz.data.registry import Dataset
from kdviz.storage import cache_dir, code_version, write_atomically

log = logging.getLogger(__name__)


def storable(ds: Dataset) -> bool:
    """Whether a teacher of ``ds`` may be kept on disk (a registered dataset, never an upload)."""
    return ds.name in names()


def path_of(key: tuple):
    """The file of the teacher cache key ``key`` (kind, data hash, config, device), for this code version."""
    digest = hashlib.sha256(repr((key, code_version())).encode()).hexdigest()[:24]
    return cache_dir() / "teachers" / f"{key[0]}-{digest}.pt"


def load(key: tuple, device: torch.device):
    """The stored model of ``key`` on ``device``, or None (never stored, or unreadable)."""
    path = path_of(key)
    if not path.exists():
        return None
    try:
        return torch.load(path, map_location=device, weights_only=False)
    except Exception:  # noqa: BLE001 - a damaged file is retrained, never fatal
        log.warning("could not read the stored teacher %s; training it again", path)
        return None


def store(key: tuple, model: torch.nn.Module) -> None:
    """Keep ``model`` as the teacher of ``key`` (atomically; a failure is logged, never raised)."""
    try:
        write_atomically(path_of(key), lambda f: torch.save(model, f))
    except OSError:
        log.warning("could not store the teacher %s", path_of(key))
