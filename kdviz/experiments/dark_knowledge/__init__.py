"""Dark knowledge on the 8x8 digits: the teachers, what their soft targets say, the omitted digit, a T x alpha sweep.

DarkConfig is the page's state; it names the settings of three experiments: the two teachers
(teachers.py), the omitted-digit students (omitted.py) and the sweep (sweep.py). What the soft
targets say is computed from the teachers' logits in soft_targets.py.
"""
from __future__ import annotations

from dataclasses import dataclass

from kdviz.config import setting
from kdviz.experiments.dark_knowledge import omitted, soft_targets, sweep, teachers
from kdviz.experiments.dark_knowledge.omitted import OmittedConfig
from kdviz.experiments.dark_knowledge.sweep import SweepConfig
from kdviz.sweeps import T_CHOICES

N_TEST = 539  # test images of the digits split at seed 0 (asserted by the tests)
EXPERIMENTS = (teachers.EXPERIMENT, omitted.EXPERIMENT, sweep.EXPERIMENT)


@dataclass
class DarkConfig:
    """Everything the Dark knowledge page shows or trains, round-tripped through the URL."""

    image: int = setting(0, f"Test image (0 to {N_TEST - 1})", lo=0, hi=N_TEST - 1)
    T: float = setting(4.0, "Temperature T of the soft targets shown", choices=T_CHOICES)
    omit: int = setting(3, "Digit left out of the students' transfer set", lo=0, hi=9)
    kd_T: float = setting(8.0, "Distillation temperature", choices=T_CHOICES)
    alpha: float = setting(0.1, "alpha (weight of the hard labels)", lo=0.0, hi=1.0, step=0.05)
    steps: int = setting(2000, "Training steps", lo=50, hi=5000, step=50)
    seeds: int = setting(3, "Seeds (students per role)", lo=1, hi=5)
    bias: float = setting(0.0, "Bias added to the omitted digit's logit", lo=-2.0, hi=10.0, step=0.25)
    sweep_steps: int = setting(1000, "Steps per student", lo=50, hi=3000, step=50)
    sweep_seeds: int = setting(3, "Seeds per cell", lo=1, hi=5)


def omitted_config(cfg: DarkConfig, teachers_eps: tuple[float, ...] = (0.0,), baseline: bool = True) -> OmittedConfig:
    """The omitted-digit run the page's settings describe, distilled from teachers of these label smoothings."""
    return OmittedConfig(cfg.omit, cfg.kd_T, cfg.alpha, cfg.steps, cfg.seeds, tuple(float(e) for e in teachers_eps),
                         baseline)


def sweep_config(cfg: DarkConfig) -> SweepConfig:
    """The sweep the page's settings describe (the default grid)."""
    return SweepConfig(seeds=cfg.sweep_seeds, steps=cfg.sweep_steps)


__all__ = ["DarkConfig", "EXPERIMENTS", "N_TEST", "omitted", "omitted_config", "soft_targets", "sweep",
           "sweep_config", "teachers"]
