"""Token-level distillation losses of a language model: one divergence per position, averaged over the positions kept.

Notation: student logits z and teacher logits v of shape (B, L, V) (batch, positions, vocabulary),
next-token targets y (B, L), a mask (B, L) (True: the position counts), p^T = softmax(z / T) the
student's and q^T = softmax(v / T) the teacher's next-token distribution. Each divergence is
multiplied by T^2, as Hinton's, so its gradient keeps its size when T changes. Written with
log-probabilities throughout (stable for any logits); the forward and reverse KL are
kdviz.softening's, the functions the classifier pages train with.

- labels:     CE(softmax(z), y), the next-token cross-entropy: no teacher.
- forward KL: T^2 KL(q^T || p^T): Hinton's loss per token; mode-covering (the student spreads
  mass over every continuation the teacher allows).
- reverse KL: T^2 KL(p^T || q^T): MiniLLM's direction (Gu et al. 2024), here per token;
  mode-seeking (the student may keep one of the teacher's continuations and drop the others).
- JSD(beta):  T^2 [beta KL(q^T || m) + (1 - beta) KL(p^T || m)], m = beta q^T + (1 - beta) p^T:
  GKD's generalized Jensen-Shannon divergence (Agarwal et al. 2024); divided by beta it tends to
  the forward KL as beta -> 0, divided by 1 - beta to the reverse KL as beta -> 1.
- top-k:      the forward KL from the teacher's k most probable tokens only, as a pipeline that
  stores k logits per position sees it. "renormalise": q restricted to its top k and renormalised,
  T^2 sum_{i in K} q~_i (log q~_i - log p_i) (the student's full softmax, not renormalised, which
  is what such pipelines train); "lump": a proper KL over k + 1 bins, the top k and the rest
  (q_rest = 1 - sum_K q_i, p_rest = 1 - sum_K p_i). Storing k of V values per position costs k/V.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from kdviz.softening import check_temperature, kl_from_log, kl_student_teacher, kl_teacher_student

TOP_K_MODES = ("renormalise", "lump")


def masked_mean(values: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """The mean of ``values`` (B, L) over the positions where ``mask`` (B, L) is True (all when None); 0 if none."""
    if mask is None:
        return values.mean()
    kept = mask.to(values.dtype)
    return (values * kept).sum() / kept.sum().clamp_min(1.0)


def labels_loss(z: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Next-token cross-entropy CE(softmax(z), y), averaged over kept positions: a scalar."""
    ce = F.cross_entropy(z.flatten(0, -2), y.flatten(), reduction="none").view(y.shape)  # (B, L)
    return masked_mean(ce, mask)


def forward_kl(z: torch.Tensor, v: torch.Tensor, T: float = 1.0, mask: torch.Tensor | None = None) -> torch.Tensor:
    """T^2 KL(q^T || p^T) per token (Hinton's loss at every position), averaged over kept positions."""
    return check_temperature(T) ** 2 * masked_mean(kl_teacher_student(z, v, T), mask)


def reverse_kl(z: torch.Tensor, v: torch.Tensor, T: float = 1.0, mask: torch.Tensor | None = None) -> torch.Tensor:
    """T^2 KL(p^T || q^T) per token (the student's distribution first), averaged over kept positions."""
    return check_temperature(T) ** 2 * masked_mean(kl_student_teacher(z, v, T), mask)


def check_beta(beta: float) -> float:
    """GKD's beta: a number strictly between 0 and 1 (its limits are the forward and reverse KL)."""
    b = float(beta)
    if not (math.isfinite(b) and 0.0 < b < 1.0):
        raise ValueError(f"beta must lie strictly between 0 and 1 (0: forward KL, 1: reverse KL in the limit), got {beta!r}")
    return b


def jsd(z: torch.Tensor, v: torch.Tensor, beta: float = 0.5, T: float = 1.0,
        mask: torch.Tensor | None = None) -> torch.Tensor:
    """T^2 JSD(beta) = T^2 [beta KL(q || m) + (1 - beta) KL(p || m)], m = beta q + (1 - beta) p, per token, averaged."""
    b, T = check_beta(beta), check_temperature(T)
    log_p, log_q = F.log_softmax(z / T, -1), F.log_softmax(v / T, -1)  # (B, L, V)
    log_m = torch.logaddexp(log_q + math.log(b), log_p + math.log1p(-b))  # log(beta q + (1 - beta) p)
    per_token = b * kl_from_log(log_q, log_m) + (1.0 - b) * kl_from_log(log_p, log_m)  # (B, L)
    return T ** 2 * masked_mean(per_token, mask)


def top_k_kl(z: torch.Tensor, v: torch.Tensor, k: int, T: float = 1.0, mode: str = "renormalise",
             mask: torch.Tensor | None = None) -> torch.Tensor:
    """The forward KL from the teacher's top ``k`` probabilities only (``mode``: "renormalise" or "lump"), averaged."""
    T = check_temperature(T)
    if mode not in TOP_K_MODES:
        raise ValueError(f"top-k mode must be one of {', '.join(TOP_K_MODES)}, got {mode!r}")
    if not 1 <= int(k) <= v.shape[-1]:
        raise ValueError(f"k must be from 1 to the vocabulary's {v.shape[-1]} tokens, got {k}")
    log_q, log_p = F.log_softmax(v / T, -1), F.log_softmax(z / T, -1)  # (B, L, V)
    top_q, index = log_q.topk(int(k), dim=-1)  # (B, L, k): what is stored per position
    top_p = log_p.gather(-1, index)  # (B, L, k)
    if mode == "renormalise":
        kept = top_q - torch.logsumexp(top_q, -1, keepdim=True)  # log q~ over the top k
        per_token = (kept.exp() * (kept - top_p)).sum(-1)  # (B, L)
    else:
        rest_q, rest_p = _log1mexp(torch.logsumexp(top_q, -1)), _log1mexp(torch.logsumexp(top_p, -1))  # (B, L)
        per_token = kl_from_log(torch.cat([top_q, rest_q.unsqueeze(-1)], -1), torch.cat([top_p, rest_p.unsqueeze(-1)], -1))
    return T ** 2 * masked_mean(per_token, mask)


def _log1mexp(log_x: torch.Tensor) -> torch.Tensor:
    """log(1 - x) from log x (x in [0, 1]); an empty rest (x = 1) is kept at the dtype's smallest normal number,
    so a top k that holds every token adds nothing instead of 0 * inf."""
    return torch.log((-torch.expm1(log_x.clamp(max=0.0))).clamp_min(torch.finfo(log_x.dtype).tiny))
