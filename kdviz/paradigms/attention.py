"""Attention transfer (Zagoruyko and Komodakis 2017), for MLPs: match where the network puts its activation energy.

Hidden features are (B, H) for one model or (K, B, H) for a population of K members; teacher
features may lack the K dimension and broadcast. Losses are batch means per member: (K,) or a
scalar for unbatched input.
"""
from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

from kdviz.paradigms.note import Note
from kdviz.paradigms.shapes import batch_mean, feature_pair, features
from kdviz.paradigms.similarity import unit_rows_grad
from kdviz.paradigms.taps import last_tap, layer_objective, on_last_layers, on_last_layers_grad
from kdviz.train.methods import Batch, register_method

WEIGHT = 10.0  # default weight of the attention term
TRANSFERS = ("Where the network puts its activation energy: the normalised squared activations of the last "
             "hidden layer, not their values. Unlike the paper, which sums the 2-norm of the difference itself "
             "(beta/2 times it) over several layer pairs, this trains its square at one pair, the last hidden layer.")
FORMULA = (r"\mathcal{L} = \mathrm{CE}(p, y) + w\,\frac{1}{B}\sum_b \left\| \frac{e^s_b}{\|e^s_b\|_2}"
           r" - \frac{e^t_b}{\|e^t_b\|_2} \right\|_2^2,\quad e_b = \mathrm{pool}(h_b^{2})")  # as trained


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


@functools.lru_cache(maxsize=16)
def pool_matrix(width: int, pooled: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """The linear map of attention_map's pooling, (H, W): e @ P = adaptive average pooling of e (..., H) to W.

    Made once per shape, device and dtype (cached; do not modify)."""
    eye = torch.eye(width, device=device, dtype=dtype).unsqueeze(1)  # (H, 1, H): one unit per row
    return F.adaptive_avg_pool1d(eye, pooled).squeeze(1)  # (H, W)


class TeacherMaps:
    """Per-run state of attention members: the teacher's attention maps on every training point (N, W), pooled
    to W = min(Hs, Ht), made once (the teacher is fixed)."""

    def __init__(self, run, members: torch.Tensor):
        h_t = last_tap(run.teacher.train_taps)  # (N, Ht)
        self.maps = attention_map(h_t, min(run.hidden[-1], h_t.shape[-1]))  # (N, W)

    def of(self, b: Batch) -> torch.Tensor:
        """The teacher's maps on each member's batch (K', B, W)."""
        return b.points(self.maps)


def attention_term_grad(h_s: torch.Tensor, a_t: torch.Tensor, batch=None) -> tuple[torch.Tensor, torch.Tensor]:
    """attention_loss (K',) and its gradient d/dh_s (K', B, Hs) in closed form, from the teacher's maps a_t (K', B, W)
    (attention_map(h_t, W), W = min(Hs, Ht)).

    e = pool(h^2) = h^2 P, a = e / ||e||: d/da = 2 (a_s - a_t) / B, back through the normalisation
    (unit_rows_grad), the pooling (P^T) and the square (2 h).
    """
    s = h_s
    w = a_t.shape[-1]
    pool = pool_matrix(s.shape[-1], w, s.device, s.dtype) if s.shape[-1] != w else None
    e = s * s if pool is None else (s * s) @ pool  # (K', B, W)
    norm = torch.linalg.vector_norm(e, dim=-1, keepdim=True)
    a = e / norm.clamp_min(1e-12)
    diff = a - a_t
    b = s.shape[-2]
    term = (diff * diff).sum(-1).mean(-1)  # (K',)
    g = unit_rows_grad(diff, a, norm, 4.0 / b)  # (K', B, W) 2 d/de (the square's 2 folded in)
    if pool is not None:
        g = g @ pool.transpose(0, 1)  # (K', B, Hs)
    return term, g.mul_(s)


attention_objective = layer_objective(attention_loss, WEIGHT)


attention_method = register_method("attention", teacher=True, unlabelled=False, taps=True, setup=TeacherMaps,
                                   grad=on_last_layers_grad(attention_term_grad, WEIGHT, lambda b: b.state.of(b)))(
    on_last_layers(attention_objective, WEIGHT))


NOTE = Note("attention", "Attention", "#56B4E9", "feature", TRANSFERS, FORMULA, attention_objective,
            defaults={"weight": WEIGHT}, reference="Zagoruyko and Komodakis 2017, Paying more attention to attention")
