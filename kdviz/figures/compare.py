"""The Compare paradigms page's figures of a snapshot: decision regions in rows, learning curves, accuracy per seed."""
from __future__ import annotations

import numpy as np

from kdviz.experiments.compare import CompareConfig, CompareSnapshot, curves, summarise
from kdviz.figures import live
from kdviz.paradigms import NOTES
from kdviz.plots.paradigms import method_curves, seed_strip
from kdviz.plots.training import decision_boundaries

ROW = 4  # decision-region panels per figure
MAX_CURVES = 4  # lines per curve chart, so they stay readable
REGIONS = "decision regions"  # the title of the regions figure ("decision regions 1 of 2", ... for several rows)


def default_curves(snap: CompareSnapshot) -> list[str]:
    """The methods whose curves the page shows until the learner picks: the first MAX_CURVES."""
    return list(snap.scene.methods)[:MAX_CURVES]


def figures(cfg: CompareConfig, snap: CompareSnapshot, shown: list[str] | tuple[str, ...] | None = None) -> dict:
    """The regions of the teacher and each method's seed-0 student (ROW panels per figure; each builder takes
    ``into``), the learning curves of the methods ``shown`` (default default_curves), and at the end each method's
    test accuracy per seed."""
    scene, out = snap.scene, {}
    if snap.grids is not None:
        plane = scene.plane
        panels = [(f"Teacher ({scene.teacher_test_acc:.0%})", scene.teacher_grid)]
        panels += [(NOTES[m].name, g) for m, g in zip(scene.methods, snap.grids)]
        rows = [panels[i:i + ROW] for i in range(0, len(panels), ROW)]
        for k, part in enumerate(rows):
            title = REGIONS if len(rows) == 1 else f"{REGIONS} {k + 1} of {len(rows)}"
            out[title] = lambda into=None, part=part: decision_boundaries(
                part, *plane.axes, plane.points, plane.labels, plane.class_names, height=300, omit=cfg.omit, into=into)
    methods = default_curves(snap) if shown is None else list(shown)

    def learning():
        steps, acc = curves(snap, "test_acc")
        _, fid = curves(snap, "fidelity")
        return method_curves(steps, {"Test accuracy (mean over seeds)": {m: acc[m] for m in methods},
                                     "Fidelity to the teacher": {m: fid[m] for m in methods}})

    out["learning curves"] = learning
    if snap.final is not None:
        def strip():
            rows = summarise(snap, cfg.omit)
            return seed_strip([r.name for r in rows], [r.method for r in rows], np.stack([r.acc for r in rows]),
                              "test accuracy (%)")
        out["accuracy per seed"] = strip
    return out


DRAWS = {"compare": figures}  # experiment -> its figures (kdviz.figures.FIGURES)
OMITTED_BLOB = 3  # the class the card greys out (a class a student may never see)


def card() -> str:
    """Home's card figure (SVG text): Live's data with one class greyed out."""
    return live.card(OMITTED_BLOB)
