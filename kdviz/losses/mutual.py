"""Deep mutual learning (Zhang et al. 2018): K students teach each other while they train."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from kdviz.losses._shapes import batch_mean, check_logits, labels_for, member_param
from kdviz.softening import check_temperature, kl_from_log


def mutual_mimicry(logits, T=1.0) -> torch.Tensor:
    """Mimicry term of member k: T^2 mean_{j != k} KL(p_j^T || p_k^T), batch mean, peers detached: (K,).

    Each member is pulled toward its peers' current predictions; the peers are targets only
    (detached), so summing the K losses and back-propagating trains every member on its own loss.
    A member whose logits turn NaN makes every peer's loss NaN: a cohort diverges together.
    logits: (K, B, C) with K >= 2 members; T one number (T = 1 in the paper). Cost O(K^2 B C).
    """
    z = check_logits(logits, "member logits")
    if z.dim() != 3 or z.shape[0] < 2:
        raise ValueError(f"mutual learning needs logits of shape (members >= 2, batch, classes), got {tuple(z.shape)}")
    T = check_temperature(T)
    if isinstance(T, torch.Tensor) and T.numel() != 1:
        raise ValueError("mutual learning uses one temperature for the whole cohort")
    k = z.shape[0]
    logp = F.log_softmax(z / T, -1)  # (K, B, C)
    kl = kl_from_log(logp.detach().unsqueeze(1), logp.unsqueeze(0))  # (K_j, K_k, B): KL(p_j || p_k)
    peers = ~torch.eye(k, dtype=torch.bool, device=z.device)  # (K_j, K_k)
    kl = torch.where(peers.unsqueeze(-1), kl, torch.zeros((), dtype=kl.dtype, device=kl.device))
    return T * T * batch_mean(kl.sum(0) / (k - 1))


def mutual_loss(logits, labels, T=1.0, weight=1.0) -> torch.Tensor:
    """Deep mutual learning loss per member: L_k = CE(p_k, y) + weight * mutual_mimicry_k, batch mean.

    CE at T = 1 on the labels; the mimicry term as in mutual_mimicry. logits: (K, B, C), K >= 2;
    labels: (B,) or (K, B); weight: a number or one per member. Returns (K,).
    """
    z = check_logits(logits, "member logits")
    y = labels_for(labels, z)  # (K, B)
    w = member_param(weight, "mimicry weight", z.shape[:-2])
    ce = F.cross_entropy(z.flatten(0, -2), y.flatten(), reduction="none").view(y.shape)  # (K, B), NaN-transparent
    return batch_mean(ce) + w * mutual_mimicry(z, T)
