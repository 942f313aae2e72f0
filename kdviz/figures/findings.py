"""The figures of the two pages that draw Findings (Which teacher? and Claims on trial): one per panel."""
from __future__ import annotations

from kdviz.experiments.findings import Finding
from kdviz.plots.claims import panel_figure


def figures(cfg, snap) -> dict:
    """A Finding's panels by title, in the page's order, each drawn (per-seed dots and their mean) when called;
    none for a snapshot that is not a Finding yet."""
    if not isinstance(snap, Finding):
        return {}
    return {p.title: (lambda p=p: panel_figure(p)) for p in snap.panels}
