"""Trained teachers on disk, shared by every process of a server and kept across restarts.

A job's worker process trains its teacher before its first frame; with this store the teacher
of a config is trained once (by the server's warm-up or the first run) and loaded in
milliseconds by every later run in any worker. An entry is keyed like the in-process cache (kind,
data content, config, device) plus the code version, so changed code never loads an old teacher.
Only teachers of the registered datasets are stored: a teacher of an uploaded file never touches
the disk (an upload lives on the server only for its session).

A file holds plain tensors, numbers and strings (the architecture, the weights and the training
info), read with torch.load(weights_only=True), so loading one runs no code from the file; one that
is damaged or holds anything else is a miss: logged, deleted and trained again (storage.read_checked).
"""
from __future__ import annotations

import hashlib
import logging

import numpy as np
import torch

from kdviz.data import names
from kdviz.data.registry import Dataset
from kdviz.models import MLP, Population
from kdviz.storage import cache_dir, code_version, read_checked, write_atomically
from kdviz.train.conv_net import ConvNet

KINDS = {"teacher": MLP, "ensemble": Population, "conv": ConvNet}  # what a key's kind (key[0]) stores

log = logging.getLogger(__name__)


def storable(ds: Dataset) -> bool:
    """Whether a teacher of ``ds`` may be kept on disk (a registered dataset, never an upload)."""
    return ds.name in names()


def path_of(key: tuple):
    """The file of the teacher cache key ``key`` (kind, data hash, config, device), for this code version."""
    digest = hashlib.sha256(repr((key, code_version())).encode()).hexdigest()[:24]
    return cache_dir() / "teachers" / f"{key[0]}-{digest}.pt"


def _record(model: torch.nn.Module) -> dict:
    """``model`` (an MLP, a Population or a ConvNet, with its ``info``) as plain tensors, numbers and strings."""
    info = {k: torch.from_numpy(np.asarray(v)) if isinstance(v, np.ndarray) else v
            for k, v in getattr(model, "info", {}).items()}
    if isinstance(model, ConvNet):
        return {"arrays": model.record(), "info": info}
    pop = model if isinstance(model, Population) else Population.from_models([model])
    arrays = {k: [torch.from_numpy(a) for a in v] if k in ("weight", "bias") else v for k, v in pop.arrays().items()}
    return {"arrays": arrays, "info": info}


def _model(record: dict, kind: str, device: torch.device) -> torch.nn.Module:
    """The model of kind ``kind`` that ``_record`` wrote, on ``device`` in eval mode (ValueError/KeyError/TypeError
    when the record is not one)."""
    if not (isinstance(record, dict) and all(isinstance(record.get(k), dict) for k in ("arrays", "info"))):
        raise ValueError(f"a stored teacher is a dict of arrays and info, got {type(record).__name__}")
    if KINDS[kind] is ConvNet:
        model = ConvNet.from_record(record["arrays"], device)
    else:
        pop = Population.from_arrays(record["arrays"], device)
        model = pop.member(0) if KINDS[kind] is MLP else pop
    model.eval().info = {k: v.numpy() if isinstance(v, torch.Tensor) else v for k, v in record["info"].items()}
    return model


def load(key: tuple, device: torch.device):
    """The stored model of ``key`` on ``device`` (an MLP for kind "teacher", a Population for "ensemble", a ConvNet
    for "conv"), or None: never stored, or unreadable or of another kind (then logged and deleted, see
    storage.read_checked)."""
    kind = key[0]
    return read_checked(path_of(key), lambda f: _model(torch.load(f, map_location=device, weights_only=True),
                                                        kind, device), KINDS[kind])


def store(key: tuple, model: torch.nn.Module) -> None:
    """Keep ``model`` as the teacher of ``key`` (atomically; a failure is logged, never raised)."""
    try:
        write_atomically(path_of(key), lambda f: torch.save(_record(model), f))
    except OSError:
        log.warning("could not store the teacher %s", path_of(key))
