"""Relational KD (Park et al. 2019): the student keeps the teacher's distances and angles between samples.

It compares how samples of a batch relate to each other, so student and teacher embeddings may
have different widths. Embeddings are (B, D) or (K, B, D); a teacher without the K dimension
broadcasts (its relations are computed once). Losses are batch means per member: (K,) or scalar.
Huber is smooth L1 with threshold 1 (F.smooth_l1_loss, beta=1). Cost: distances O(K B^2) from a
Gram matrix; angles O(K B^2 D + K B^3).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from kdviz.paradigms.note import Note
from kdviz.paradigms.shapes import feature_pair, member_param
from kdviz.paradigms.taps import layer_objective, on_last_layers
from kdviz.train.protocol import register_method

WEIGHT = 1.0  # default weight of the RKD term (its distance and angle parts carry 25 and 50)
EPS = 1e-12  # floor of squared distances (as in Park et al.'s code): duplicate points keep finite gradients
TRANSFERS = ("The geometry of the batch: relative distances between samples and angles between triplets, "
             "whatever the scale, rotation or offset of the embedding.")
FORMULA = (r"\mathcal{L} = \mathrm{CE}(p, y) + w\Big(25\,\overline{\ell_\delta\!\left(\frac{\|s_i - s_j\|}{\mu_s}"
           r" - \frac{\|t_i - t_j\|}{\mu_t}\right)} + 50\,\overline{\ell_\delta\!\left(\cos\angle s_i s_j s_k"
           r" - \cos\angle t_i t_j t_k\right)}\Big)")  # as trained


def _off_diagonal(b: int, device) -> torch.Tensor:
    """(B, B) boolean mask, True where i != j."""
    return ~torch.eye(b, dtype=torch.bool, device=device)


def _safe_sqrt(sq: torch.Tensor, off: torch.Tensor) -> torch.Tensor:
    """sqrt of squared distances (..., B, B) floored at EPS off the diagonal, exactly 1 on it (finite gradients)."""
    return torch.where(off, sq.clamp_min(EPS), torch.ones((), dtype=sq.dtype, device=sq.device)).sqrt()


def pairwise_distances(e: torch.Tensor) -> torch.Tensor:
    """d[i, j] = ||e_i - e_j||: (..., B, D) -> (..., B, B), exactly 0 on the diagonal, never-NaN gradients.

    From the Gram matrix of the centred embedding, ||c_i||^2 + ||c_j||^2 - 2 <c_i, c_j>: O(B^2) memory
    instead of the O(B^2 D) of explicit differences.
    """
    c = e - e.mean(-2, keepdim=True)  # (K, B, D); centring keeps the cancellation small
    g = c @ c.transpose(-1, -2)  # (K, B, B)
    n = torch.diagonal(g, dim1=-2, dim2=-1)  # (K, B) squared norms
    off = _off_diagonal(e.shape[-2], e.device)
    d = _safe_sqrt(n.unsqueeze(-1) + n.unsqueeze(-2) - 2 * g, off)
    return torch.where(off, d, torch.zeros((), dtype=d.dtype, device=d.device))


def _directions(e: torch.Tensor) -> torch.Tensor:
    """Unit vectors u[j, i] = (e_i - e_j) / ||e_i - e_j||: (..., B, D) -> (..., B, B, D), zero when i = j."""
    diff = e.unsqueeze(-3) - e.unsqueeze(-2)  # (K, B_j, B_i, D): e_i - e_j
    norm = _safe_sqrt((diff * diff).sum(-1), _off_diagonal(e.shape[-2], e.device))  # (K, B, B)
    return diff / norm.unsqueeze(-1)


def rkd_distances(e: torch.Tensor) -> torch.Tensor:
    """psi_D(i, j) = ||e_i - e_j|| / mu with mu the mean distance over pairs i != j: (..., B, B)."""
    d = pairwise_distances(e)  # (K, B, B)
    b = e.shape[-2]
    mu = d.sum((-2, -1)) / (b * (b - 1))  # (K,)
    return d / mu.clamp_min(EPS)[..., None, None]


def rkd_angles(e: torch.Tensor) -> torch.Tensor:
    """psi_A(i, j, k) = cos of the angle at e_j in the triangle (e_i, e_j, e_k), as A[..., j, i, k]: (..., B, B, B)."""
    u = _directions(e)  # (K, B_j, B_i, D)
    return u @ u.transpose(-1, -2)  # (K, B_j, B_i, B_k)


def rkd_distance_loss(e_s, e_t) -> torch.Tensor:
    """RKD distance loss (Park et al. 2019): L_D = mean over pairs i != j of Huber(psi_D^s(i,j) - psi_D^t(i,j)).

    psi_D(i, j) = ||e_i - e_j|| / mu, mu = the mean distance in the batch, so the loss is invariant
    to scaling, rotating and shifting either embedding. Needs B >= 2. e_s: (B, Ds)/(K, B, Ds);
    e_t: (B, Dt)/(K, B, Dt). Returns (K,) or a scalar.
    """
    s, t = feature_pair(e_s, e_t, min_batch=2, names=("student embedding", "teacher embedding"))
    b = s.shape[-2]
    ps = rkd_distances(s)  # (K, B, B), 0 on the diagonal
    h = F.smooth_l1_loss(ps, rkd_distances(t).expand_as(ps), reduction="none", beta=1.0)
    return h.sum((-2, -1)) / (b * (b - 1))


def rkd_angle_loss(e_s, e_t) -> torch.Tensor:
    """RKD angle loss: L_A = mean over distinct triplets (i, j, k) of Huber(psi_A^s - psi_A^t).

    psi_A(i, j, k) = <(e_i - e_j)/||e_i - e_j||, (e_k - e_j)/||e_k - e_j||>, the cosine of the
    angle at e_j; invariant to scaling, rotating and shifting either embedding. Averaged over the
    B (B - 1) (B - 2) ordered triplets of distinct samples, so B >= 3. Returns (K,) or a scalar.
    """
    s, t = feature_pair(e_s, e_t, min_batch=3, names=("student embedding", "teacher embedding"))
    b = s.shape[-2]
    a_s = rkd_angles(s)  # (K, B, B, B)
    h = F.smooth_l1_loss(a_s, rkd_angles(t).expand_as(a_s), reduction="none", beta=1.0)
    # degenerate triplets add nothing: a zero vector gives cos 0 (i = j or k = j) and i = k gives cos 1,
    # in student and teacher alike, so summing all B^3 entries sums the distinct triplets
    return h.sum((-3, -2, -1)) / (b * (b - 1) * (b - 2))


def rkd_loss(e_s, e_t, w_distance=25.0, w_angle=50.0) -> torch.Tensor:
    """Relational KD: L = w_distance * L_D + w_angle * L_A (Park et al.'s weights 25 and 50).

    Weights are numbers or tensors with one value per member; B >= 3 unless w_angle is the number 0.
    Returns (K,) or a scalar.
    """
    s, t = feature_pair(e_s, e_t, min_batch=2, names=("student embedding", "teacher embedding"))
    lead = s.shape[:-2]
    wd = member_param(w_distance, "distance weight", lead)
    wa = member_param(w_angle, "angle weight", lead)
    loss = wd * rkd_distance_loss(s, t)
    return loss if isinstance(wa, float) and wa == 0 else loss + wa * rkd_angle_loss(s, t)


rkd_objective = layer_objective(rkd_loss, WEIGHT)


rkd_method = register_method("rkd", teacher=True, unlabelled=False, taps=True)(on_last_layers(rkd_objective, WEIGHT))


NOTE = Note("rkd", "RKD", "#E69F00", "relation", TRANSFERS, FORMULA, rkd_objective,
            defaults={"weight": WEIGHT}, reference="Park et al. 2019, Relational knowledge distillation")
