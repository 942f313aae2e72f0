"""One export menu for every training page: each file is built only when its button is clicked."""
from __future__ import annotations

import streamlit as st

from kdviz import exports


def menu(name: str, cfg, snap, key: str) -> None:
    """An "Export" expander with a download button per file of kdviz.exports.bundle (deferred: built on click)."""
    if snap is None or getattr(snap, "progress", 0) < 1:
        return
    with st.expander("Export: figures, numbers, config, students", icon=":material/download:"):
        st.caption("Each file is made when you click it. The config JSON runs the same experiment from the "
                   f"command line: `python -m kdviz {name.replace('_', '-')} --config config.json`.")
        st.code(exports.config_url(name, cfg), language=None)
        items = exports.bundle(name, cfg, snap)
        _buttons([i for i in items if not i.student_of], key)
        methods = list(dict.fromkeys(i.student_of for i in items if i.student_of))
        if methods:
            method = st.selectbox("The best student of one method", methods, key=f"{key}_export_method",
                                  help="The best student overall may be the baseline (no KD): each method's own "
                                       "best is here.")
            _buttons([i for i in items if i.student_of == method], key)


def _buttons(items: list, key: str) -> None:
    """One download button per export, four to a row."""
    for col, item in zip(st.columns(4) * (len(items) // 4 + 1), items):
        col.download_button(item.label, item.build, file_name=item.file_name, mime=item.mime, on_click="ignore",
                            key=f"{key}_export_{item.file_name.replace('.', '_')}", width="stretch")
