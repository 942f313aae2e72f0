"""The headline numbers a page posts to the class board, computed from its run's summary (never typed), and what
each posted number and setting is called in words (the board's axes and leaderboard)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from kdviz.experiments.live import LiveConfig, Summary


@dataclass(frozen=True)
class Quantity:
    """A posted number or setting as the board shows it: its name in words, and "%" or "pts" for a fraction
    (an accuracy, or a difference of two) shown times 100."""

    words: str
    unit: str = ""

    @property
    def scale(self) -> float:
        """What a posted value is multiplied by to be shown in ``unit`` (fractions become percent)."""
        return 100.0 if self.unit else 1.0

    @property
    def title(self) -> str:
        """'KD student test accuracy (%)': the words, with the unit when there is one."""
        return f"{self.words} ({self.unit})" if self.unit else self.words


NUMBERS = {  # every number a page posts (headlines below), in words
    "kd_acc": Quantity("KD student test accuracy", "%"),
    "baseline_acc": Quantity("Baseline test accuracy", "%"),
    "gain": Quantity("KD student's gain over the baseline", "pts"),
    "teacher_acc": Quantity("Teacher test accuracy", "%"),
    "kd_fidelity": Quantity("KD student's agreement with the teacher", "%"),
    "kd_unseen_recall": Quantity("KD student's recall on the unseen class", "%"),
    "baseline_unseen_recall": Quantity("Baseline's recall on the unseen class", "%"),
}
SETTINGS = {"live": LiveConfig}  # the settings each posting page sends, by page


def quantity(page: str, name: str) -> Quantity:
    """What the board calls posted number or setting ``name`` of ``page``: its words (the setting's label on the
    page), or the name itself for one it does not know (an older post)."""
    if name in NUMBERS:
        return NUMBERS[name]
    labels = {f.name: f.metadata.get("label", f.name) for f in dataclasses.fields(SETTINGS[page])} \
        if page in SETTINGS else {}
    return Quantity(labels.get(name, name))


def live(s: Summary) -> dict[str, float]:
    """Live training: mean test accuracies over seeds, KD's paired gain and the unseen class's recall."""
    out = {"kd_acc": float(s.kd_acc.mean()), "baseline_acc": float(s.base_acc.mean()),
           "gain": float(s.gain.mean()), "teacher_acc": float(s.teacher_acc), "kd_fidelity": float(s.kd_fidelity)}
    if s.kd_recall is not None:
        out |= {"kd_unseen_recall": float(s.kd_recall), "baseline_unseen_recall": float(s.base_recall)}
    return out
