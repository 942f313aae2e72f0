"""Dark knowledge on the 8x8 digits: the teachers, what their soft targets say, the omitted digit, a T x alpha sweep.

DarkConfig (settings.py) is the page's state; it names the settings of three experiments: the two
teachers (teachers.py), the omitted-digit students (omitted.py) and the sweep (sweep.py). What the
soft targets say is computed from the teachers' logits in soft_targets.py. page.py runs all of them
as one experiment, "dark_knowledge" (the command line's ``dark-knowledge``).
"""
from __future__ import annotations

from kdviz.experiments.dark_knowledge import omitted, page, soft_targets, sweep, teachers
from kdviz.experiments.dark_knowledge.page import DarkSnapshot, omitted_config, sweep_config
from kdviz.experiments.dark_knowledge.settings import N_TEST, DarkConfig

EXPERIMENTS = (page.EXPERIMENT, teachers.EXPERIMENT, omitted.EXPERIMENT, sweep.EXPERIMENT)

__all__ = ["DarkConfig", "DarkSnapshot", "EXPERIMENTS", "N_TEST", "omitted", "omitted_config", "page", "soft_targets",
           "sweep", "sweep_config", "teachers"]
