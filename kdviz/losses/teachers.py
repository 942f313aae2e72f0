"""Targets built from several teachers: multi-teacher combination rules and born-again generations.

The result is a target distribution (as log-probabilities) to distil toward with
kdviz.losses.soft_target_loss. Teachers are fixed, so combine once per dataset, not per step.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from kdviz.losses._shapes import member_param
from kdviz.softening import as_logits, check_temperature

RULES = ("avg_prob", "avg_logit", "confidence")  # combination rules of combine_teachers
CONFIDENCE = ("max_prob", "neg_entropy")  # per-teacher confidence scores for rule="confidence"


@dataclass
class TeacherMix:
    """A combined teacher target, per sample."""

    log_probs: torch.Tensor  # (..., C) log of the combined target distribution at temperature T
    weights: torch.Tensor  # (M, ...) weight of each teacher per sample (sums to 1 over M)
    dominant: torch.Tensor  # (...) teacher giving the most weighted probability to the combined top class


def combine_teachers(teacher_logits, rule: str = "avg_prob", T=1.0, sharpness=1.0,
                     confidence: str = "max_prob") -> TeacherMix:
    """Combine M teachers' logits (M, B, C) (any (M, ..., C)) into one target distribution per sample.

    With q_m = softmax(v_m / T):
    - "avg_prob":   r = (1/M) sum_m q_m (an ensemble's averaged probabilities);
    - "avg_logit":  r = softmax(((1/M) sum_m v_m) / T) (averaged logits, sharper than avg_prob);
    - "confidence": r = sum_m w_m q_m with w = softmax_m(sharpness * c_m), c_m the teacher's
      confidence on that sample at T = 1: its max probability ("max_prob") or its negative entropy
      ("neg_entropy"). sharpness = 0 gives avg_prob; a large sharpness follows the most confident.
    weights are w (uniform 1/M for the averaging rules); dominant[b] = argmax_m w_m q_m[c*] with c*
    the combined top class: the teacher that contributes most to the combined prediction.
    """
    v = as_logits(teacher_logits, "teacher logits")  # (M, B, C)
    if v.dim() < 2 or v.shape[0] == 0:
        raise ValueError(f"teacher logits need shape (teachers >= 1, batch, classes), got {tuple(v.shape)}")
    if rule not in RULES:
        raise ValueError(f"unknown combination rule {rule!r}; choose one of {', '.join(RULES)}")
    T = check_temperature(T)
    if isinstance(T, torch.Tensor) and T.numel() != 1:
        raise ValueError("combine_teachers takes one temperature; combine once per temperature")
    m = v.shape[0]
    logq = F.log_softmax(v / T, -1)  # (M, B, C)
    log_w = torch.full(v.shape[:-1], -math.log(m), dtype=v.dtype, device=v.device)  # (M, B)
    if rule == "confidence":
        if confidence not in CONFIDENCE:
            raise ValueError(f"unknown confidence score {confidence!r}; choose one of {', '.join(CONFIDENCE)}")
        sharp = member_param(sharpness, "sharpness", ())
        logp1 = F.log_softmax(v, -1)  # (M, B, C) at T = 1
        c = logp1.max(-1).values.exp() if confidence == "max_prob" else (logp1.exp() * logp1).sum(-1)
        log_w = F.log_softmax(sharp * c, dim=0)  # (M, B)
    if rule == "avg_logit":
        log_r = F.log_softmax(v.mean(0) / T, -1)  # (B, C)
    else:
        log_r = torch.logsumexp(log_w.unsqueeze(-1) + logq, dim=0)  # (B, C)
    top = log_r.argmax(-1, keepdim=True)  # (B, 1)
    contrib = log_w + logq.gather(-1, top.expand(m, *top.shape)).squeeze(-1)  # (M, B)
    return TeacherMix(log_probs=log_r, weights=log_w.exp(), dominant=contrib.argmax(0))


def born_again_targets(generations: Sequence, T=1.0, ensemble: bool = False) -> torch.Tensor:
    """Targets for the next born-again generation (Furlanello et al. 2018), as log-probabilities (B, C).

    Generation k is trained with the usual KD loss toward generation k-1 (the first generation
    toward the original teacher): log softmax(v_{k-1} / T). With ensemble=True the target averages
    the probabilities of all previous generations (combine_teachers' "avg_prob"). ``generations``
    lists the logits (B, C) of the original teacher and each trained generation, oldest first.
    """
    if len(generations) == 0:
        raise ValueError("born_again_targets needs the logits of at least one previous generation")
    shapes = {tuple(torch.as_tensor(g).shape) for g in generations}
    if len(shapes) != 1:
        raise ValueError(f"every generation's logits must have one shape, got {sorted(shapes)}")
    chosen = list(generations) if ensemble else [generations[-1]]
    stacked = torch.stack([torch.as_tensor(g) for g in chosen])  # (M, B, C)
    return combine_teachers(stacked, "avg_prob", T).log_probs
