"""The real-image teachers and data: which images, which teacher, trained once and stored.

Every experiment of the Real images page trains its students on a real 28x28 image set
(Fashion-MNIST, or MNIST where it is on the machine): a seeded stratified subset of ``n`` training
images (the transfer set; None: all 55,000 after the validation split), tested on ``test_n`` test
images (None: the official 10,000). The teacher learns from every training image (as a teacher
trained once and stored would) and is one of three sizes: "quick" (784-128-128-10, seconds), "page" (784-400-400-10, tens of
seconds on one core) and "full" (Hinton et al. 2015's 784-1200-1200-10 with dropout 0.5, minutes
to an hour on a CPU). Each is trained by the engine's one teacher trainer
(kdviz.train.train_teacher) and kept on disk (teacher_store), so a teacher is trained once per
server. What differs from the paper: no +-2 pixel input jitter and no max-norm weight constraint
(the engine trains on fixed inputs), plain Adam
instead of momentum SGD, early stopping on the validation split.
"""
from __future__ import annotations

import functools
from collections.abc import Generator

import numpy as np
import torch

from kdviz.data import make_dataset
from kdviz.data.image_files import SOURCES, locate
from kdviz.data.registry import Dataset
from kdviz.experiments.budget import Loop, mlp_params
from kdviz.experiments.protocol import Phase
from kdviz.train import TeacherConfig, model_logits, train_teacher

DATASETS = tuple(SOURCES)  # "fashion_mnist", "mnist"
TEACHERS = {  # size -> how its teacher trains
    "quick": TeacherConfig(hidden=(128, 128), dropout=0.2, lr=1e-3, steps=300, batch_size=128, eval_every=100,
                           patience=2, seed=0),
    "page": TeacherConfig(hidden=(400, 400), dropout=0.2, lr=1e-3, steps=1500, batch_size=128, eval_every=250,
                          patience=3, seed=0),
    "full": TeacherConfig(hidden=(1200, 1200), dropout=0.5, lr=1e-3, steps=20_000, batch_size=128, eval_every=1000,
                          patience=5, seed=0),
}
BATCH = 128  # the students' batch size (Hinton et al. trained on mini-batches of this order)


def missing(dataset: str) -> str | None:
    """One line saying how to get image set ``dataset`` when it is not on this machine; None when it is."""
    source = SOURCES[dataset]
    if locate(source) is not None:
        return None
    return f"{source.title} is not on this machine: {source.install}."


def image_data(dataset: str, n: int | None, test_n: int | None, seed: int = 0) -> Dataset:
    """The Dataset of ``dataset`` with ``n`` training and ``test_n`` test images (None: all), built once per process
    and folder; ImagesMissing (one line saying how to get it) when the files are not here."""
    if dataset not in SOURCES:
        raise ValueError(f"unknown image set {dataset!r}; choose one of {', '.join(SOURCES)}")
    found = locate(SOURCES[dataset])
    return _built(dataset, n, test_n, seed, found[1] if found else None)


@functools.lru_cache(maxsize=3)
def _built(dataset: str, n: int | None, test_n: int | None, seed: int, folder: str | None) -> Dataset:
    """make_dataset of the image set found in ``folder`` (part of the key: another folder is another set)."""
    return make_dataset(dataset, n=n, seed=seed, test_n=test_n)


def teacher_config(size: str) -> TeacherConfig:
    """The teacher of size ``size`` ("page" or "full"); ValueError naming the sizes otherwise."""
    if size not in TEACHERS:
        raise ValueError(f"unknown teacher size {size!r}; choose one of {', '.join(TEACHERS)}")
    return TEACHERS[size]


def teacher_for(ds: Dataset, size: str, device=None, hook=None):
    """The teacher of size ``size`` for ``ds`` (trained once, then from memory or disk), in eval mode."""
    return train_teacher(ds, teacher_config(size), device, hook)


def prepare(cfg, device=None, hook=None) -> Generator[Phase, None, tuple[Dataset, object]]:
    """A run's data (the students' transfer set) and teacher (trained on every training image), a Phase before each:
    ``ds, teacher = yield from prepare(cfg, device, hook)`` for settings.ImagesRun ``cfg``."""
    yield Phase("data", 0.0, "Reading the images…")
    ds, everything = cfg.data(), cfg.teacher_data()
    yield Phase("teacher", 0.0, f"Training the teacher ({architecture(teacher_config(cfg.teacher).hidden)})…")
    return ds, teacher_for(everything, cfg.teacher, device, hook)


def architecture(hidden, d_in: int = 784, d_out: int = 10) -> str:
    """'784-800-800-10'."""
    return "-".join(map(str, (d_in, *hidden, d_out)))


def logits_of(model, x: torch.Tensor) -> np.ndarray:
    """A model's logits on inputs x (N, D) as float32 NumPy (N, C)."""
    return model_logits(model, x).detach().cpu().numpy().astype(np.float32)


def teacher_loops(size: str) -> list[Loop]:
    """The teacher's training loop, for a run's cost estimate (an upper bound: early stopping may end it sooner;
    a stored teacher costs nothing)."""
    t = teacher_config(size)
    return [Loop(mlp_params(784, t.hidden, 10), t.batch_size, t.steps)]
