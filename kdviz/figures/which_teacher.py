"""The Which teacher? page's figures (its Findings' panels, kdviz.figures.findings) and its Home card."""
from __future__ import annotations

import numpy as np

from kdviz.experiments.which_teacher import LADDER
from kdviz.figures import findings
from kdviz.models import n_params
from kdviz.plots import svg
from kdviz.plots.style import TEACHER

DRAWS = {"which_teacher": findings.figures}  # experiment -> its figures (kdviz.figures.FIGURES)


def card() -> str:
    """Home's card figure (SVG text): the teacher ladder's sizes (log10 of the parameter counts), as bars."""
    return svg.bars([(np.log10([n_params((2, *h, 5)) for h in LADDER]), TEACHER)])  # (len(LADDER),)
