"""FitNets (Romero et al. 2015): the student's hidden layer, through a learned regressor, matches the teacher's.

Hidden features are (B, H) for one model or (K, B, H) for a population of K members; teacher
features may lack the K dimension and broadcast. Losses are batch means per member: (K,) or a
scalar for unbatched input. In the engine, each member's regressor is trained beside it by its
own Adam (the gradients reach it through the same backward pass).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn as nn

from kdviz.paradigms.note import Note
from kdviz.paradigms.shapes import batch_mean, feature_pair, features
from kdviz.paradigms.taps import last_name, last_tap, last_teacher_tap
from kdviz.train.kernels import hard_grad, labelled_ce
from kdviz.train.optimiser import adam_update, flatten_parameters
from kdviz.train.methods import Batch, Grad, register_method

TRANSFERS = ("Intermediate representations: the student's last hidden layer, through a learned linear regressor, "
             "must reproduce the teacher's last hidden layer. Unlike the paper, which first trains the student up to "
             "a middle layer on the hint alone and then the whole student with KD (two stages), this trains the hint "
             "beside the labels in one stage, at the last hidden layer.")
FORMULA = (r"\mathcal{L} = \mathrm{CE}(p, y)"
           r" + w\,\frac{1}{B\,H_t}\sum_{b} \left\| h^s_b W + c - h^t_b \right\|_2^2")  # as trained


class HintRegressor(nn.Module):
    """FitNets regressor r(h) = h W + b from student width Hs to teacher width Ht, one per member.

    ``seeds`` an int gives one regressor: weight (Hs, Ht), bias (Ht,). A sequence of K seeds gives
    a stacked population: weight (K, Hs, Ht), bias (K, 1, Ht), member k drawn from its own seed
    (so member k is the same whatever K is). Initialised like nn.Linear: U(-1/sqrt(Hs), 1/sqrt(Hs))
    for weights and bias, drawn in float32 on the CPU so every device and precision starts from the same
    numbers (then cast to ``dtype``, by default torch's default dtype). Trained with the
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
            ws.append(torch.empty(hs, ht, device="cpu").uniform_(-bound, bound, generator=g))
            bs.append(torch.empty(1, ht, device="cpu").uniform_(-bound, bound, generator=g))
        weight, bias = torch.stack(ws), torch.stack(bs)  # (K, Hs, Ht), (K, 1, Ht)
        if single:
            weight, bias = weight[0], bias[0, 0]  # (Hs, Ht), (Ht,)
        self.weight = nn.Parameter(weight.to(device, dtype))
        self.bias = nn.Parameter(bias.to(device, dtype))

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


WEIGHT = 1.0  # default weight of the hint term


def fitnet_objective(z, labels, h_s, h_t, weight_matrix, bias, weight=WEIGHT, mask=None) -> torch.Tensor:
    """What a FitNets student trains: CE(p, y) + weight * fitnet_loss(h_s, h_t, W, c) (one stage, jointly)."""
    return labelled_ce(z, labels, mask) + weight * fitnet_loss(h_s, h_t, weight_matrix, bias)


class Regressors:
    """The FitNets regressors of a run's fitnet members (one per member, seeded by its seed) and their Adam.

    Weights and gradients are views into one (K', P) buffer each, stepped by optimiser.adam_update at
    each member's learning rate (the engine's own update, a handful of tensor ops). The gradients
    arrive from autograd (accumulated, after fitnet_method's clear()) or from fitnet_grad (written).
    """

    def __init__(self, run, members: torch.Tensor):
        hs = run.hidden[-1]
        ht = last_tap(run.teacher.train_taps).shape[-1]
        rows = members.tolist()
        self.regressor = HintRegressor(hs, ht, [run.members[i].seed for i in rows], device=run.device,
                                       dtype=run.dtype)  # (K', Hs, Ht)
        self._flat, self._grad = flatten_parameters(list(self.regressor.parameters()), len(rows))  # (K', P)
        self._m, self._v = torch.zeros_like(self._flat), torch.zeros_like(self._flat)
        self._lr = torch.tensor([[run.members[i].lr] for i in rows], dtype=self._flat.dtype, device=run.device)
        self._t = 0

    def step(self, run, members: torch.Tensor) -> None:
        """Step the regressors with the gradients this step left on them (fitnet_grad writes them; on the autograd
        path fitnet_method clears them before they accumulate)."""
        self._t += 1
        adam_update(self._flat, self._grad, self._m, self._v, self._t, self._lr)

    def clear(self) -> None:
        """Zero the regressors' gradients (before an autograd backward accumulates into them)."""
        self._grad.zero_()


def fitnet_grad(b: Batch) -> Grad:
    """fitnet_method's value and gradients in closed form; the regressor's are written on its .grad for after_step.

    With r = h W + c (K', B, Ht), the hint w mean((r - t)^2) has d/dr = G = 2 w (r - t) / (B Ht), so
    d/dh = G W^T, d/dW = h^T G, d/dc = sum_b G (the regressor's Adam steps them in after_step).
    """
    reg = b.state.regressor
    name = last_name(b.taps_fm)
    h_fm = b.taps_fm[name]  # (K', Hs, B)
    # (K', B, Ht) r - t = (c - t) + h W: accumulated onto c - t in place (baddbmm over the broadcast bias would
    # first copy it into a (K', B, Ht) output, then subtract t in another pass)
    diff = (reg.bias - last_teacher_tap(b)).baddbmm_(h_fm.transpose(1, 2), reg.weight)
    k, n, ht = diff.shape
    w = b.option("weight", WEIGHT)  # (K',)
    hint = torch.linalg.vector_norm(diff, dim=(1, 2)).square_()  # (K',) B Ht mean((r - t)^2), no temporary
    g_r = diff.mul_(w.mul(2.0 / (n * ht)).view(-1, 1, 1))  # (K', B, Ht)
    reg.weight.grad.copy_(torch.bmm(h_fm, g_r))  # (K', Hs, Ht), into the regressors' (strided) gradient buffer
    reg.bias.grad.copy_(g_r.sum(1, keepdim=True))  # (K', 1, Ht)
    hard, g, _ = hard_grad(b)
    return Grad(torch.addcmul(hard, w, hint, value=1.0 / (n * ht)), g,
                {name: torch.bmm(reg.weight, g_r.transpose(1, 2))})  # tap grad (K', Hs, B)


@register_method("fitnet", teacher=True, unlabelled=False, taps=True, setup=Regressors, grad=fitnet_grad,
                 after_step=lambda state, run, members: state.step(run, members))
def fitnet_method(b: Batch) -> torch.Tensor:
    """fitnet_objective between the regressed last student layer and the teacher's last layer (option "weight")."""
    b.state.clear()
    reg = b.state.regressor
    return fitnet_objective(b.logits, b.labels, last_tap(b.taps), last_tap(b.teacher_taps), reg.weight, reg.bias,
                            b.option("weight", WEIGHT), b.mask)


NOTE = Note("fitnet", "FitNets", "#009E73", "feature", TRANSFERS, FORMULA, fitnet_objective,
            defaults={"weight": WEIGHT}, reference="Romero et al. 2015, FitNets: hints for thin deep nets")
