"""Label-smoothed cross-entropy as an engine method, "smoothed_ce", for training smoothed teachers.

Targets (1 - eps) onehot(y) + eps / C (Szegedy et al. 2016; Müller, Kornblith and Hinton 2019
showed such teachers are better models but worse teachers). options {"eps": ...}; eps = 0 is
plain cross-entropy, so a smoothed teacher differs from the normal one in nothing else.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from kdviz.train.methods import Batch, register_method


@register_method("smoothed_ce", teacher=False, unlabelled=False)
def smoothed_ce(b: Batch) -> torch.Tensor:
    """Label-smoothed cross-entropy per member (K',): -sum_c [(1 - eps) onehot_c + eps / C] log p_c, batch mean."""
    eps = b.option("eps", 0.0)  # (K',)
    logp = F.log_softmax(b.logits_fm, 1)  # (K', C, B)
    nll = -logp.gather(1, b.labels.clamp_min(0).unsqueeze(1)).squeeze(1)  # (K', B)
    uniform = -logp.mean(1)  # (K', B): cross-entropy with the uniform distribution
    return ((1 - eps).unsqueeze(1) * nll + eps.unsqueeze(1) * uniform).mean(-1)
