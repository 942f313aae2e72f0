"""The character model's teacher: one CharGRU trained on the training text with next-character cross-entropy,
trained once per server (the warm-up or the first run) and kept on disk beside the classifier pages' teachers.

The stored file holds plain tensors, numbers and strings (its shape, its weights, its held-out bits per character),
read with torch.load(weights_only=True), keyed by the training settings, the device's kind and the code version
(kdviz.train.teacher_store.path_of); a damaged file is a miss, logged, deleted and trained again.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch

from kdviz.lm.corpus import Corpus
from kdviz.lm.distil import held_out_metrics
from kdviz.lm.losses import labels_loss
from kdviz.lm.model import CharGRU, Shape
from kdviz.storage import read_checked, write_atomically
from kdviz.train.teacher_store import path_of

TEACHER = Shape(embed=32, hidden=256)  # about 0.25 million parameters: a few minutes on one CPU core
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TeacherRecipe:
    """How the stored teacher is trained (its cache key)."""

    shape: Shape = TEACHER
    steps: int = 1200
    seed: int = 0
    window: int = 64  # characters per training window
    batch: int = 32  # windows per step
    lr: float = 3e-3


RECIPE = TeacherRecipe()
HELD_OUT = dict(length=128, count=64, seed=1)  # the held-out windows the teacher's bits per character are measured on


def train_teacher(corpus: Corpus, shape: Shape = TEACHER, steps: int = 1200, seed: int = 0, window: int = 64,
                  batch: int = 32, lr: float = 3e-3, device: torch.device | str = "cpu",
                  report: Callable[[int, float], None] | None = None) -> CharGRU:
    """A teacher trained ``steps`` steps on seeded windows of the training text (Adam, the learning rate halved over
    the last third); ``report(step, loss)`` every 100 steps."""
    model = CharGRU(shape, [seed], device=device)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda t: 1.0 if t < 2 * steps // 3 else 0.5)
    for step in range(steps):
        ids = corpus.windows("train", window, batch, seed=seed * 1_000_003 + step).to(device)  # (B, window + 1)
        z, _ = model(ids[:, :-1])  # (1, B, window, V)
        loss = labels_loss(z[0], ids[:, 1:])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        if report is not None and (step + 1) % 100 == 0:
            report(step + 1, float(loss.detach()))
    return model.eval()


def teacher_bits_per_char(teacher: CharGRU, windows: torch.Tensor) -> float:
    """The teacher's held-out bits per character on ``windows`` (N, L + 1)."""
    return float(held_out_metrics(teacher, teacher, windows)["bits_per_char"][0])


def held_out_windows(corpus: Corpus, device: torch.device | str = "cpu") -> torch.Tensor:
    """The held-out windows (64, 129) the stored teacher's bits per character are measured on."""
    return corpus.windows("held_out", HELD_OUT["length"], HELD_OUT["count"], HELD_OUT["seed"]).to(device)


def _key(recipe: TeacherRecipe, device: torch.device) -> tuple:
    return ("lm_teacher", tuple(asdict(recipe).items()), torch.device(device).type)


def _record(model: CharGRU, bits: float) -> dict:
    """The teacher as plain tensors, numbers and strings."""
    return {"shape": asdict(model.shape), "state": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "bits_per_char": float(bits)}


def _model(record: dict, device: torch.device) -> CharGRU:
    """The CharGRU that _record wrote, on ``device`` in eval mode, its bits per character as ``bits_per_char``."""
    if not (isinstance(record, dict) and all(isinstance(record.get(k), dict) for k in ("state", "shape"))):
        raise ValueError(f"a stored language-model teacher is a dict of shape and state, got {type(record).__name__}")
    model = CharGRU(Shape(**record["shape"]), [0], device=device)
    model.load_state_dict(record["state"])
    model.bits_per_char = float(record["bits_per_char"])
    return model.eval()


def stored_teacher(corpus: Corpus, device: torch.device | str = "cpu", recipe: TeacherRecipe = RECIPE,
                   report: Callable[[int, float], None] | None = None) -> CharGRU:
    """The teacher of ``recipe``: loaded from the disk store, or trained (``report`` as train_teacher's) and stored;
    its held-out bits per character in ``.bits_per_char``."""
    device = torch.device(device)
    path = path_of(_key(recipe, device))
    model = read_checked(path, lambda f: _model(torch.load(f, map_location=device, weights_only=True), device), CharGRU)
    if model is not None:
        return model
    model = train_teacher(corpus, recipe.shape, recipe.steps, recipe.seed, recipe.window, recipe.batch, recipe.lr,
                          device, report)
    keep(model, teacher_bits_per_char(model, held_out_windows(corpus, device)), device, recipe)
    return model


def keep(model: CharGRU, bits: float, device: torch.device | str = "cpu", recipe: TeacherRecipe = RECIPE) -> None:
    """Store ``model`` (held-out ``bits`` per character, kept in its ``bits_per_char``) as the teacher of ``recipe``
    for ``device``'s kind (atomically; a failure is logged, never raised)."""
    model.bits_per_char = float(bits)
    path = path_of(_key(recipe, torch.device(device)))
    try:
        write_atomically(path, lambda f: torch.save(_record(model, bits), f))
    except OSError:
        log.warning("could not store the language-model teacher %s", path)


def is_stored(device: torch.device | str = "cpu", recipe: TeacherRecipe = RECIPE) -> bool:
    """Whether the teacher of ``recipe`` for ``device``'s kind is on disk (a run then does not train it)."""
    return path_of(_key(recipe, torch.device(device))).exists()
