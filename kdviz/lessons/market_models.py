"""Models of the market lesson: an ensemble teacher trained as one population, checkpointed on
validation, its averaged probabilities as KD targets, and paired KD/baseline students.

The teacher is M MLPs of one shape with different seeds, trained together as one engine
PopulationRun of "baseline" members; each member keeps its weights from the chunk with the best
validation accuracy (early stopping per member). The ensemble predicts the mean of the members'
probabilities; log of that mean is a valid logit vector (softmax(log p) = p), which is what the
engine's "kd" method receives as teacher logits.
"""
from __future__ import annotations

import numpy as np
import torch

from kdviz.data.registry import Dataset
from kdviz.models import Population
from kdviz.train import MemberConfig, PopulationRun, TeacherOutputs
from kdviz.train.outputs import model_logits

PROB_FLOOR = 1e-7  # averaged probabilities are clamped here before the log (no -inf logits)


def train_checkpointed(run: PopulationRun, steps: int, chunk: int, control=None, on_chunk=None) -> Population | None:
    """Train ``run`` for ``steps`` in chunks; return the population of each member's best-validation weights.

    Without a validation split the final weights are kept. ``control.proceed()`` is asked before
    each chunk (None is returned once it says stop); ``on_chunk(run)`` is called after each.
    Ties keep the earlier checkpoint (fewer steps), so the rule is deterministic.
    """
    has_val = run.ds.x_val is not None and len(run.ds.y_val) > 0
    k = len(run.members)
    best = np.full(k, -np.inf)  # (K,) best validation accuracy so far
    kept = [None] * k
    while run.t < steps:
        if control is not None and not control.proceed():
            return None
        run.step(min(chunk, steps - run.t))
        if has_val:
            val = run.evaluate("val")["accuracy"]  # (K,)
            for i in np.flatnonzero(val > best):
                best[i], kept[i] = val[i], run.population.member(int(i))
        if on_chunk is not None:
            on_chunk(run)
    final = [kept[i] if kept[i] is not None else run.population.member(i) for i in range(k)]
    pop = Population.from_models(final).eval()
    pop.val_accuracy = best if has_val else None
    return pop


def ensemble_probs(pop: Population, x: torch.Tensor) -> torch.Tensor:
    """Mean of the members' class probabilities (N, C) on x (N, D), in eval mode, without grad."""
    return torch.softmax(model_logits(pop, x), -1).mean(0)  # (K, N, C) -> (N, C)


def ensemble_logits(pop: Population, x: torch.Tensor) -> torch.Tensor:
    """log of the ensemble's averaged probabilities (N, C): logits whose softmax is that average."""
    return ensemble_probs(pop, x).clamp_min(PROB_FLOOR).log()


def ensemble_outputs(pop: Population, ds: Dataset) -> TeacherOutputs:
    """The ensemble's logits on ds's train and test inputs, for PopulationRun(teacher=...)."""
    dev = pop.device
    return TeacherOutputs(ensemble_logits(pop, ds.x_train.to(dev)), ensemble_logits(pop, ds.x_test.to(dev)))


class EnsemblePredictor(torch.nn.Module):
    """The ensemble as one deployable model: x (B, D) -> averaged probabilities (B, C) in one batched pass."""

    def __init__(self, pop: Population):
        super().__init__()
        self.pop = pop

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Averaged class probabilities (B, C)."""
        return torch.softmax(self.pop(x), -1).mean(0)  # (K, B, C) -> (B, C)


class StudentPredictor(torch.nn.Module):
    """One student MLP as deployed: x (B, D) -> class probabilities (B, C)."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class probabilities (B, C)."""
        return torch.softmax(self.model(x), -1)


def teacher_members(n: int, lr: float, seed: int) -> list[MemberConfig]:
    """``n`` hard-label members with seeds seed*100 + 0..n-1: the ensemble teacher's members."""
    return [MemberConfig("baseline", lr=lr, seed=seed * 100 + i) for i in range(n)]


def paired_members(seeds: int, T: float, alpha: float, lr: float, seed: int) -> list[MemberConfig]:
    """KD and baseline students in pairs (even index KD, odd index baseline), one pair per seed,
    each pair sharing initial weights and batch order, so a difference between them is KD's."""
    return [MemberConfig(method, T=T, alpha=alpha, lr=lr, seed=1000 + seed * 100 + s)
            for s in range(seeds) for method in ("kd", "baseline")]
