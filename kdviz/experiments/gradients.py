"""The Gradients page's state: student logits z, teacher logits v and the temperature."""
from __future__ import annotations

from dataclasses import dataclass

from kdviz.config import canonical_floats, setting
from kdviz.softening_curves import T_CHOICES


@dataclass
class GradientsConfig:
    """Gradients page: student and teacher logits and the temperature."""

    student: str = setting("2, 1, 0.5, -1, 0", "Student logits z", parse=canonical_floats)
    teacher: str = setting("5, 3, -1, -2, 0", "Teacher logits v", parse=canonical_floats)
    T: float = setting(4.0, "Temperature T (log scale)", choices=T_CHOICES)
