"""Common textbook misstatements about KD, each evaluated against what torch actually computes.

Every check returns the claimed number beside the true one (autograd, torch.nn.functional or an
exact formula) for the user's own logits, so a page can show the claim failing on live data.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from kdviz import softening as S
from kdviz.sweeps import _vector, autograd_soft_gradient


@dataclass
class Check:
    """One misstatement: what it claims, the value it predicts, and the value torch computes."""

    claim: str  # the statement as it is often written (LaTeX-free, one line)
    truth: str  # the correct statement
    claimed: float  # the number the claim predicts for the user's logits
    actual: float  # the number torch computes (the oracle named in `oracle`)
    oracle: str  # how `actual` was computed
    relation: str = "equal"  # "equal": the claim predicts `actual`; "greater": it predicts actual > claimed
    rtol: float = 1e-6  # relative tolerance of "equal" (looser where `actual` is itself a finite-T estimate)

    @property
    def holds(self) -> bool:
        """Whether torch's number bears the claim out (equal within rtol, or strictly greater)."""
        if self.relation == "greater":
            return bool(self.actual > self.claimed)
        return bool(np.isclose(self.claimed, self.actual, rtol=self.rtol, atol=1e-12))


def check_all(student, teacher, T: float) -> list[Check]:
    """Evaluate every misstatement for student logits z, teacher logits v (shape (N,)) at T."""
    z, v = S.check_pair(_vector(student, "student logits"), _vector(teacher, "teacher logits"))
    T = S.check_temperature(T)
    n = z.shape[-1]
    p, q = S.softmax_t(z, T), S.softmax_t(v, T)
    grad = np.linalg.norm(autograd_soft_gradient(z, v, T, t_squared=True))
    kl_pq = float(F.kl_div(q.log(), p, reduction="sum"))  # KL(p || q) by torch
    high_t = 1000.0
    exact_high = high_t ** 2 * S.kl_teacher_student(z, v, high_t).item()
    t_up = 4.0 * T
    return [
        Check("the gradient of T^2 KL is T^2 (p - q)", "the gradient of T^2 KL is T (p - q)",
              claimed=float(T * T * (p - q).norm()), actual=float(grad), oracle="||autograd gradient||"),
        Check("KL(p_s || p_t) = -sum p_t log(p_s / p_t)", "that sum is KL(p_t || p_s): the direction is swapped",
              claimed=float(-(q * (p.log() - q.log())).sum()), actual=kl_pq,
              oracle='F.kl_div(log p_t, p_s, reduction="sum") = KL(p_s || p_t)'),
        Check(f"raising T (here from {T:g} to {t_up:g}) increases the gradient magnitude",
              "with T^2 the norm stays O(1) and need not grow; without T^2 it falls like 1/T^2",
              claimed=float(grad), actual=float(np.linalg.norm(autograd_soft_gradient(z, v, t_up, t_squared=True))),
              oracle=f"||autograd gradient|| at T = {t_up:g}", relation="greater"),
        Check('F.kl_div(..., reduction="mean") is the KD soft loss', '"mean" also divides by N; use "batchmean"',
              claimed=_kl_div_mean(z, v, T),
              actual=S.kl_teacher_student(z, v, T).item(), oracle="KL(q || p) per sample"),
        Check("at high T, KD matches raw logits: (1/2N) ||z - v||^2",
              "it matches centred logits: (1/2N) ||z~ - v~||^2",
              claimed=float(((z - v) ** 2).sum() / (2 * n)), actual=exact_high, oracle="T^2 KL at T = 1000",
              rtol=1e-2),
    ]


def _kl_div_mean(z: torch.Tensor, v: torch.Tensor, T: float) -> float:
    """What F.kl_div(reduction="mean") returns for one sample (torch's own warning silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return float(F.kl_div(F.log_softmax(z / T, -1)[None], F.softmax(v / T, -1)[None], reduction="mean"))


def argmax_over_temperatures(logits, temps=(0.1, 1.0, 10.0, 100.0)) -> list[int]:
    """The predicted class at each temperature: always the same (T never changes the ranking)."""
    z = _vector(logits, "logits")
    return [int(S.softmax_t(z, T).argmax()) for T in temps]


def to_rows(checks: list[Check]) -> list[dict]:
    """Checks as table rows for display."""
    return [{"claim": c.claim, "claimed value": (f"> {c.claimed:.4g}" if c.relation == "greater" else f"{c.claimed:.4g}"), "torch computes": f"{c.actual:.4g}", "oracle": c.oracle,
             "verdict": "holds here" if c.holds else "false", "correct form": c.truth} for c in checks]
