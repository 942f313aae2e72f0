"""Dark knowledge you can see: a teacher's soft targets on real 28x28 test images, and what they say about the classes.

The teacher (kdviz.experiments.real_images.teachers) is trained once; this experiment keeps its
logits on the test images with the images themselves. From them the page shows one image's
soft targets at T beside T = 1, the class-similarity matrix the soft targets imply
(dark_knowledge.soft_targets.similarity), the images the teacher is least sure about (highest
entropy of its output at T = 1), and for each class the class the teacher most often takes it for.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from kdviz import softening
from kdviz.experiments.dark_knowledge import soft_targets
from kdviz.experiments.budget import Loop, loops_of
from kdviz.experiments.protocol import Experiment
from kdviz.experiments.real_images import teachers
from kdviz.experiments.real_images.settings import ImagesRun, from_seen
from kdviz.experiments.stats import count

SHOWN = 8  # ambiguous images shown


@dataclass
class SeenConfig(ImagesRun):
    """The images and the teacher whose soft targets are shown."""


@dataclass
class SeenSnapshot:
    """The teacher's test logits with the test images."""

    progress: float
    dataset: str
    class_names: list[str]
    logits: np.ndarray  # (N, C) float32
    labels: np.ndarray  # (N,) int64
    images: np.ndarray  # (N, H, W) uint8
    teacher_acc: float
    architecture: str
    source: str  # where the images came from (Dataset.info["source"])
    n_train: int  # training images the teacher learned from (all of them)


def run(cfg: SeenConfig, device: str | None = None, hook=None) -> Iterator:
    """Train (or load) the teacher and yield its logits on the test images.

    hook: called before each training step (a job's preemption point), or None.
    """
    ds, model = yield from teachers.prepare(cfg, device, hook)
    z = teachers.logits_of(model, ds.x_test.to(next(model.parameters()).device))  # (N, C)
    y = ds.y_test.numpy()
    arch = teachers.architecture(teachers.teacher_config(cfg.teacher).hidden)
    yield SeenSnapshot(1.0, cfg.image_set, list(ds.class_names), z, y, ds.info["images_test"],
                       float((z.argmax(-1) == y).mean()), arch,
                       ds.info["source"], len(cfg.teacher_data().y_train))


def uncertainty(logits: np.ndarray) -> np.ndarray:
    """Entropy (nats) of the teacher's output at T = 1 for each image: logits (N, C) -> (N,)."""
    return softening.entropy(torch.as_tensor(np.asarray(logits, dtype=np.float64)), 1.0).numpy()


def ambiguous(logits: np.ndarray, k: int = SHOWN) -> np.ndarray:
    """Indices of the k images the teacher is least sure about (highest entropy first; ties: lower index first)."""
    return np.argsort(-uncertainty(logits), kind="stable")[:k]


@dataclass
class TakenFor:
    """What the teacher takes the images of one class for."""

    cls: int
    n: int  # test images of the class
    wrong: int  # of them, taken for another class
    others: list[int]  # the other class(es) they are most often taken for (several on a tie; none when never wrong)
    times: int  # how often each of ``others`` was chosen


def taken_for(logits: np.ndarray, labels: np.ndarray) -> list[TakenFor]:
    """For each class: the class(es) the teacher's prediction (argmax) most often puts its images in, among wrong
    ones; classes without a test image are left out."""
    pred, y = np.asarray(logits).argmax(-1), np.asarray(labels)
    c = np.asarray(logits).shape[-1]
    out = []
    for k in range(c):
        mine = pred[y == k]
        if not len(mine):
            continue
        counts = np.bincount(mine, minlength=c)
        counts[k] = 0
        top = int(counts.max())
        out.append(TakenFor(k, int(len(mine)), int(counts.sum()), [int(j) for j in np.flatnonzero(counts == top)]
                            if top else [], top))
    return out


def taken_for_words(t: TakenFor, names: list[str]) -> str:
    """One class's TakenFor in words: "Shirt → T-shirt/top (112 of 1,000)", ties and "never mistaken" said as such."""
    if not t.others:
        return f"{names[t.cls]}: never mistaken ({count(t.n, 'image')})"
    who = " and ".join(names[j] for j in t.others)
    each = "a tie: " if len(t.others) > 1 else ""
    return f"{names[t.cls]} → {who} ({each}{t.times:,}{' each' if each else ''} of {t.n:,})"


def taken_for_sentence(snap: SeenSnapshot) -> str:
    """Each class and the class the teacher most often takes it for, and the most confused class, in words."""
    rows = taken_for(snap.logits, snap.labels)
    names = snap.class_names
    worst = max(rows, key=lambda t: t.wrong / t.n)
    tied = [t for t in rows if t.wrong * worst.n == worst.wrong * t.n]
    if worst.wrong == 0:
        head = "The teacher gets every test image right."
    else:
        which = " and ".join(names[t.cls] for t in tied)
        head = (f"The teacher is wrong most often on {which} ({worst.wrong / worst.n:.1%} of "
                f"{'their' if len(tied) > 1 else 'its'} images).")
    return f"{head} Most often taken for: " + "; ".join(taken_for_words(t, names) for t in rows) + "."


def image_title(snap: SeenSnapshot, i: int) -> str:
    """'Test image 4: a Shirt (teacher: Shirt, 0.62)'."""
    p = soft_targets.soft_targets(snap.logits[i], 1.0)
    guess = int(p.argmax())
    return (f"Test image {i}: a {snap.class_names[int(snap.labels[i])]} (teacher: {snap.class_names[guess]}, "
            f"{p[guess]:.2f})")


def models(cfg: SeenConfig, snap: SeenSnapshot) -> list[dict]:
    """One row: the teacher, what it is and its test accuracy."""
    t = teachers.teacher_config(cfg.teacher)
    return [{"role": "teacher", "dataset": snap.dataset, "architecture": snap.architecture, "dropout": t.dropout,
             "seed": t.seed, "lr": t.lr, "steps": t.steps, "train_images": snap.n_train, "status": "ok",
             "accuracy": snap.teacher_acc, "errors": int(round((1 - snap.teacher_acc) * len(snap.labels))),
             "test_images": int(len(snap.labels))}]


def verdict(cfg: SeenConfig, snap: SeenSnapshot) -> str:
    """The tab's sentences: the teacher's accuracy, what it takes each class for, the most alike pairs at T = 1."""
    sim = soft_targets.similarity(snap.logits, snap.labels, 1.0)
    return (f"The {snap.architecture} teacher gets {snap.teacher_acc:.1%} of {len(snap.labels):,} test images right "
            f"(it learned from {snap.n_train:,} training images). {taken_for_sentence(snap)} "
            + soft_targets.alike_sentence("Soft targets at T = 1", sim, snap.class_names))


@loops_of("real_seen")
def cost(cfg: SeenConfig) -> list[Loop]:
    """The teacher's training (stored after the first run)."""
    return teachers.teacher_loops(cfg.teacher)


EXPERIMENT = Experiment("real_seen", "Dark knowledge you can see: a teacher's soft targets on real images", SeenConfig,
                        run, SeenSnapshot, students=models, weights=lambda cfg, snap, k: None, verdict=verdict,
                        page_config=from_seen)
