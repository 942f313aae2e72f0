"""One export menu for every training page: each file is built only when its button is clicked."""
from __future__ import annotations

import streamlit as st

from kdviz import exports
from kdviz.data import csv as csv_data
from ui import upload


def menu(name: str, cfg, snap, key: str) -> None:
    """An "Export" expander with a download button per file of kdviz.exports.bundle (deferred: built on click)."""
    if snap is None or getattr(snap, "progress", 0) < 1:
        return
    with st.expander("Export: figures, numbers, config, students", icon=":material/download:"):
        mine = csv_data.names_upload(getattr(cfg, "dataset", None))
        st.caption("Each file is made when you click it. The config JSON reruns the same experiment from the command "
                   "line" + (f" with the CSV you uploaded (the same file: its digest, {cfg.dataset}, is checked)"
                             if mine else "") + "; rerun with:")
        st.code(exports.rerun_command(name, cfg, upload.label(key)), language="bash")
        st.caption("The page link" + (" (it asks for the same CSV file)" if mine else "") + ":")
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
