"""The Temperature page's state: a teacher's logit vector, its true class and the temperature."""
from __future__ import annotations

from dataclasses import dataclass

from kdviz.config import canonical_floats, setting
from kdviz.softening_curves import T_CHOICES

LOGIT_PRESETS = {
    "confident teacher": "8, 3, 1.5, 0, -2",
    "uncertain teacher": "1.2, 1, 0.8, 0.5, 0.2",
    "a tie": "3, 3, 1, 0, -1",
}
CUSTOM = "your own values"


@dataclass
class TemperatureConfig:
    """Temperature page: the teacher's logits v, the hard label and the temperature."""

    preset: str = setting("confident teacher", "Logit preset", choices=(*LOGIT_PRESETS, CUSTOM))
    logits: str = setting(LOGIT_PRESETS["confident teacher"], "Teacher logits v (comma-separated)",
                          parse=canonical_floats, help="2 to 20 numbers within ±10,000")
    label: int = setting(0, "True class (for the hard label)", lo=0, hi=19)
    T: float = setting(4.0, "Temperature T (log scale)", choices=T_CHOICES)
