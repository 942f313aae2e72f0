"""The headline numbers a page posts to the class board, computed from its run's summary (never typed)."""
from __future__ import annotations

from kdviz.experiments.live import Summary


def live(s: Summary) -> dict[str, float]:
    """Live training: mean test accuracies over seeds, KD's paired gain and the unseen class's recall."""
    out = {"kd_acc": float(s.kd_acc.mean()), "baseline_acc": float(s.base_acc.mean()),
           "gain": float(s.gain.mean()), "teacher_acc": float(s.teacher_acc), "kd_fidelity": float(s.kd_fidelity)}
    if s.kd_recall is not None:
        out |= {"kd_unseen_recall": float(s.kd_recall), "baseline_unseen_recall": float(s.base_recall)}
    return out
