"""The Live training page's figures: the data before a run, then a snapshot's decision regions (at a replay step)
and learning curves."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from kdviz.data import make_dataset
from kdviz.experiments import live
from kdviz.experiments.live import LiveConfig, LiveSnapshot
from kdviz.plots import svg
from kdviz.plots.style import CLASS_COLOURS, GREY
from kdviz.plots.training import decision_boundaries, learning_curves


def preview(cfg: LiveConfig) -> go.Figure:
    """Before a run: the data the settings describe on an even (blank) plane, titled with the two networks."""
    plane = live.preview(cfg)
    blank = np.full((plane.grid, plane.grid, len(plane.class_names)), 1.0 / len(plane.class_names))  # (G, G, C)
    return decision_boundaries([(f"Preview: the {cfg.dataset} data ({live.architecture(cfg)})", blank)], *plane.axes,
                               plane.points, plane.labels, plane.class_names, omit=cfg.omit)


def replay_steps(snap: LiveSnapshot) -> list[int]:
    """The steps a finished run's regions replay at (the page's scrubber); empty for a run of two frames or fewer."""
    replay = snap.replay
    return [int(s) for s in replay.steps] if replay is not None and len(replay.steps) > 2 else []


def shown_regions(snap: LiveSnapshot, step: int | None = None) -> tuple[int, np.ndarray, np.ndarray]:
    """(step, KD grid (G, G, C), baseline grid (G, G, C)) the regions show: a replayed run's frame at ``step``
    (default its last, where the page's scrubber opens), else the snapshot's own."""
    steps = replay_steps(snap)
    if not steps:
        return snap.run.step, snap.kd_grid, snap.baseline_grid
    at = steps[-1] if step is None else int(step)
    if at not in steps:
        raise ValueError(f"step {at} is not a replayed frame; choose one of {', '.join(map(str, steps))}")
    return (at, *snap.replay.grids(steps.index(at)))


def figures(cfg: LiveConfig, snap: LiveSnapshot, step: int | None = None) -> dict:
    """{"decision regions", "learning curves"}: seed 0's regions (the teacher, the KD student, the baseline) at
    replay ``step`` (shown_regions), and the curves averaged over seeds. Both builders take ``into``."""
    _, kd, base = shown_regions(snap, step)
    scene = snap.scene
    plane = scene.plane

    def regions(into=None):
        return decision_boundaries([(f"Teacher ({scene.teacher_test_acc:.0%})", scene.teacher_grid),
                                    ("KD student", kd), ("Baseline", base)], *plane.axes, plane.points,
                                   plane.labels, plane.class_names, omit=cfg.omit, into=into)

    def learning(into=None):
        return learning_curves(*live.curves(snap.run.history), into=into)

    return {"decision regions": regions, "learning curves": learning}


DRAWS = {"live": figures}  # experiment -> its figures (kdviz.figures.FIGURES)


def card(omit: int | None = None) -> str:
    """Home's card figure (SVG text): the plane's data a Live student learns from, the blobs dataset's training
    points coloured by class, class ``omit`` (if any) in grey."""
    ds = make_dataset("blobs", n=400, noise=0.0, seed=0, train_ratio=0.7)
    x, y = ds.x_train.numpy(), ds.y_train.numpy()  # (N, 2), (N,)
    return svg.points(x, [GREY if c == omit else CLASS_COLOURS[c] for c in y])
