"""Paused jobs give their memory back: their runs' own tensors go to disk.

A job that pauses while its owner already has ``limit`` paused jobs in memory on this worker (by
default none: every pause parks, since resuming a parked Live run is as fast as resuming one in
memory, bench/bench_jobs.py --parking) is *parked*: every training run its thread stepped (each exposes ``own_tensors()``: its weights,
gradients and optimiser moments, tensors no other job shares) is written to one safetensors file,
and each tensor's storage is shrunk to zero bytes, so the memory goes back to the allocator while
every view of it (the model's parameters) stays valid. On resume the storages grow back and the
bytes are copied in, so the run continues bit for bit as if it had never paused; stopping a parked
job deletes its file.
"""
from __future__ import annotations

import ctypes
import gc
import os
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

PAUSED_IN_MEMORY = 0  # paused jobs per owner and worker that keep their memory (KDVIZ_PAUSED_IN_MEMORY)


def checkpoint_dir() -> Path:
    """Where parked jobs' tensors go: $KDVIZ_CHECKPOINT_DIR, else a kdviz-paused folder in the temp dir."""
    return Path(os.environ.get("KDVIZ_CHECKPOINT_DIR") or Path(tempfile.gettempdir()) / "kdviz-paused")


def paused_limit() -> int:
    """Paused jobs per owner kept in memory: env KDVIZ_PAUSED_IN_MEMORY (a whole number >= 0), else PAUSED_IN_MEMORY."""
    raw = os.environ.get("KDVIZ_PAUSED_IN_MEMORY", "").strip()
    if not raw:
        return PAUSED_IN_MEMORY
    if not raw.isdigit():
        raise ValueError(f"KDVIZ_PAUSED_IN_MEMORY must be a whole number >= 0, got {raw!r}")
    return int(raw)


def own_tensors(runs) -> dict[str, torch.Tensor]:
    """Every run's own tensors by a stable name ("<run>.<name>"), whatever their storage holds now
    (a parked tensor holds zero bytes)."""
    return {f"{i}.{name}": t for i, run in enumerate(runs) for name, t in run.own_tensors().items()}


def held_tensors(runs) -> dict[str, torch.Tensor]:
    """The runs' own tensors that hold memory, one per storage."""
    out, seen = {}, set()
    for name, tensor in own_tensors(runs).items():
        storage = tensor.untyped_storage()
        if storage.nbytes() and storage.data_ptr() not in seen:
            seen.add(storage.data_ptr())
            out[name] = tensor
    return out


def park(runs, folder: Path | None = None) -> Path | None:
    """Write the runs' own tensors to a new safetensors file and free their storage; return the file (None if nothing held)."""
    tensors = held_tensors(runs)
    if not tensors:
        return None
    folder = folder or checkpoint_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"paused-{os.getpid()}-{uuid.uuid4().hex}.safetensors"
    save_file({k: t.detach().cpu().contiguous() for k, t in tensors.items()}, str(path))
    for tensor in tensors.values():
        tensor.untyped_storage().resize_(0)
    return path


def unpark(runs, path: Path) -> None:
    """Give the runs' tensors their storage back, fill it from ``path`` and delete the file."""
    tensors = own_tensors(runs)
    for name, data in load_file(str(path)).items():
        tensor = tensors[name]
        tensor.untyped_storage().resize_(data.numel() * data.element_size())
        tensor.copy_(data.to(tensor.device))
    discard(path)


def release_memory() -> None:
    """Collect freed tensors and hand freed heap back to the system (glibc), where possible."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def discard(path: Path | None) -> None:
    """Delete a parked job's file (nothing if it is gone already)."""
    if path is not None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


class Parking:
    """One worker's paused jobs per owner: says which pause must park, and counts what is parked."""

    def __init__(self, limit: int | None = None, folder: Path | None = None):
        self.limit = paused_limit() if limit is None else limit
        self.folder = folder
        self.parked = 0  # jobs parked now
        self._in_memory: dict[Any, set] = {}  # owner -> its paused jobs (tokens) that kept their memory
        self._lock = threading.Lock()

    def pause(self, token: Any, owner: Any, runs) -> Path | None:
        """``token`` pauses: keep it in memory if its owner has fewer than ``limit`` such, else park its runs."""
        with self._lock:
            held = self._in_memory.setdefault(owner, set())
            if len(held) < self.limit:
                held.add(token)
                return None
        path = park(list(runs), self.folder)
        if path is not None:
            with self._lock:
                self.parked += 1
            release_memory()
        return path

    def resume(self, token: Any, owner: Any, runs, path: Path | None, restore: bool = True) -> None:
        """``token`` goes on (``restore``: reload what it parked) or ends (its file is deleted); forget it."""
        with self._lock:
            held = self._in_memory.get(owner)
            if held is not None:
                held.discard(token)
                if not held:
                    del self._in_memory[owner]
            if path is not None:
                self.parked -= 1
        if path is not None and restore:
            unpark(list(runs), path)
        else:
            discard(path)
