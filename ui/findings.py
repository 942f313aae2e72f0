"""One tab of a claim-testing page: its settings, its Start button, and its Finding drawn (figures, verdicts, notes)."""
from __future__ import annotations

import dataclasses

import streamlit as st

from kdviz.experiments.findings import Finding
from kdviz.experiments.stats import not_judged
from kdviz.experiments.task import job as experiment_job
from kdviz.exports import TAB_FIELD
from kdviz.figures import findings as finding_figures
from ui import exports, jobs, results
from ui.controls import settings
from ui.sidebar import device_name

VERDICT_ICONS = {"confirmed here": ":material/check_circle:", "not seen here": ":material/remove_circle:",
                 "reversed here": ":material/cancel:"}


def finding_tab(name: str, config: type, value: str, columns, idle: str) -> None:
    """Settings (``columns`` of field names; the experiment's tab field, kdviz.exports.TAB_FIELD, fixed to ``value``),
    controls, the live Finding of one tab and, once finished, its export menu.

    Widget, job and URL keys are prefixed with ``value`` so tabs of one page keep their own settings and runs.
    """
    key = f"{name}_{value}"
    cfg = settings(config, key, columns, expanded=False, query_prefix=value, title="Settings")  # the figure first
    cfg = dataclasses.replace(cfg, **{TAB_FIELD[name]: value})
    jobs.controls(key, results.task(key, cfg, lambda: experiment_job(name, cfg, device=device_name())),
                  prefix=f"{value}_")

    def draw(job, snap) -> None:
        snap = jobs.header(job, snap, idle)
        if isinstance(snap, Finding):
            show(snap, key)
            exports.menu(name, cfg, snap, key)

    results.view(key, name, cfg, draw)


def show(finding: Finding, key: str) -> None:
    """A Finding: whether its students learned, the figures with the seed spread (on screen first), each verdict
    (claim, ours, the source's), the computed notes."""
    if finding.failed:
        st.warning(not_judged(finding.failed), icon=":material/warning:")
    for i, make in enumerate(finding_figures.figures(None, finding).values()):
        st.plotly_chart(make(), width="stretch", key=f"{key}_fig{i}")
    for v in finding.verdicts:
        with st.container(border=True):
            st.markdown(f"**Claim** ({v.source}): *{v.claim}*")
            st.markdown(f"**Here**: {v.sentence}", help="Paired over seeds: clear when every seed agrees on the sign "
                                                        "and the mean exceeds the seed spread.")
            st.markdown(f":material/menu_book: **The source found**: {v.reference}")
            st.badge(v.verdict, icon=VERDICT_ICONS[v.verdict],
                     color={"confirmed here": "green", "not seen here": "gray", "reversed here": "red"}[v.verdict])
    for note in finding.notes:
        st.markdown(note)
    st.caption(f"Dots: one per seed; lines: their mean. Trained in {finding.seconds:.1f} s.")
