"""Response-based losses on logits: decoupled KD and KD toward any target distribution.

Student logits z are (B, C) or (K, B, C) for a population; teacher logits and targets are
shaped like z or lack the K dimension and broadcast. Each loss is a batch mean per member:
shape (K,), or a scalar for unbatched input.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from kdviz.losses._shapes import batch_mean, labels_for, logits_pair, member_param, right
from kdviz.softening import check_temperature, dkd_from_log, kl_from_log


def dkd_loss(z, v, labels, T=4.0, alpha=1.0, beta=8.0) -> torch.Tensor:
    """Decoupled KD (Zhao et al. 2022): L = T^2 (alpha * TCKD + beta * NCKD), batch mean.

    TCKD = KL([q_t, 1 - q_t] || [p_t, 1 - p_t]) is the KL between the binary target/non-target
    distributions; NCKD = KL(q^_{\\t} || p^_{\\t}) the KL between the distributions over the
    non-target classes renormalised (q^T = softmax(v/T) teacher, p^T = softmax(z/T) student, t the
    label). Classic KD is TCKD + (1 - q_t) NCKD, so DKD frees NCKD from the (1 - q_t) damping.
    The parts come from kdviz.softening.dkd_from_log (the one place the split is computed). The
    paper's full objective adds the hard-label CE; add it outside. z: (B, C)/(K, B, C); v: same or
    (B, C); labels: (B,) or (K, B); T, alpha, beta: numbers or tensors with one value per member.
    Returns (K,) or a scalar.
    """
    z, v = logits_pair(z, v)
    lead = z.shape[:-2]
    y = labels_for(labels, z)  # (K, B)
    T = member_param(check_temperature(T), "temperature", lead)
    alpha = member_param(alpha, "alpha (the TCKD weight)", lead)
    beta = member_param(beta, "beta (the NCKD weight)", lead)
    Tc = right(T, 2)  # broadcasts against (K, B, C)
    split = dkd_from_log(F.log_softmax(z / Tc, -1), F.log_softmax(v.expand_as(z) / Tc, -1), y)  # parts (K, B)
    return T * T * (alpha * batch_mean(split.tckd) + beta * batch_mean(split.nckd))


def soft_target_loss(z, log_target, T=4.0) -> torch.Tensor:
    """KD toward any target distribution: L = T^2 KL(r || p^T), batch mean; p^T = softmax(z/T).

    ``log_target`` holds log r (B, C) or (K, B, C) (e.g. the output of combine_teachers or
    born_again_targets, computed at the same T). With r = softmax(v/T) this is the soft term of
    kdviz.softening.kd_loss. The target is detached. Returns (K,) or a scalar.
    """
    z, lr = logits_pair(z, log_target, names=("student logits", "target log-probabilities"))
    T = member_param(check_temperature(T), "temperature", z.shape[:-2])
    logp = F.log_softmax(z / right(T, 2), -1)  # (K, B, C)
    return T * T * batch_mean(kl_from_log(lr.detach(), logp))
