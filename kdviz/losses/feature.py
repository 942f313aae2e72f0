"""Feature-based losses on hidden activations: FitNets hints and attention-style energy matching.

Hidden features are (B, H) for one model or (K, B, H) for a population of K members; teacher
features may lack the K dimension and broadcast. Losses are batch means per member: (K,) or a
scalar for unbatched input.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from kdviz.losses._shapes import batch_mean, feature_pair, features


class HintRegressor(nn.Module):
    """FitNets regressor r(h) = h W + b from student width Hs to teacher width Ht, one per member.

    ``seeds`` an int gives one regressor: weight (Hs, Ht), bias (Ht,). A sequence of K seeds gives
    a stacked population: weight (K, Hs, Ht), bias (K, 1, Ht), member k drawn from its own seed
    (so member k is the same whatever K is). Initialised like nn.Linear: U(-1/sqrt(Hs), 1/sqrt(Hs))
    for weights and bias, drawn on the CPU so every device gets the same numbers. Trained with the
    student (FitNets stage 1); forward(h) applies hint_regress.
    """

    def __init__(self, student_width: int, teacher_width: int, seeds: int | Sequence[int] = 0,
                 device=None, dtype: torch.dtype | None = None):
        super().__init__()
        if int(student_width) < 1 or int(teacher_width) < 1:
            raise ValueError(f"regressor widths must be positive, got {student_width} -> {teacher_width}")
        single = isinstance(seeds, int)
        seed_list = [seeds] if single else [int(s) for s in seeds]
        if not seed_list:
            raise ValueError("a stacked regressor needs at least one seed (one per member)")
        hs, ht = int(student_width), int(teacher_width)
        dtype = dtype or torch.get_default_dtype()
        bound = 1.0 / math.sqrt(hs)
        ws, bs = [], []
        for s in seed_list:
            g = torch.Generator().manual_seed(s)
            ws.append(torch.empty(hs, ht, dtype=dtype).uniform_(-bound, bound, generator=g))
            bs.append(torch.empty(1, ht, dtype=dtype).uniform_(-bound, bound, generator=g))
        weight, bias = torch.stack(ws), torch.stack(bs)  # (K, Hs, Ht), (K, 1, Ht)
        if single:
            weight, bias = weight[0], bias[0, 0]  # (Hs, Ht), (Ht,)
        self.weight = nn.Parameter(weight.to(device))
        self.bias = nn.Parameter(bias.to(device))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """Map student features (B, Hs) / (K, B, Hs) to the teacher width: (B, Ht) / (K, B, Ht)."""
        return hint_regress(h, self.weight, self.bias)


def hint_regress(h_s, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """r(h_s) = h_s W + b. (B, Hs) with W (Hs, Ht) -> (B, Ht); (K, B, Hs) with W (K, Hs, Ht) -> (K, B, Ht).

    Each member has its own regressor: a (K, B, Hs) input needs a stacked (K, Hs, Ht) weight, so
    members stay independent. bias: (Ht,) or (K, 1, Ht).
    """
    h = features(h_s, "student features")
    if weight.dim() != h.dim() or weight.shape[-2] != h.shape[-1] or (h.dim() == 3 and weight.shape[0] != h.shape[0]):
        want = "(Hs, Ht)" if h.dim() == 2 else f"({h.shape[0]}, {h.shape[-1]}, Ht)"
        raise ValueError(f"regressor weight has shape {tuple(weight.shape)}; for student features "
                         f"{tuple(h.shape)} it must be {want}")
    dtype = torch.promote_types(h.dtype, weight.dtype)
    out = torch.matmul(h.to(dtype), weight.to(dtype))  # (K, B, Ht)
    return out if bias is None else out + bias.to(dtype)


def fitnet_loss(h_s, h_t, weight: torch.Tensor | None = None, bias: torch.Tensor | None = None) -> torch.Tensor:
    """FitNets hint loss (Romero et al. 2015): L = (1 / (B Ht)) sum_b ||r(h_s,b) - h_t,b||^2.

    The mean squared error between the regressed student hidden layer r(h_s) = h_s W + b (see
    HintRegressor) and the teacher's hidden layer (the paper's 1/2 ||.||^2 up to the constant;
    averaging over the Ht units keeps the scale independent of the width). Without a regressor the
    widths must match (r = identity). h_s: (B, Hs)/(K, B, Hs); h_t: (B, Ht)/(K, B, Ht).
    Returns (K,) or a scalar.
    """
    s, t = feature_pair(h_s, h_t, same_width=weight is None)
    r = s if weight is None else hint_regress(s, weight, bias)  # (K, B, Ht)
    if r.shape[-1] != t.shape[-1]:
        raise ValueError(f"the regressor maps to width {r.shape[-1]} but the teacher features have width {t.shape[-1]}")
    return batch_mean(((r - t) ** 2).mean(-1))


def attention_map(h, width: int | None = None) -> torch.Tensor:
    """Normalised activation energy a = e / ||e||_2 per sample, e = pool(h^2): (B, H) -> (B, W), (K, B, H) -> (K, B, W).

    e_i = h_i^2 is the energy of hidden unit i (the MLP analogue of Zagoruyko & Komodakis' spatial
    attention map sum_c A_c^2). With ``width`` W < H the energies are averaged over W contiguous
    groups of units (adaptive average pooling) before normalising. An all-zero layer maps to zeros.
    """
    h = features(h, "features")
    e = h * h  # (K, B, H)
    w = e.shape[-1] if width is None else int(width)
    if not 1 <= w <= e.shape[-1]:
        raise ValueError(f"attention width must be in [1, {e.shape[-1]}], got {width}")
    if w != e.shape[-1]:
        e = F.adaptive_avg_pool1d(e.reshape(-1, 1, e.shape[-1]), w).reshape(*e.shape[:-1], w)
    return F.normalize(e, dim=-1, eps=1e-12)


def attention_loss(h_s, h_t) -> torch.Tensor:
    """Attention-style feature matching: L = mean_b ||a_s,b - a_t,b||_2^2 with a = attention_map(h).

    Compares where each network puts its activation energy, not the activations themselves: it is
    invariant to the scale and sign of each sample's activations, and lies in [0, 2]. When the
    widths differ both maps are pooled to the smaller width W = min(Hs, Ht) by adaptive average
    pooling over contiguous units. That choice is a convention: hidden units of an MLP have no
    natural order, so pooling compares the energy of unit groups by index (a student whose units
    repeat each teacher unit r times matches exactly). h_s: (B, Hs)/(K, B, Hs); h_t: (B, Ht) or
    (K, B, Ht). Returns (K,) or a scalar.
    """
    s, t = feature_pair(h_s, h_t)
    w = min(s.shape[-1], t.shape[-1])
    diff = attention_map(s, w) - attention_map(t, w)  # (K, B, W)
    return batch_mean((diff * diff).sum(-1))
