"""Dark knowledge on the 8x8 digits: what a teacher's soft targets say, as numbers for the page.

The page's state is DarkConfig. The teachers (normal and label-smoothed, kdviz.lessons.
digits_teachers) are trained in a background job (teachers_task); its snapshot holds their test
logits, from which everything of the first tabs is computed here: soft targets of one image at T
(soft_targets), the class-similarity matrix (similarity, alike_pairs) and what the soft targets
carry as T changes (temperature_profile: entropy and the DKD split against a know-nothing student).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from kdviz import softening as S
from kdviz.sweeps import T_CHOICES

N_TEST = 539  # test images of the digits split at seed 0 (asserted by the tests)
PROFILE_T = np.geomspace(0.5, 50.0, 41)  # temperatures of the "what soft targets carry" curves


@dataclass
class DarkConfig:
    """Everything the Dark knowledge page shows or trains, round-tripped through the URL."""

    image: int = field(default=0, metadata={"lo": 0, "hi": N_TEST - 1})  # test image shown in the first tab
    T: float = field(default=4.0, metadata={"choices": T_CHOICES})  # temperature of the soft targets shown
    omit: int = field(default=3, metadata={"lo": 0, "hi": 9})  # digit left out of the students' transfer set
    kd_T: float = field(default=8.0, metadata={"choices": T_CHOICES})  # temperature the students are distilled at
    alpha: float = field(default=0.1, metadata={"lo": 0.0, "hi": 1.0})  # weight of the hard-label term
    steps: int = field(default=2000, metadata={"lo": 50, "hi": 5000})  # student training steps
    seeds: int = field(default=3, metadata={"lo": 1, "hi": 5})  # students per role (mean +- std)
    bias: float = field(default=0.0, metadata={"lo": -2.0, "hi": 10.0})  # added to the omitted digit's logit
    sweep_steps: int = field(default=1000, metadata={"lo": 50, "hi": 3000})  # steps of each sweep student
    sweep_seeds: int = field(default=3, metadata={"lo": 1, "hi": 5})


def teachers_task(config: dict, emit, control) -> None:
    """Job task: train (or fetch from this worker's cache) both digits teachers; emit their test logits.

    config: {"eps": label smoothing of the second teacher}. The snapshot: "logits" (2, N, C) float32
    (normal, smoothed), "labels" (N,), "images" (N, 8, 8), "test_acc" (2,), "eps".
    """
    from kdviz.lessons.digits_teachers import SMOOTHING, digits_data, teacher_for
    from kdviz.train import model_logits

    eps = float(config.get("eps", SMOOTHING))
    ds = digits_data(0)
    logits = []
    for i, e in enumerate((0.0, eps)):
        if not control.proceed():
            return
        emit({"progress": i / 2, "phase": f"teacher {i + 1} of 2"})
        logits.append(model_logits(teacher_for(ds, e), ds.x_test).numpy())  # (N, C)
    z = np.stack(logits).astype(np.float32)  # (2, N, C)
    y = ds.y_test.numpy()
    emit({"progress": 1.0, "phase": "done", "logits": z, "labels": y, "images": ds.info["images_test"],
          "test_acc": (z.argmax(-1) == y).mean(-1), "eps": eps})


def teachers_job(eps: float | None = None) -> tuple[str, dict]:
    """The (function path, config) pair of the teachers job."""
    return "kdviz.lessons.dark_knowledge:teachers_task", {} if eps is None else {"eps": float(eps)}


def soft_targets(logits: np.ndarray, T: float) -> np.ndarray:
    """softmax(v / T) of teacher logits (..., C), via kdviz.softening.softmax_t, as float64 NumPy."""
    return S.softmax_t(torch.as_tensor(np.asarray(logits, dtype=np.float64)), float(T)).numpy()


def ranked_guesses(p: np.ndarray, k: int = 3) -> list[tuple[int, float]]:
    """The k most probable classes of one soft target (C,), best first, as (class, probability)."""
    order = np.argsort(-p, kind="stable")[:k]
    return [(int(c), float(p[c])) for c in order]


def similarity(logits: np.ndarray, labels: np.ndarray, T: float) -> np.ndarray:
    """Class-similarity matrix (C, C): row c is the teacher's mean soft target at T over images of true class c.

    Each row sums to 1. A class with no image gets a row of NaN.
    """
    p = soft_targets(logits, T)  # (N, C)
    c = p.shape[-1]
    out = np.full((c, c), np.nan)
    for k in range(c):
        rows = p[np.asarray(labels) == k]
        if len(rows):
            out[k] = rows.mean(0)
    return out


def alike_pairs(sim: np.ndarray, top: int = 5) -> list[tuple[int, int, float]]:
    """The most alike class pairs (a < b, mean of the two off-diagonal entries), most alike first."""
    sym = (sim + sim.T) / 2  # (C, C)
    c = len(sym)
    pairs = [(a, b, float(sym[a, b])) for a in range(c) for b in range(a + 1, c) if np.isfinite(sym[a, b])]
    return sorted(pairs, key=lambda t: -t[2])[:top]


def structure_score(sim: np.ndarray) -> float:
    """How unequal the off-diagonal similarities are: their standard deviation relative to their mean.

    0 when every wrong class gets the same mass (no similarity structure), larger when some pairs
    are much more alike than others. Scale-free, so teachers of different confidence compare.
    """
    off = sim[~np.eye(len(sim), dtype=bool)]
    off = off[np.isfinite(off)]
    return float(off.std() / off.mean()) if off.size and off.mean() > 0 else 0.0


def temperature_profile(logits: np.ndarray, labels: np.ndarray, Ts=PROFILE_T) -> dict[str, np.ndarray]:
    """What soft targets carry at each T, averaged over images: each entry has shape (len(Ts),).

    entropy: H(q^T) (nats). q_target: the true class's probability. Against a student that knows
    nothing (uniform output, logits 0), the KD loss KL(q^T || uniform) splits exactly
    (kdviz.softening.dkd_split) into tckd (how sure the teacher is of the true class) and
    (1 - q_target) * nckd ("non_target": what the ranking of the wrong classes adds).
    """
    v = torch.as_tensor(np.asarray(logits, dtype=np.float64))  # (N, C)
    y = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    z = torch.zeros_like(v)
    out = {k: [] for k in ("entropy", "q_target", "tckd", "non_target", "kd")}
    for T in Ts:
        d = S.dkd_split(z, v, y, float(T))
        out["entropy"].append(float(S.entropy(v, float(T)).mean()))
        out["q_target"].append(float(d.q_target.mean()))
        out["tckd"].append(float(d.tckd.mean()))
        out["non_target"].append(float(((1 - d.q_target) * d.nckd).mean()))
        out["kd"].append(float(d.kd.mean()))
    return {"T": np.asarray(Ts, dtype=float), **{k: np.asarray(v_) for k, v_ in out.items()}}
