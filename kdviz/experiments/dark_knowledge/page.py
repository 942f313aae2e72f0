"""The Dark knowledge page as one experiment: every run its tabs show, in turn, from its settings (DarkConfig).

The page trains its tabs one at a time (the teachers, the omitted digit, the label-smoothed
teacher's students, the T x alpha sweep); the command line's ``dark-knowledge`` runs all of them
from the same settings (flags, a config file, or a page link) and writes what each tab exports.
A DarkSnapshot holds the parts finished so far, by tab; a page tab exports the snapshot of its
own part alone (``part``), so its files are the ones the command line writes for that tab.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from kdviz.experiments.dark_knowledge import omitted, sweep, teachers
from kdviz.experiments.dark_knowledge.omitted import OmittedConfig
from kdviz.experiments.dark_knowledge.settings import DarkConfig
from kdviz.experiments.dark_knowledge.sweep import SweepConfig
from kdviz.experiments.protocol import Experiment, Phase

PARTS = ("teachers", "omitted", "smoothing", "sweep")  # the page's runs, in the order the command line trains them


def omitted_config(cfg: DarkConfig, teachers_eps: tuple[float, ...] = (0.0,), baseline: bool = True) -> OmittedConfig:
    """The omitted-digit run the page's settings describe, distilled from teachers of these label smoothings."""
    return OmittedConfig(cfg.omit, cfg.kd_T, cfg.alpha, cfg.steps, cfg.seeds, tuple(float(e) for e in teachers_eps),
                         baseline, cfg.lr)


def sweep_config(cfg: DarkConfig) -> SweepConfig:
    """The sweep the page's settings describe (the default grid)."""
    return SweepConfig(seeds=cfg.sweep_seeds, steps=cfg.sweep_steps)


def part_run(cfg: DarkConfig, part: str) -> tuple:
    """(experiment, its settings) of one tab's run under the page's settings."""
    eps = teachers.TeachersConfig().eps
    return {"teachers": (teachers.EXPERIMENT, teachers.TeachersConfig()),
            "omitted": (omitted.EXPERIMENT, omitted_config(cfg)),
            "smoothing": (omitted.EXPERIMENT, omitted_config(cfg, (0.0, eps), False)),
            "sweep": (sweep.EXPERIMENT, sweep_config(cfg))}[part]


@dataclass
class DarkSnapshot:
    """The page's runs finished so far: part ("teachers", "omitted", "smoothing", "sweep") -> its final snapshot."""

    progress: float
    parts: dict = field(default_factory=dict)


def part(name: str, snap) -> DarkSnapshot:
    """A finished snapshot of one tab's run as the page's snapshot (what that tab exports)."""
    if name not in PARTS:
        raise ValueError(f"unknown part {name!r}; choose one of {', '.join(PARTS)}")
    return DarkSnapshot(1.0, {name: snap})


def run(cfg: DarkConfig, device: str | None = None, hook=None) -> Iterator:
    """Every tab's run in turn (PARTS), a Phase while each trains and a DarkSnapshot after each.

    hook: called before each training step (a job's preemption point), or None.
    """
    done: dict = {}
    for i, name in enumerate(PARTS):
        exp, sub = part_run(cfg, name)
        final = None
        for final in exp.run(sub, device=device, hook=hook):
            yield Phase(name, (i + min(float(final.progress), 0.99)) / len(PARTS),
                        f"{exp.title}: {final.text}" if isinstance(final, Phase) else exp.title)
        done[name] = final
        yield DarkSnapshot((i + 1) / len(PARTS), dict(done))


# ----------------------------------------------------------------------------- exports: each part's, labelled by part
def _hooked(cfg: DarkConfig, snap: DarkSnapshot, hook: str):
    """(part, experiment hook, part settings, part snapshot) of each finished part that has the hook."""
    for name, sub_snap in snap.parts.items():
        exp, sub = part_run(cfg, name)
        if getattr(exp, hook) is not None:
            yield name, getattr(exp, hook), sub, sub_snap


def students(cfg: DarkConfig, snap: DarkSnapshot) -> list[dict]:
    """One row per model of every finished tab (the teachers, then each tab's students), with its part."""
    return [{"part": name, **row} for name, rows, sub, sub_snap in _hooked(cfg, snap, "students")
            for row in rows(sub, sub_snap)]


def student_weights(cfg: DarkConfig, snap: DarkSnapshot, k: int) -> tuple[dict, int] | None:
    """(Population.arrays(), member) of row k of students(), from its part; None when not kept."""
    for name, rows, sub, sub_snap in _hooked(cfg, snap, "students"):
        n = len(rows(sub, sub_snap))
        if k < n:
            exp, _ = part_run(cfg, name)
            return exp.weights(sub, sub_snap, k) if exp.weights is not None else None
        k -= n
    return None


def verdict(cfg: DarkConfig, snap: DarkSnapshot) -> str:
    """The finished tabs' sentences, each as its tab states it."""
    return " ".join(filter(None, (say(sub, sub_snap) for _, say, sub, sub_snap in _hooked(cfg, snap, "verdict"))))


EXPERIMENT = Experiment("dark_knowledge", "Dark knowledge: the page's teachers, omitted digit, label smoothing and "
                        "sweep, from the page's settings", DarkConfig, run, DarkSnapshot, students=students,
                        weights=student_weights, verdict=verdict)
