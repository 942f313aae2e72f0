"""The state of the Temperature and Gradients pages: one dataclass each, round-tripped via the URL."""
from __future__ import annotations

from dataclasses import dataclass, field

from kdviz.config import format_floats, parse_floats
from kdviz.sweeps import T_CHOICES

LOGIT_PRESETS = {
    "confident teacher": "8, 3, 1.5, 0, -2",
    "uncertain teacher": "1.2, 1, 0.8, 0.5, 0.2",
    "a tie": "3, 3, 1, 0, -1",
}
CUSTOM = "your own values"


def canonical_logits(text: str) -> str:
    """Validate a logit string and return it in canonical form ("3, 1, 0.2")."""
    return format_floats(parse_floats(text))


@dataclass
class TemperatureConfig:
    """Temperature page: a logit vector, its hard label and the temperature."""

    preset: str = field(default="confident teacher", metadata={"choices": (*LOGIT_PRESETS, CUSTOM)})
    logits: str = field(default=LOGIT_PRESETS["confident teacher"], metadata={"parse": canonical_logits})
    label: int = field(default=0, metadata={"lo": 0, "hi": 19})  # the true class, for the hard-label bar
    T: float = field(default=4.0, metadata={"choices": T_CHOICES})


@dataclass
class GradientsConfig:
    """Gradients page: student and teacher logits and the temperature."""

    student: str = field(default="2, 1, 0.5, -1, 0", metadata={"parse": canonical_logits})
    teacher: str = field(default="5, 3, -1, -2, 0", metadata={"parse": canonical_logits})
    T: float = field(default=4.0, metadata={"choices": T_CHOICES})
