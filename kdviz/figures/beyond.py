"""The Beyond one teacher page's figures of the finished topics (drawn by kdviz.plots.beyond)."""
from __future__ import annotations

import numpy as np

from kdviz.experiments.beyond import BeyondConfig, BeyondSnapshot, ema_lag
from kdviz.plots import beyond as plots
from kdviz.plots import svg
from kdviz.plots.style import STUDENT, TEACHER


def ema_accuracy_title(decay: float) -> str:
    """The title of the EMA tab's accuracy figure for one decay (the page shows the decay chosen)."""
    return f"ema accuracy decay {decay:g}"


def figures(cfg: BeyondConfig, snap: BeyondSnapshot) -> dict:
    """Every figure of the topics finished so far, by title; the EMA tab's accuracy once per decay."""
    r, p, out = snap.results, snap.plane, {}
    if "multi" in r:
        out.update({"teachers disagree": lambda: plots.disagreement(p, r["multi"]),
                    "combination rules": lambda: plots.rule_regions(p, r["multi"]),
                    "several teachers accuracy": lambda: plots.multi_accuracy(r["multi"])})
    if "mutual" in r:
        out.update({"mutual learning accuracy": lambda: plots.mutual_accuracy(r["mutual"]),
                    "mutual learning agreement": lambda: plots.mutual_agreement(r["mutual"])})
    if "ema" in r:
        out["ema distance"] = lambda: plots.ema_distance(r["ema"])
        out.update({ema_accuracy_title(d): (lambda d=d: plots.ema_accuracy(r["ema"], d)) for d in r["ema"].decays})
    if "born_again" in r:
        out["born-again accuracy"] = lambda: plots.born_again_accuracy(r["born_again"])
    return out


DRAWS = {"beyond": figures}  # experiment -> its figures (kdviz.figures.FIGURES)


def card() -> str:
    """Home's card figure (SVG text): a mean teacher's lag behind its student against the step, for two decays."""
    steps = np.arange(10, 3000, 20)  # (S,)
    return svg.lines(steps, [(np.array([ema_lag(int(t), d) for t in steps]), c)
                             for d, c in ((0.99, STUDENT), (0.999, TEACHER))])
