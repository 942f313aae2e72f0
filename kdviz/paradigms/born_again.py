"""Born-again networks (Furlanello et al. 2018): a student of the same size distils from its previous generation.

Generation k is trained with the usual KD loss toward generation k - 1 (the first generation
toward the original teacher, or a labels-only model). The run holds each member's previous
generation's logits on the training set (PopulationRun(targets=...)).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from kdviz.paradigms.multi_teacher import combine_teachers
from kdviz.paradigms.note import Note
from kdviz.paradigms.targets import grad_on_table, objective_on_table, soft_target_objective, targets_table
from kdviz.train.methods import Batch, register_method
TRANSFERS = "The model's own earlier self: generation k learns from generation k - 1 of the same architecture."
FORMULA = (r"\mathcal{L}^{(k)} = \alpha\,\mathrm{CE}(p^{(k)}, y) + (1-\alpha)\,T^2\,"
           r"\mathrm{KL}(p^{(k-1),T} \,\|\, p^{(k),T})")  # as trained


def born_again_targets(generations: Sequence, T=1.0, ensemble: bool = False) -> torch.Tensor:
    """Targets for the next born-again generation (Furlanello et al. 2018), as log-probabilities (B, C).

    Generation k is trained with the usual KD loss toward generation k-1 (the first generation
    toward the original teacher): log softmax(v_{k-1} / T). With ensemble=True the target averages
    the probabilities of all previous generations (combine_teachers' "avg_prob"). ``generations``
    lists the logits (B, C) of the original teacher and each trained generation, oldest first.
    """
    if len(generations) == 0:
        raise ValueError("born_again_targets needs the logits of at least one previous generation")
    # tensors stay on their device; arrays become CPU tensors
    logits = [g if isinstance(g, torch.Tensor) else torch.as_tensor(g, device="cpu") for g in generations]
    shapes = {tuple(g.shape) for g in logits}
    if len(shapes) != 1:
        raise ValueError(f"every generation's logits must have one shape, got {sorted(shapes)}")
    chosen = logits if ensemble else [logits[-1]]
    stacked = torch.stack(chosen)  # (M, B, C)
    return combine_teachers(stacked, "avg_prob", T).log_probs


def born_again_objective(z, labels, previous_logits, T=4.0, alpha=0.1, mask=None) -> torch.Tensor:
    """What a born-again student trains: alpha CE + (1 - alpha) T^2 KL(q_prev^T || p^T), q_prev: the last generation."""
    return soft_target_objective(z, labels, born_again_targets([previous_logits], T), T, alpha, mask)


def _previous(run, members: torch.Tensor) -> torch.Tensor:
    """Each born-again member's targets from its previous generation at its T, on every training point (K, C, N)."""
    for i in members.tolist():
        if i not in run.targets:
            raise ValueError(f"born_again member {i} needs the previous generation's logits in targets[{i}]")
    return targets_table(run, members, lambda i: born_again_targets([run.targets[i]], run.members[i].T).t())


@register_method("born_again", teacher=False, unlabelled=True, setup=_previous, grad=grad_on_table)
def born_again_method(b: Batch) -> torch.Tensor:
    """soft_target_objective toward the previous generation's softened outputs (tabulated once per run)."""
    return objective_on_table(b)


NOTE = Note("born_again", "Born-again", "#999933", "self", TRANSFERS, FORMULA, born_again_objective,
            uses=("T", "alpha"), reference="Furlanello et al. 2018, Born-again neural networks")
