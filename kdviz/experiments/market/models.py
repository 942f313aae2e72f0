"""Models of the Market page: the ensemble teacher's averaged probabilities as KD targets, deployable
predictors for latency, and paired KD/baseline students.

The ensemble predicts the mean of its members' probabilities; log of that mean is a valid
logit vector (softmax(log p) = p), which is what the engine's "kd" method receives as teacher
logits.
"""
from __future__ import annotations

import torch

from kdviz.data.registry import Dataset
from kdviz.models import Population
from kdviz.train import MemberConfig, TeacherOutputs, model_logits

PROB_FLOOR = 1e-7  # averaged probabilities are clamped here before the log (no -inf logits)


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


def paired_members(seeds: int, T: float, alpha: float, lr: float, seed: int) -> list[MemberConfig]:
    """KD and baseline students in pairs (even index KD, odd index baseline), one pair per seed,
    each pair sharing initial weights and batch order, so a difference between them is KD's."""
    return [MemberConfig(method, T=T, alpha=alpha, lr=lr, seed=1000 + seed * 100 + s)
            for s in range(seeds) for method in ("kd", "baseline")]
