"""What a claim-testing experiment reports: figures as plain series, and each claim's computed verdict.

Both the Which teacher? and Claims on trial pages show the same kinds of results: a panel of
per-seed curves against a swept setting, and verdicts (the claim as written, what we compared,
the paired effect over seeds, "confirmed here" / "not seen here" / "reversed here", and the
reference finding beside ours). Every number in a verdict's sentence comes from the run.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from kdviz.experiments.stats import PairedEffect, claim_verdict, count, not_judged


@dataclass
class Panel:
    """One figure: per-seed values of several series against a swept setting."""

    title: str
    x_title: str
    y_title: str
    x: list  # (X,) the swept values (numbers or labels)
    series: dict[str, np.ndarray]  # name -> (S, X) one row per seed
    log_x: bool = False
    percent: bool = False  # values are fractions shown as percent


TUTORIAL_ADVICE = "advice repeated in KD tutorials"  # the source of a claim that no paper makes, said as such


@dataclass
class Verdict:
    """One claim tested: as written, what was compared, the paired effect and the verdict."""

    claim: str  # the claim as written by its source
    source: str  # who makes it: a paper, or TUTORIAL_ADVICE
    reference: str  # the source's own finding, shown beside ours
    test: str  # what we compared, e.g. "T = 20 against T = 4, small student"
    effect: PairedEffect  # b - a per seed, the claim predicting the sign ``expect``
    expect: int  # +1 or -1
    scale: float = 100.0  # effect.text scale (100: fractions as points)
    unit: str = " points"
    digits: int = 1  # decimals of the effect as written

    @property
    def verdict(self) -> str:
        """"confirmed here", "not seen here" or "reversed here" (kdviz.experiments.stats.claim_verdict)."""
        return claim_verdict(self.effect, self.expect)

    @property
    def sentence(self) -> str:
        """"<test>: +1.2 ± 0.4 points over 3 seeds: confirmed here."."""
        return (f"{self.test}: {self.effect.text(self.scale, self.digits, self.unit)} over "
                f"{count(self.effect.n, 'seed')}: {self.verdict}.")

    def record(self) -> dict:
        """The verdict as a table row."""
        return {"claim": self.claim, "source": self.source, "tested here": self.test,
                "effect": self.effect.text(self.scale, self.digits, self.unit),
                "verdict": self.verdict, "the source found": self.reference}


@dataclass
class Finding:
    """The final snapshot of a claim experiment: its figures, verdicts and computed sentences."""

    name: str  # which part or claim
    panels: list[Panel]
    verdicts: list[Verdict]
    notes: list[str] = field(default_factory=list)  # sentences computed from the run
    seconds: float = 0.0  # wall time of the run
    progress: float = 1.0
    failed: list[str] = field(default_factory=list)  # students that diverged or did not learn (learned.run_named)


def timed(snapshots: Iterator) -> Iterator:
    """Pass an experiment's snapshots through, writing into its Finding the seconds since the first was asked for."""
    t0 = time.perf_counter()
    for snap in snapshots:
        if isinstance(snap, Finding):
            snap.seconds = time.perf_counter() - t0
        yield snap


def students(cfg, snap) -> list[dict]:
    """One row per dot of a Finding's panels (a student, or a model, at one swept value and seed): panel, series,
    the swept value, seed, and the value plotted."""
    if not isinstance(snap, Finding):
        return []
    return [{"role": f"{p.title}: {name}", "seed": s, p.x_title: x, p.y_title: float(values[s, i])}
            for p in snap.panels for name, values in p.series.items()
            for s in range(len(values)) for i, x in enumerate(p.x)]


def verdict(cfg, snap) -> str:
    """Each verdict's sentence, as the page states it (after stats.not_judged when a student failed)."""
    if not isinstance(snap, Finding):
        return ""
    return " ".join(([not_judged(snap.failed)] if snap.failed else []) + [v.sentence for v in snap.verdicts])
