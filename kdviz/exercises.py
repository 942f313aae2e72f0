"""Predict-then-check exercises: the answer to each is computed from the learner's own run, never typed."""
from __future__ import annotations

from kdviz.experiments.live import Summary

KD, BASELINE, SAME = "the KD student", "the baseline", "about the same (within 5 points)"
UNSEEN_CHOICES = (KD, BASELINE, SAME)
MARGIN = 0.05  # recall difference below which the two students count as the same


def unseen_class(s: Summary) -> tuple[str, str]:
    """Which student recognised the class it never saw better, and why, from a Live training run's summary.

    Returns (one of UNSEEN_CHOICES, an explanation quoting the run's recalls). Needs a run with an
    omitted class (s.kd_recall is not None).
    """
    if s.kd_recall is None:
        raise ValueError("this run omitted no class: there is no unseen class to ask about")
    diff = s.kd_recall - s.base_recall
    answer = KD if diff > MARGIN else BASELINE if diff < -MARGIN else SAME
    numbers = (f"In your run the KD students' recall on the unseen class is {s.kd_recall:.0%}, the baselines' "
               f"{s.base_recall:.0%} (mean over {len(s.kd_acc)} seeds).")
    why = {KD: " The baseline never saw a label of that class, so it cannot predict it; the teacher's soft "
               "targets gave the KD student a small probability for it wherever the teacher saw it.",
           BASELINE: " Here the soft targets did not carry the class: try a higher T or a lower alpha.",
           SAME: " Here the soft targets carried too little of the class to matter: try a higher T, a lower alpha "
                 "or more steps."}[answer]
    return answer, numbers + why
