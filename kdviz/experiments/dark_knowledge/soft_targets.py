"""What a teacher's soft targets say, as numbers: one image's soft targets, class similarity, what T reveals.

Everything here is computed from teacher logits (N, C) on the digits test set (the Dark
knowledge page's teachers, kdviz.experiments.dark_knowledge.teachers) with kdviz.softening.
"""
from __future__ import annotations

import numpy as np
import torch

from kdviz import softening

PROFILE_T = np.geomspace(0.5, 50.0, 41)  # temperatures of the "what soft targets carry" curves


def soft_targets(logits: np.ndarray, T: float) -> np.ndarray:
    """softmax(v / T) of teacher logits (..., C), via kdviz.softening.softmax_t, as float64 NumPy."""
    return softening.softmax_t(torch.as_tensor(np.asarray(logits, dtype=np.float64)), float(T)).numpy()


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
    (1 - q_target) * nckd ("non_target": what the distribution over the wrong classes adds).
    """
    v = torch.as_tensor(np.asarray(logits, dtype=np.float64))  # (N, C)
    y = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    z = torch.zeros_like(v)
    out = {k: [] for k in ("entropy", "q_target", "tckd", "non_target", "kd")}
    for T in Ts:
        d = softening.dkd_split(z, v, y, float(T))
        out["entropy"].append(float(softening.entropy(v, float(T)).mean()))
        out["q_target"].append(float(d.q_target.mean()))
        out["tckd"].append(float(d.tckd.mean()))
        out["non_target"].append(float(((1 - d.q_target) * d.nckd).mean()))
        out["kd"].append(float(d.kd.mean()))
    return {"T": np.asarray(Ts, dtype=float), **{k: np.asarray(v_) for k, v_ in out.items()}}


def profiles(logits: np.ndarray, labels: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """temperature_profile of both page teachers, logits (2, N, C): {"normal": ..., "smoothed": ...}."""
    return {"normal": temperature_profile(logits[0], labels), "smoothed": temperature_profile(logits[1], labels)}


def guesses_sentence(p_t: np.ndarray, p_1: np.ndarray, label: int, T: float, names: list[str] | None = None,
                     teacher: str = "normal teacher", what: str = "digits") -> str:
    """The teacher's three best guesses at T and the mass the wrong classes share at T = 1 and at T, in words
    (``names``: the classes' names, their numbers when None; ``what``: what the classes are called)."""
    name = (lambda c: str(c)) if names is None else (lambda c: names[c])
    (g1, q1), (g2, q2), (g3, q3) = ranked_guesses(p_t)
    return (f"The {teacher}'s guesses at T = {T:g}: **{name(g1)}** ({q1:.3g}), second **{name(g2)}** ({q2:.3g}), "
            f"third **{name(g3)}** ({q3:.3g}). At T = 1 the non-target {what} share {1 - p_1[label]:.2g} of the mass; "
            f"at T = {T:g} they share {1 - p_t[label]:.2g}. The log scale shows the small values a student learns "
            "from.")


def alike_sentence(name: str, sim: np.ndarray, names: list[str] | None = None) -> str:
    """A teacher's most alike class pairs and its structure score, in words (``names``: the classes' names, their
    numbers when None)."""
    label = (lambda c: str(c)) if names is None else (lambda c: names[c])
    pairs = ", ".join(f"{label(a)}-{label(b)} ({s:.3f})" for a, b, s in alike_pairs(sim))
    return (f"**{name}**: most alike pairs {pairs}. Structure (std / mean of the off-diagonal "
            f"entries): **{structure_score(sim):.2f}**.")


def profile_sentence(normal: dict, smoothed: dict) -> str:
    """Where each teacher's non-target part peaks over T (temperature_profile outputs), in words: "peaks at" only
    for a maximum inside the temperatures computed, never for one at their edge."""
    return (f"The normal teacher's non-target part {_peak_words(normal)}; the smoothed teacher's "
            f"{_peak_words(smoothed)}. At high T every soft target tends to uniform and both parts vanish.")


def _peak_words(profile: dict) -> str:
    """Where profile["non_target"] (over profile["T"]) is largest, said as a peak only when it is inside the grid."""
    T, part = profile["T"], profile["non_target"]
    k = int(part.argmax())
    value = f"({part[k]:.3f} nats)"
    if k == 0:
        return f"is largest at the lowest T computed, {T[0]:.2g} {value}: its peak, if any, lies at or below it"
    if k == len(T) - 1:
        return f"is largest at the highest T computed, {T[-1]:.2g} {value}: it is still rising there"
    return f"peaks at T = {T[k]:.2g} {value}"


