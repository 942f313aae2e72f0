"""Common textbook misstatements about KD, each evaluated against what torch actually computes.

Every check returns the claimed number beside the true one (autograd, torch.nn.functional or an
exact formula) for the user's own logits, so a page can show the claim failing on live data.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from kdviz import softening as S
from kdviz.softening_curves import _vector, autograd_soft_gradient, logit_spread


ROUNDING_RTOL = 64 * torch.finfo(torch.float64).eps  # ~1.4e-14: two float64 values closer than this times their size are equal
MATCHES = "the student already matches the teacher: every term is 0"  # the verdict where both sides are 0
TOO_CLOSE = "both sides are 0 within float64 rounding: the student is too close to the teacher to tell"


def negligible(x: float, scale: float) -> bool:
    """Whether ``x`` is 0 within float64 rounding of quantities of size ``scale`` (ROUNDING_RTOL relative)."""
    return abs(float(x)) <= ROUNDING_RTOL * abs(float(scale))


def student_matches_teacher(student, teacher) -> bool:
    """Whether z equals v up to one shift of all logits, within float64 rounding of the logits' size.

    Then p^T = q^T at every T: the soft loss, its gradient and every term built from them are 0, and a
    ratio or a comparison of them compares rounding noise.
    """
    z, v = S.check_pair(_vector(student, "student logits"), _vector(teacher, "teacher logits"))
    return _equal_logits(S.centre(z), S.centre(v), torch.cat([z, v]).abs().max())


def _equal_logits(a: torch.Tensor, b: torch.Tensor, size) -> bool:
    """Whether logits a and b (N,) are equal within float64 rounding of logits of magnitude ``size``."""
    return negligible((a - b).abs().max(), float(size))


def kl_rounding(z: torch.Tensor, v: torch.Tensor, T: float) -> float:
    """The float64 rounding of KL(q^T || p^T) for logits z, v (..., N): ROUNDING_RTOL times the size of the
    log-probabilities it sums (|logits| / T + log N); a KL below it is 0."""
    size = float(torch.cat([z, v], -1).abs().max()) / T + math.log(z.shape[-1])
    return ROUNDING_RTOL * (1.0 + size)


def match_sentence(student, teacher) -> str | None:
    """The degenerate case in words when the student matches the teacher (student_matches_teacher), else None."""
    if not student_matches_teacher(student, teacher):
        return None
    z, v = _vector(student, "student logits"), _vector(teacher, "teacher logits")
    how = ("its logits equal the teacher's" if _equal_logits(z, v, torch.cat([z, v]).abs().max())
           else f"its logits are the teacher's shifted by {float((z - v).mean()):.4g}, which a softmax ignores")
    return (f"{MATCHES[0].upper()}{MATCHES[1:]}, at every T ({how}). The soft loss, its gradient with or without "
            "T², the high-T limit and the claims below compare 0 with 0: change one logit to see them.")


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
    atol: float = 0.0  # float64 rounding of the quantities compared in absolute terms: below it a value is 0
    trivial: str = ""  # why the verdict says nothing about the claim for these logits (empty when it does)

    @property
    def holds(self) -> bool:
        """Whether torch's number bears the claim out (equal within rtol and atol, or greater by more than both)."""
        if self.relation == "greater":
            return bool(self.actual - self.claimed > self.atol + self.rtol * abs(self.claimed))
        return bool(np.isclose(self.claimed, self.actual, rtol=self.rtol, atol=self.atol))

    @property
    def verdict(self) -> str:
        """The verdict in words: "holds here", "false", or why the comparison cannot tell (``trivial``)."""
        if self.trivial:
            return self.trivial
        if max(abs(self.claimed), abs(self.actual)) <= self.atol:
            return TOO_CLOSE
        return "holds here" if self.holds else "false"


HIGH_T_RATIO = 1e4  # the high-T oracle's temperature, in units of the logits' spread


def high_temperature_loss(z: torch.Tensor, v: torch.Tensor) -> tuple[float, float]:
    """(T, T^2 KL(q^T || p^T)) at T = HIGH_T_RATIO x the logits' spread, where the logit-matching
    limit holds to about 1e-4: a fixed T is not "high" for logits of any size.

    Computed on logits divided by their spread s (softmax(v / T) is unchanged by dividing both v
    and T by s, and T^2 scales by s^2), so T never leaves the range kdviz.softening accepts.
    """
    s = max(logit_spread(z, v), 1e-3)
    return HIGH_T_RATIO * s, s * s * HIGH_T_RATIO ** 2 * S.kl_teacher_student(z / s, v / s, HIGH_T_RATIO).item()


def check_all(student, teacher, T: float) -> list[Check]:
    """Evaluate every misstatement for student logits z, teacher logits v (shape (N,)) at T.

    Everything is computed in float64 from log-softmax, so extreme logits (+-1e4 at T = 1, a
    gap of 100 at T = 0.1) give finite numbers where probabilities underflow to 0.
    """
    z, v = S.check_pair(_vector(student, "student logits"), _vector(teacher, "teacher logits"))
    T = S.check_temperature(T)
    n = z.shape[-1]
    logp, logq = S.log_softmax_t(z, T), S.log_softmax_t(v, T)
    p, q = logp.exp(), logq.exp()
    grad = np.linalg.norm(autograd_soft_gradient(z, v, T, t_squared=True))
    high_t, exact_high = high_temperature_loss(z, v)
    t_up = 4.0 * T
    same = MATCHES if student_matches_teacher(z, v) else ""  # p = q: every term of the first four is 0
    raw_same = same if _equal_logits(z, v, torch.cat([z, v]).abs().max()) else ""  # raw logits equal too: both limits are 0
    kl_atol = kl_rounding(z, v, T)
    t_is_t2 = ("holds here only because T² = T at T = 1: at any other T the two differ by a factor T"
               if np.isclose(T * T, T, rtol=ROUNDING_RTOL, atol=0) else "")
    return [
        Check("the gradient of T^2 KL is T^2 (p - q)", "the gradient of T^2 KL is T (p - q)",
              claimed=float(T * T * (p - q).norm()), actual=float(grad), oracle="||autograd gradient||",
              atol=ROUNDING_RTOL * max(T, T * T), trivial=same or t_is_t2),
        Check("KL(p_s || p_t) = -sum p_t log(p_s / p_t)", "that sum is KL(p_t || p_s): the direction is swapped",
              claimed=float(-(q * (logp - logq)).sum()), actual=float(S.kl_from_log(logp, logq)),
              oracle="sum p_s (log p_s - log p_t) from log-softmax = KL(p_s || p_t)", atol=kl_atol, trivial=same),
        Check(f"raising T (here from {T:g} to {t_up:g}) increases the gradient magnitude",
              "with T^2 the norm tends to ||z~ - v~|| / N once T is much larger than the logits' spread and need "
              "not grow on the way; without T^2 it then falls like 1/T^2",
              claimed=float(grad), actual=float(np.linalg.norm(autograd_soft_gradient(z, v, t_up, t_squared=True))),
              oracle=f"||autograd gradient|| at T = {t_up:g}", relation="greater", rtol=ROUNDING_RTOL,
              atol=ROUNDING_RTOL * t_up, trivial=same),
        Check('F.kl_div(..., reduction="mean") is the KD soft loss', '"mean" also divides by N; use "batchmean"',
              claimed=_kl_div_mean(z, v, T),
              actual=S.kl_teacher_student(z, v, T).item(), oracle="KL(q || p) per sample", atol=kl_atol, trivial=same),
        Check("at high T, KD matches raw logits: (1/2N) ||z - v||^2",
              "it matches centred logits: (1/2N) ||z~ - v~||^2, once T is much larger than the logits' spread",
              claimed=float(((z - v) ** 2).sum() / (2 * n)), actual=exact_high,
              oracle=f"T^2 KL at T = {high_t:.3g} (10,000 x the logits' spread)", rtol=1e-2, trivial=raw_same),
        alpha_check(z, v, T),
        mutual_information_check(z, v, T),
    ]


def alpha_check(z: torch.Tensor, v: torch.Tensor, T: float) -> Check:
    """'alpha = number of classes / distillation importance': alpha is a free weight in [0, 1].

    The claim's alpha for an importance of 1 is N; the largest alpha that keeps the soft term's
    weight (1 - alpha) from turning negative (pushing z away from v) is 1. The correct form shows
    what alpha does: the KD loss (label = the teacher's class) at alpha 0, 0.5 and 1.
    """
    n = z.shape[-1]
    y = v.argmax(-1, keepdim=True)
    losses = [S.kd_loss(z[None], v[None], y, T, a).total.item() for a in (0.0, 0.5, 1.0)]
    return Check("alpha = number of classes / distillation importance",
                 "alpha is a free weight in [0, 1] on the hard labels: L = alpha CE + (1 - alpha) T^2 KL; here "
                 f"L = {losses[0]:.4g} at alpha 0 (teacher only), {losses[1]:.4g} at 0.5, {losses[2]:.4g} at 1 "
                 f"(labels only). This verdict is false for any logits, by construction: the claim's alpha for an "
                 f"importance of 1 is N = {n}, and N >= 2 always lies above 1",
                 claimed=float(n), actual=1.0,
                 oracle="largest alpha keeping the soft term's weight 1 - alpha >= 0")


def mutual_information_check(z: torch.Tensor, v: torch.Tensor, T: float) -> Check:
    """'Student = argmin I(teacher output; student output)': a constant student has I = 0.

    Inputs: the N cyclic shifts of (z, v), equally likely, so the teacher predicts every class
    once. The mutual information of the predicted classes is 0 for the constant student (the
    minimum, so the claim would choose it) and log N for a student that copies the teacher; the
    claimed value is the constant student's E_x KL(q^T || p^T), the true one the copy's (0), the
    quantity KD minimises. The user's student is reported beside them.
    """
    n = z.shape[-1]
    shifts = torch.stack([torch.roll(v, k) for k in range(n)])  # (N, N) teacher logits per input
    mine = torch.stack([torch.roll(z, k) for k in range(n)])  # (N, N) the user's student per input
    constant = torch.zeros_like(shifts)  # a student that outputs the same (uniform) logits everywhere

    def kl(student):
        return S.kl_teacher_student(student, shifts, T).mean().item()

    def info(student):
        return predicted_mutual_information(shifts.argmax(-1), student.argmax(-1), n)

    return Check("Student = argmin I(teacher output; student output)",
                 "KD minimises E_x KL(q || p): over the N shifted inputs a constant student has I = "
                 f"{info(constant):.3g} nats (the minimum) but E KL = {kl(constant):.4g}; a copy of the teacher has "
                 f"I = {info(shifts):.3g} and E KL = 0; your student I = {info(mine):.3g}, E KL = {kl(mine):.4g}",
                 claimed=kl(constant), actual=kl(shifts),
                 oracle="E_x KL(q || p) of the argmin-I (constant) student vs the distilled one",
                 atol=kl_rounding(z, v, T),
                 trivial=("the teacher's logits are all equal: the constant student is the teacher, so both are 0"
                          if _equal_logits(v, torch.full_like(v, float(v.mean())), v.abs().max()) else ""))


def predicted_mutual_information(a: torch.Tensor, b: torch.Tensor, n: int) -> float:
    """Mutual information in nats between two label vectors a, b (shape (M,), values < n), inputs equally likely."""
    joint = torch.zeros(n, n, dtype=torch.float64)
    joint.index_put_((a, b), torch.ones(len(a), dtype=torch.float64), accumulate=True)
    joint /= joint.sum()
    pa, pb = joint.sum(1, keepdim=True), joint.sum(0, keepdim=True)
    nz = joint > 0
    return float((joint[nz] * (joint[nz].log() - (pa * pb).expand_as(joint)[nz].log())).sum())


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
    return [{"claim": c.claim, "verdict": c.verdict, "correct form": c.truth,
             "claimed value": (f"> {c.claimed:.4g}" if c.relation == "greater" else f"{c.claimed:.4g}"),
             "torch computes": f"{c.actual:.4g}", "oracle": c.oracle} for c in checks]
