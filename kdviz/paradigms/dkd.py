"""Decoupled knowledge distillation (Zhao et al. 2022): the KD loss split into its target and non-target parts.

TCKD = KL([q_t, 1 - q_t] || [p_t, 1 - p_t]) is the KL between the binary target/non-target
distributions; NCKD = KL(q^_{\\t} || p^_{\\t}) the KL between the distributions over the
non-target classes renormalised (q^T = softmax(v/T) teacher, p^T = softmax(z/T) student, t the
label). Classic KD is TCKD + (1 - q_t) NCKD, so DKD frees NCKD from the (1 - q_t) damping. The
parts come from kdviz.softening.dkd_from_log, the one place the split is computed.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from kdviz.paradigms.note import Note
from kdviz.paradigms.shapes import batch_mean, labels_for, logits_pair, member_param, right
from kdviz.softening import check_temperature, dkd_from_log
from kdviz.train.kernels import hard_grad, labelled_ce
from kdviz.train.methods import Batch, Grad, register_method

ALPHA, BETA = 1.0, 8.0  # the paper's TCKD and NCKD weights
TRANSFERS = ("The teacher's distribution split in two: its confidence on the target class (TCKD) and its "
             "distribution over the other classes (NCKD), with NCKD freed from the (1 - q_t) damping of classic KD.")
FORMULA = (r"\mathcal{L} = \mathrm{CE}(p, y) + T^2\left(\alpha_{\mathrm{DKD}}\,\mathrm{KL}(b^q \,\|\, b^p)"
           r" + \beta\,\mathrm{KL}(\hat q^{\setminus t} \,\|\, \hat p^{\setminus t})\right)")  # as trained


def dkd_loss(z, v, labels, T=4.0, alpha=ALPHA, beta=BETA) -> torch.Tensor:
    """The DKD term: T^2 (alpha * TCKD + beta * NCKD), batch mean.

    z: (B, C)/(K, B, C); v: same or (B, C); labels: (B,) or (K, B); T, alpha, beta: numbers or
    tensors with one value per member. Returns (K,) or a scalar.
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


def dkd_objective(z, v, labels, T=4.0, alpha=ALPHA, beta=BETA, mask=None) -> torch.Tensor:
    """What a DKD student trains: CE(p, y) + T^2 (alpha TCKD + beta NCKD) (the paper's full objective)."""
    return labelled_ce(z, labels, mask) + dkd_loss(z, v, labels, T, alpha, beta)


def dkd_grad(b: Batch) -> Grad:
    """dkd_method's value and its gradient d/dz in closed form, on the class-major layout (K', C, B).

    With p = softmax(z/T), q = softmax(v/T), t the label, p^ / q^ the non-target distributions
    (zero at t) and B the batch: d TCKD / d(z/T) = (p_t - q_t)(onehot_t - p^) and
    d NCKD / d(z/T) = p^ - q^, so the term adds (T / B)[alpha (p_t - q_t)(onehot_t - p^) + beta (p^ - q^)]
    to the cross-entropy's (p - onehot(y)) / n. No division by 1 - p_t (finite for confident students).
    """
    T = b.T  # (K', 1, 1)
    lp, lq = F.log_softmax(b.logits_fm / T, 1), b.teacher_log_probs_fm  # (K', C, B)
    y = b.labels.unsqueeze(1)  # (K', 1, B)
    hot = torch.zeros_like(lp).scatter_(1, y, 1.0)  # (K', C, B) one-hot of the label
    target = hot.bool()
    lp_t, lq_t = lp.gather(1, y), lq.gather(1, y)  # (K', 1, B)
    lp_rest = torch.logsumexp(lp.masked_fill(target, -math.inf), 1, keepdim=True)  # log(1 - p_t)
    lq_rest = torch.logsumexp(lq.masked_fill(target, -math.inf), 1, keepdim=True)
    q_t = lq_t.exp()  # (K', 1, B)
    tckd = (q_t * (lq_t - lp_t) + lq_rest.exp() * (lq_rest - lp_rest)).mean((1, 2))  # (K',)
    lqh, lph = lq - lq_rest, lp - lp_rest  # log q^, log p^ (K', C, B)
    qh, ph = lqh.exp().masked_fill_(target, 0.0), lph.exp().masked_fill_(target, 0.0)
    nckd = (qh * (lqh - lph)).sum(1).mean(-1)  # (K',)
    alpha, beta = b.option("dkd_alpha", ALPHA), b.option("beta", BETA)  # (K',)
    hard, g, _ = hard_grad(b)
    tb = T / lp.shape[-1]  # (K', 1, 1) T / B
    g.addcmul_(ph - qh, beta.view(-1, 1, 1) * tb)  # beta d NCKD / d(z/T), times T / B
    g.addcmul_(hot - ph, lp_t.exp().sub_(q_t).mul_(alpha.view(-1, 1, 1) * tb))  # alpha d TCKD: (p_t - q_t)
    return Grad(torch.addcmul(hard, T.view(-1).square(), torch.addcmul(alpha * tckd, beta, nckd)), g)


@register_method("dkd", teacher=True, unlabelled=False, grad=dkd_grad)
def dkd_method(b: Batch) -> torch.Tensor:
    """dkd_objective on the batch, with options "dkd_alpha" (TCKD weight) and "beta" (NCKD weight)."""
    return dkd_objective(b.logits, b.teacher_logits, b.labels, b.T.view(-1), b.option("dkd_alpha", ALPHA),
                         b.option("beta", BETA), b.mask)


NOTE = Note("dkd", "DKD", "#CC79A7", "response", TRANSFERS, FORMULA, dkd_objective,
            uses=("T",), defaults={"dkd_alpha": ALPHA, "beta": BETA},
            reference="Zhao et al. 2022, Decoupled knowledge distillation")
