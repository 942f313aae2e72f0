"""KD toward any target distribution: Hinton's loss with a target r in place of the teacher's softened output.

The objective of multi-teacher students (r: several teachers combined) and born-again students
(r: the previous generation). Logits z are (K, B, C) or (B, C); targets are log-probabilities of
the same shape; T and alpha are numbers or one value per member (K,).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from kdviz.paradigms.shapes import right
from kdviz.train.kernels import kl_fm, labelled_ce, soft_toward_grad
from kdviz.train.methods import Batch, Grad


def soft_target_objective(z, labels, log_target, T=4.0, alpha=0.1, mask=None) -> torch.Tensor:
    """alpha CE(p, y) + (1 - alpha) T^2 KL(r || p^T), batch mean: (K,) or ().

    With r = softmax(v / T) this is kdviz.softening.kd_loss. Computed over the class-major views
    (contiguous for the engine's tensors); the target is a fixed distribution (detached).
    """
    logp = F.log_softmax(z.transpose(-1, -2) / right(T, 2), -2)  # (K, C, B)
    kl = kl_fm(log_target.detach().transpose(-1, -2), logp)  # (K,)
    return alpha * labelled_ce(z, labels, mask) + (1 - alpha) * T ** 2 * kl


def targets_table(run, members, make) -> torch.Tensor:
    """Per-member target log-probabilities on every training point (K, C, N): row i is make(i) (C, N) for the
    method's members, zeros for the others (rows are picked by member position)."""
    mine = set(members.tolist())
    zero = torch.zeros(run.ds.n_classes, len(run.ds.y_train), dtype=run.dtype, device=run.device)
    return torch.stack([make(i) if i in mine else zero for i in range(len(run.members))])  # (K, C, N)


def objective_on_table(b: Batch) -> torch.Tensor:
    """soft_target_objective on the batch toward the rows of the method's target table (its state)."""
    log_r = b.gather_members(b.state).transpose(1, 2)  # (K', B, C)
    return soft_target_objective(b.logits, b.labels, log_r, b.T.view(-1), b.alpha, b.mask)


def grad_on_table(b: Batch) -> Grad:
    """objective_on_table and its gradient in closed form (kernels.soft_toward_grad toward the table's rows)."""
    return soft_toward_grad(b, b.gather_members(b.state))  # targets (K', C, B)
