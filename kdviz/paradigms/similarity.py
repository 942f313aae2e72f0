"""Similarity-preserving KD (Tung and Mori 2019): the student finds the same samples alike as the teacher does.

Activations are (B, D) or (K, B, D); a teacher without the K dimension broadcasts. Widths may
differ. Losses are batch means per member: (K,) or a scalar.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from kdviz.paradigms.note import Note
from kdviz.paradigms.shapes import feature_pair
from kdviz.paradigms.taps import TeacherUnits, layer_objective, live_teacher_tap, on_last_layers, on_last_layers_grad
from kdviz.train.methods import Batch, register_method

WEIGHT = 100.0  # default weight of the similarity term (the paper used 3000 on CIFAR)
TRANSFERS = "Which samples the teacher finds similar: the row-normalised Gram matrix of a batch's activations."
FORMULA = (r"\mathcal{L} = \mathrm{CE}(p, y) + w\,\frac{1}{B^2}\left\| \tilde G^s - \tilde G^t \right\|_F^2,\quad"
           r" \tilde G = \mathrm{rownorm}(h h^\top)")  # as trained


def similarity_matrix(h: torch.Tensor) -> torch.Tensor:
    """Row-L2-normalised Gram matrix G~ = normalise_rows(h h^T): (..., B, D) -> (..., B, B)."""
    return F.normalize(h @ h.transpose(-1, -2), dim=-1, eps=1e-12)


def similarity_loss(h_s, h_t) -> torch.Tensor:
    """Similarity-preserving KD (Tung & Mori 2019): L = ||G~_s - G~_t||_F^2 / B^2.

    G~ = h h^T with each row L2-normalised (similarity_matrix): the student should find the same
    samples similar as the teacher does. Widths may differ. The paper multiplies by a weight gamma
    (3000 on CIFAR); apply it outside. h_s: (B, Ds)/(K, B, Ds); h_t: (B, Dt)/(K, B, Dt).
    Returns (K,) or a scalar.
    """
    s, t = feature_pair(h_s, h_t)
    b = s.shape[-2]
    diff = similarity_matrix(s) - similarity_matrix(t)  # (K, B, B)
    return (diff * diff).sum((-2, -1)) / (b * b)


def unit_rows_grad(g: torch.Tensor, unit: torch.Tensor, norm: torch.Tensor, scale=1.0) -> torch.Tensor:
    """Gradient through u = x / max(||x||, eps) along the last dimension, from d/du ``g``, times ``scale`` (a number
    or a tensor broadcasting to norm's shape): (g - u <u, g>) / ||x|| where ||x|| > eps, g / eps elsewhere
    (F.normalize's derivative). unit: u; norm: ||x|| (..., 1) unclamped. The scale joins the per-row factor."""
    live = (norm > 1e-12).to(g.dtype)
    proj = torch.linalg.vecdot(unit, g).unsqueeze(-1).mul_(live)  # (..., 1) <u, g> where ||x|| > eps
    row = torch.reciprocal(norm.clamp_min(1e-12)).mul_(scale)  # (..., 1) scale / max(||x||, eps)
    return torch.addcmul(g, unit, proj, value=-1.0).mul_(row)


def similarity_term_grad(h_fm: torch.Tensor, teacher: tuple[torch.Tensor, torch.Tensor], batch=None,
                         w=1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """similarity_loss (K',) and w times its gradient d/dh (K', Hs, B), feature-major, in closed form.

    h_fm: the student's features (K', Hs, B); teacher: the teacher's Gram matrix h_t h_t^T (K', B, B) and the
    reciprocals of its clamped row norms (K', B, 1) (teacher_gram; their product is its similarity_matrix, formed
    inside the difference); w a number or (K', 1, 1). G = h h^T, G~ = rownorm(G): d/dG~ = 2 (G~_s - G~_t) / B^2,
    back through the row normalisation (unit_rows_grad, the weight in its per-row factor), then
    d/dh^T = h^T (dG + dG^T).
    """
    gram_t, inv_t = teacher
    b = h_fm.shape[-1]
    gram = torch.bmm(h_fm.transpose(1, 2), h_fm)  # (K', B, B)
    norm = torch.linalg.vector_norm(gram, dim=-1, keepdim=True)  # (K', B, 1)
    unit = gram.div_(norm.clamp_min(1e-12))  # the student's similarity_matrix
    diff = torch.addcmul(unit, gram_t, inv_t, value=-1.0)  # G~_s - G~_t
    term = torch.linalg.vector_norm(diff, dim=(-2, -1)).square_().div_(b * b)  # (K',)
    g = unit_rows_grad(diff, unit, norm, w * (2.0 / (b * b)))  # (K', B, B) w d/dG
    return term, torch.bmm(h_fm, g + g.transpose(-1, -2))


def teacher_gram(b: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """The teacher's Gram matrix h_t h_t^T on each member's batch (K', B, B), from its live units (TeacherUnits),
    and 1 / max(||row||, eps) (K', B, 1): similarity_matrix's normalisation, applied by similarity_term_grad."""
    t = live_teacher_tap(b, b.state)  # (K', B, Ht')
    gram = torch.bmm(t, t.transpose(1, 2))  # (K', B, B)
    return gram, torch.linalg.vector_norm(gram, dim=-1, keepdim=True).clamp_min_(1e-12).reciprocal_()


similarity_objective = layer_objective(similarity_loss, WEIGHT)


similarity_method = register_method("similarity", teacher=True, unlabelled=False, taps=True, setup=TeacherUnits,
                                    grad=on_last_layers_grad(similarity_term_grad, WEIGHT, teacher_gram,
                                                             weighted=True))(
    on_last_layers(similarity_objective, WEIGHT))


NOTE = Note("similarity", "Similarity", "#882255", "relation", TRANSFERS, FORMULA, similarity_objective,
            defaults={"weight": WEIGHT}, reference="Tung and Mori 2019, Similarity-preserving knowledge distillation")
