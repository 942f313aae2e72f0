"""The character model's teacher: one CharGRU trained on the training text with next-character cross-entropy."""
from __future__ import annotations

from collections.abc import Callable

import torch

from kdviz.lm.corpus import Corpus
from kdviz.lm.distil import held_out_metrics
from kdviz.lm.losses import labels_loss
from kdviz.lm.model import CharGRU, Shape

TEACHER = Shape(embed=64, hidden=512)  # about 0.9 million parameters


def train_teacher(corpus: Corpus, shape: Shape = TEACHER, steps: int = 3000, seed: int = 0, window: int = 128,
                  batch: int = 32, lr: float = 3e-3, device: torch.device | str = "cpu",
                  report: Callable[[int, float], None] | None = None) -> CharGRU:
    """A teacher trained ``steps`` steps on seeded windows of the training text (Adam, the learning rate halved over
    the last third); ``report(step, loss)`` every 100 steps."""
    model = CharGRU(shape, [seed], device=device)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda t: 1.0 if t < 2 * steps // 3 else 0.5)
    for step in range(steps):
        ids = corpus.windows("train", window, batch, seed=seed * 1_000_003 + step).to(device)  # (B, window + 1)
        z, _ = model(ids[:, :-1])  # (1, B, window, V)
        loss = labels_loss(z[0], ids[:, 1:])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        if report is not None and (step + 1) % 100 == 0:
            report(step + 1, float(loss))
    return model.eval()


def teacher_bits_per_char(teacher: CharGRU, windows: torch.Tensor) -> float:
    """The teacher's held-out bits per character on ``windows`` (N, L + 1)."""
    return float(held_out_metrics(teacher, teacher, windows)["bits_per_char"][0])
