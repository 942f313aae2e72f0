"""The Dark knowledge page's settings (DarkConfig), and the page settings that show one of its runs (for its link).

Kept apart from page.py, which runs the page's experiments in turn, so that each experiment can
name the page that shows it without importing that runner.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kdviz.config import learning_rate, setting
from kdviz.softening_curves import T_CHOICES

if TYPE_CHECKING:
    from kdviz.experiments.dark_knowledge.omitted import OmittedConfig
    from kdviz.experiments.dark_knowledge.sweep import SweepConfig

N_TEST = 539  # test images of the digits split at seed 0 (asserted by the tests)


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
    lr: float = learning_rate()
    bias: float = setting(0.0, "Bias added to the omitted digit's logit", lo=-2.0, hi=10.0, step=0.25)
    sweep_steps: int = setting(1000, "Steps per student", lo=50, hi=3000, step=50)
    sweep_seeds: int = setting(3, "Seeds per cell", lo=1, hi=5)


def from_teachers(cfg=None) -> DarkConfig:
    """The page's settings that show the teachers (the page's defaults: the teachers take no settings of it)."""
    return DarkConfig()


def from_omitted(cfg: OmittedConfig) -> DarkConfig:
    """The page's settings that show an omitted-digit run (the page's defaults elsewhere)."""
    return DarkConfig(omit=cfg.omit, kd_T=cfg.T, alpha=cfg.alpha, steps=cfg.steps, seeds=cfg.seeds, lr=cfg.lr)


def from_sweep(cfg: SweepConfig) -> DarkConfig:
    """The page's settings that show a sweep (its seeds and steps; the page always sweeps the default grid)."""
    return DarkConfig(sweep_steps=cfg.steps, sweep_seeds=cfg.seeds)
