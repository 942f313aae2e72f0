"""Mean teacher (Tarvainen and Valpola 2017): an exponential moving average of the student's weights as its teacher.

After each optimiser step the teacher's weights move toward the student's (ema_update with a
decay from ema_decay); the student is trained with cross-entropy plus a consistency loss to the
teacher's outputs, weighted by sigmoid_rampup. Weights may be stacked per member (K, ...).
"""
from __future__ import annotations

import math
import operator
from collections.abc import Iterable

import torch
import torch.nn as nn
import torch.nn.functional as F

from kdviz.models import Population
from kdviz.paradigms.note import Note
from kdviz.paradigms.shapes import batch_mean, logits_pair
from kdviz.softening import kl_from_log
from kdviz.train.kernels import hard_grad, labelled_ce
from kdviz.train.methods import Batch, Grad, register_method

DECAY, RAMPUP, WEIGHT = 0.99, 200, 1.0  # defaults: EMA decay, consistency ramp-up steps, consistency weight
NOISE_SEED = 7919  # offsets a member's seed for its input-noise generator (independent of its batches)
TRANSFERS = ("A smoothed version of the student itself: the exponential moving average of its weights, "
             "steadier than any single step.")
FORMULA = (r"\theta'_t = \gamma_t\,\theta'_{t-1} + (1-\gamma_t)\,\theta_t,\ "
           r"\gamma_t = \min\!\left(1 - \tfrac{1}{t+1}, \gamma\right),\quad"
           r" \mathcal{L} = \mathrm{CE}(p, y) + w\,r(t)\,\frac{1}{C}\left\| p(x) - p_{\theta'}(x + \epsilon) \right\|_2^2,"
           r"\ \epsilon \sim \mathcal{N}(0, \sigma^2)")  # as trained


def _count(n, name: str) -> int:
    """``n`` as a whole number >= 0 (ints and NumPy integers), else a ValueError."""
    try:
        i = operator.index(n)
    except TypeError:
        raise ValueError(f"{name} must be a whole number >= 0, got {n!r}") from None
    if i < 0 or isinstance(n, bool):
        raise ValueError(f"{name} must be a whole number >= 0, got {n!r}")
    return i


def ema_decay(step: int, decay: float = 0.999, rampup_steps: int | None = None, rampup_decay: float = 0.99) -> float:
    """EMA decay at optimiser step ``step`` (0-based).

    With ``rampup_steps``: ``rampup_decay`` (0.99) during the first rampup_steps steps, ``decay``
    (0.999) after, as in the paper. Without: min(1 - 1/(step + 1), decay), the form of the
    authors' code, which makes the teacher the plain average of the students seen so far early on.
    """
    step = _count(step, "step")
    for name, d in (("decay", decay), ("rampup decay", rampup_decay)):
        if not (isinstance(d, (int, float)) and 0.0 <= d <= 1.0):
            raise ValueError(f"{name} must be a number in [0, 1], got {d!r}")
    if rampup_steps is None:
        return min(1.0 - 1.0 / (step + 1), float(decay))
    rampup_steps = _count(rampup_steps, "rampup_steps")
    return float(rampup_decay if step < rampup_steps else decay)


def sigmoid_rampup(step: int, rampup_steps: int) -> float:
    """Consistency-weight ramp-up exp(-5 (1 - t)^2), t = min(step / rampup_steps, 1); 1 when rampup_steps = 0."""
    step, rampup_steps = _count(step, "step"), _count(rampup_steps, "rampup_steps")
    if rampup_steps == 0:
        return 1.0
    t = min(step / rampup_steps, 1.0)
    return math.exp(-5.0 * (1.0 - t) ** 2)


def _tensors(params, name: str) -> list[torch.Tensor]:
    """Parameters of a module, or a tensor, or an iterable of tensors, as a list."""
    if isinstance(params, nn.Module):
        return list(params.parameters())
    if isinstance(params, torch.Tensor):
        return [params]
    if not isinstance(params, Iterable):
        raise ValueError(f"{name} must be a module, a tensor or a list of tensors")
    return list(params)


@torch.no_grad()
def ema_update(teacher_params, student_params, decay) -> None:
    """In place: theta_t <- decay * theta_t + (1 - decay) * theta_s, for each tensor pair.

    teacher_params, student_params: modules, tensors or lists of tensors of matching shapes (stacked
    (K, ...) population weights included). decay: a number in [0, 1], or a tensor of one decay per
    member (K,) applied along each tensor's first dimension.
    """
    ts, ss = _tensors(teacher_params, "teacher parameters"), _tensors(student_params, "student parameters")
    if len(ts) != len(ss):
        raise ValueError(f"teacher has {len(ts)} parameter tensors but student has {len(ss)}")
    for i, (t, s) in enumerate(zip(ts, ss)):
        if t.shape != s.shape:
            raise ValueError(f"parameter {i}: teacher shape {tuple(t.shape)} differs from student {tuple(s.shape)}")
    if not isinstance(decay, torch.Tensor):
        d = float(decay)
        if not 0.0 <= d <= 1.0:
            raise ValueError(f"EMA decay must be in [0, 1], got {decay!r}")
        if ts:
            torch._foreach_lerp_(ts, ss, 1.0 - d)  # theta_t + (1 - d)(theta_s - theta_t)
        return
    if ((decay < 0) | (decay > 1) | ~torch.isfinite(decay)).any():
        raise ValueError("EMA decays must lie in [0, 1]")
    for t, s in zip(ts, ss):
        if decay.numel() != 1 and (t.dim() == 0 or t.shape[0] != decay.numel()):
            raise ValueError(f"{decay.numel()} per-member decays do not match a parameter of shape {tuple(t.shape)}")
        w = (1 - decay).to(t)  # (K,) -> (K, 1, ..., 1) along the member dimension
        t.lerp_(s, w.reshape(()) if w.numel() == 1 else w.reshape((-1,) + (1,) * (t.dim() - 1)))


def consistency_loss(z, z_target, kind: str = "mse") -> torch.Tensor:
    """Mean-teacher consistency between student outputs and the (EMA) teacher's, batch mean.

    kind="mse": (1/C) ||softmax(z) - softmax(z_target)||^2 per sample (the paper's choice);
    kind="kl": KL(softmax(z_target) || softmax(z)). At T = 1; the target is detached.
    z: (B, C)/(K, B, C); z_target: same or (B, C). Returns (K,) or a scalar.
    """
    z, zt = logits_pair(z, z_target, names=("student logits", "teacher logits"))
    logp, logq = F.log_softmax(z, -1), F.log_softmax(zt.detach(), -1)  # (K, B, C)
    if kind == "mse":
        per_sample = ((logp.exp() - logq.exp()) ** 2).mean(-1)
    elif kind == "kl":
        per_sample = kl_from_log(logq, logp)
    else:
        raise ValueError(f"consistency kind must be 'mse' or 'kl', got {kind!r}")
    return batch_mean(per_sample)


def mean_teacher_objective(z, labels, z_teacher, weight=WEIGHT, mask=None) -> torch.Tensor:
    """What a mean-teacher student trains: CE(p, y) + weight * consistency_loss(z, z_teacher), weight = w r(t)."""
    return labelled_ce(z, labels, mask) + weight * consistency_loss(z, z_teacher)


class Teachers:
    """The EMA teachers of a run's mean-teacher members: a Population holding a moving average of their weights."""

    def __init__(self, run, members: torch.Tensor):
        pop = Population.from_arrays(run.population.arrays(), device=run.device)
        keep = members.to(run.device)
        with torch.no_grad():
            for p in pop.parameters():
                p.data = p.data.index_select(0, keep).clone()
        pop.requires_grad_(False)
        self.teachers = pop  # member i is the EMA teacher of the method's i-th member
        ix = members.tolist()
        self.decay = torch.tensor([float(run.members[i].options.get("decay", DECAY)) for i in ix],
                                  dtype=run.dtype, device=run.device)  # (K',) each member's option "decay"
        self.noise = [float(run.members[i].options.get("noise", 0.0)) for i in ix]  # input noise std per member
        self._noisy = any(self.noise)
        self._gens = [torch.Generator().manual_seed(run.members[i].seed + NOISE_SEED) for i in ix]

    @torch.no_grad()
    def outputs(self, x_fm: torch.Tensor) -> torch.Tensor:
        """The EMA teachers' logits (K', C, B) on their students' batches x_fm (K', D, B), each batch with the
        member's Gaussian input noise (option "noise", its std; none by default), drawn from the member's
        own generator so a member trains alike in any population."""
        if self._noisy:
            noise = torch.stack([torch.randn(x_fm.shape[1:], generator=g, device="cpu") * s for g, s in zip(self._gens, self.noise)])
            x_fm = x_fm + noise.to(x_fm)  # (K', D, B)
        return self.teachers.forward_fm(x_fm)[0]

    @torch.no_grad()
    def update(self, run, members: torch.Tensor) -> None:
        """theta' <- d theta' + (1 - d) theta with each member's d = ema_decay(step, options["decay"]).

        ema_decay's min(1 - 1/(step + 1), decay) as one tensor op, then ema_update's per-member lerp,
        without a device sync (the decays are valid by construction)."""
        weight = (1 - self.decay.clamp_max(1.0 - 1.0 / run.t)).view(-1, 1, 1)  # (K', 1, 1), step = run.t - 1
        for t, s in zip(self.teachers.parameters(), run.population.parameters()):
            t.lerp_(s.detach().index_select(0, members), weight)


def _weight(b: Batch) -> torch.Tensor:
    """Each member's consistency weight at this step, w r(t): (K',)."""
    return b.option("weight", WEIGHT) * sigmoid_rampup(b.step, int(b.options[0].get("rampup", RAMPUP)))


def mean_teacher_grad(b: Batch) -> Grad:
    """mean_teacher_method's value and gradient in closed form, class-major (K', C, B).

    With p = softmax(z), q the EMA teacher's (fixed) and the MSE (1/C) ||p - q||^2 per sample:
    d/dz_c = (2 / C) p_c [(p_c - q_c) - sum_i p_i (p_i - q_i)], times w r(t) / B, added to the
    cross-entropy's (p - onehot(y)) / n.
    """
    z_t = b.state.outputs(b.x_fm)  # (K', C, B) the EMA teachers on their students' (noised) batches
    p, q = F.softmax(b.logits_fm, 1), F.softmax(z_t, 1)
    c, n = p.shape[1], p.shape[-1]
    diff = p - q
    mse = (diff * diff).mean(1).mean(-1)  # (K',)
    w = _weight(b)
    hard, g, _ = hard_grad(b)
    term = (diff - (p * diff).sum(1, keepdim=True)).mul_(p)  # (K', C, B)
    g.add_(term.mul_(w.view(-1, 1, 1) * (2.0 / (c * n))))
    return Grad(hard + w * mse, g)


@register_method("ema", teacher=False, unlabelled=True, setup=Teachers, grad=mean_teacher_grad,
                 after_step=lambda state, run, members: state.update(run, members))
def mean_teacher_method(b: Batch) -> torch.Tensor:
    """mean_teacher_objective against each member's EMA teacher on its batch (options "weight", "decay", "rampup",
    "noise": the std of Gaussian noise on the teacher's view of the inputs, as in Tarvainen and Valpola)."""
    z_t = b.state.outputs(b.x_fm).transpose(1, 2)  # (K', B, C) the EMA teachers on their students' (noised) batches
    return mean_teacher_objective(b.logits, b.labels, z_t, _weight(b), b.mask)


NOTE = Note("ema", "Mean teacher (EMA)", "#000000", "self", TRANSFERS, FORMULA, mean_teacher_objective,
            defaults={"decay": DECAY, "weight": WEIGHT, "rampup": float(RAMPUP), "noise": 0.0},
            reference="Tarvainen and Valpola 2017, Mean teachers are better role models")
