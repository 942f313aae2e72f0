"""The three-way tab's figure: each student's test errors per seed, alone and distilled, the teacher's marked."""
from __future__ import annotations

import numpy as np

from kdviz.experiments.real_images.threeway import ROLES, ThreeWayConfig, ThreeWaySnapshot
from kdviz.plots.paradigms import seed_strip
from kdviz.plots.style import TEACHER


def figures(cfg: ThreeWayConfig, snap: ThreeWaySnapshot) -> dict:
    """{"test errors": dots per seed for the student alone and distilled, the teacher's errors as a line}."""
    if not snap.done:
        return {}

    def dots():
        values = np.stack([snap.errors[r] for r in ROLES]).astype(float)  # (2, S)
        fig = seed_strip([f"{snap.architecture} alone", f"distilled, T = {cfg.T:g}"], list(ROLES), values,
                         f"test errors of {snap.test_count:,}", percent=False)
        fig.add_hline(y=snap.teacher_errors, line_color=TEACHER, line_dash="dot",
                      annotation_text=f"teacher {snap.teacher_architecture}: {snap.teacher_errors:,}")
        lo, hi = min(values.min(), snap.teacher_errors), max(values.max(), snap.teacher_errors)
        pad = max(1.0, 0.1 * (hi - lo))
        return fig.update_yaxes(range=[lo - pad, hi + pad])

    return {"test errors": dots}


DRAWS = {"real_threeway": figures}
