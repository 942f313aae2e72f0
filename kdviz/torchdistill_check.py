"""A slip in real code, checked: torchdistill 1.1.5's KDLoss drops the T^2 factor when alpha = 0.

The source read (torchdistill 1.1.5, the PyPI wheel, torchdistill/losses/mid_level.py, class
KDLoss(nn.KLDivLoss)) documents L = alpha CE + (1 - alpha) tau^2 KL, and its forward is:

    soft_loss = super().forward(torch.log_softmax(student_logits / self.temperature, dim=1),
                                torch.softmax(teacher_logits / self.temperature, dim=1))
    if self.alpha is None or self.alpha == 0 or targets is None:
        return soft_loss
    hard_loss = self.cross_entropy_loss(student_logits, targets)
    return self.alpha * hard_loss + self.beta * (self.temperature ** 2) * soft_loss

with reduction "batchmean" for the KL (the default), "mean" for the cross-entropy and beta =
1 - alpha. So at alpha = 0 it returns KL without tau^2, and the loss scale jumps by about tau^2
between alpha = 0 and alpha = 0.001; for every other alpha it is kdviz.softening.kd_loss.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from kdviz import softening as S
from kdviz.misstatements import MATCHES, kl_rounding, student_matches_teacher

SMALL_ALPHA = 0.001  # the nearest alpha to 0 that takes torchdistill's documented branch


def torchdistill_kd_loss(z, v, labels, T: float, alpha: float | None, beta: float | None = None) -> torch.Tensor:
    """torchdistill 1.1.5's KDLoss.forward on logits z, v (B, N) and labels (B,), line for line (see the module)."""
    z, v = S.check_pair(z, v)
    beta = 1 - alpha if beta is None and alpha is not None else beta
    soft_loss = F.kl_div(torch.log_softmax(z / T, dim=1), torch.softmax(v / T, dim=1), reduction="batchmean")
    if alpha is None or alpha == 0 or labels is None:
        return soft_loss
    hard_loss = F.cross_entropy(z, torch.as_tensor(labels), reduction="mean")
    return alpha * hard_loss + beta * (T ** 2) * soft_loss


@dataclass
class ScaleJump:
    """torchdistill's loss at alpha = 0 and at SMALL_ALPHA beside the documented formula (kd_loss), at one T."""

    T: float
    at_zero: float  # torchdistill at alpha = 0: KL without T^2
    at_small: float  # torchdistill at alpha = SMALL_ALPHA: the documented formula
    documented_zero: float  # kdviz.softening.kd_loss at alpha = 0: T^2 KL
    kl_rounding: float = 0.0  # float64 rounding of the KL for these logits at T: a KL below it is 0
    matches: bool = False  # the student matches the teacher up to a shift (misstatements.student_matches_teacher)

    @property
    def jump(self) -> float | None:
        """How many times larger the loss is at SMALL_ALPHA than at alpha = 0; None where the KL at alpha = 0 is 0
        within rounding (the student matches the teacher, or nearly), so the ratio would divide rounding noise."""
        if self.at_zero <= self.kl_rounding:
            return None
        return self.at_small / self.at_zero


def scale_jump(z, v, T: float) -> ScaleJump:
    """The jump for student logits z and teacher logits v (N,) in float64, the label being the teacher's class."""
    z, v = S.check_pair(torch.as_tensor(z, dtype=torch.float64)[None], torch.as_tensor(v, dtype=torch.float64)[None])
    y = v.argmax(-1)
    return ScaleJump(T, float(torchdistill_kd_loss(z, v, y, T, 0.0)), float(torchdistill_kd_loss(z, v, y, T, SMALL_ALPHA)),
                     float(S.kd_loss(z, v, y, T, 0.0).total), kl_rounding(z, v, T), student_matches_teacher(z[0], v[0]))


def sentence(j: ScaleJump) -> str:
    """The note for a page, every number computed from ``j``; the degenerate case (a KL of 0) in words."""
    head = ("Real code slips too. torchdistill 1.1.5's `KDLoss` documents alpha CE + (1 - alpha) tau^2 KL, but at "
            "alpha = 0 it returns the KL without tau^2")
    if j.jump is None:
        why = (f"{MATCHES} (the KL is 0 at every T)" if j.matches else
               f"the KL at T = {j.T:g} is {j.at_zero:.2g}, 0 within float64 rounding ({j.kl_rounding:.2g})")
        return (f"{head}. For your logits {why}, so both forms give 0 at alpha = 0 and there is "
                f"no jump to measure: at alpha = {SMALL_ALPHA:g} the loss is {j.at_small:.4g}, the hard label's term "
                "alone. Change one logit to see the jump.")
    return (f"{head}: for your logits at T = {j.T:g} it gives {j.at_zero:.4g} at "
            f"alpha = 0 and {j.at_small:.4g} at alpha = {SMALL_ALPHA:g}, a jump of {j.jump:.4g} times (T^2 = "
            f"{j.T ** 2:.4g}), where the documented formula gives {j.documented_zero:.4g} at alpha = 0. For every "
            "other alpha it equals `kdviz.softening.kd_loss` (checked in kdviz's tests at T 0.5 to 20).")
