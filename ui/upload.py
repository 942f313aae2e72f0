"""Your own CSV as the dataset of a training page: upload, checks shown as text, the file gone with the session."""
from __future__ import annotations

import dataclasses
import uuid

import streamlit as st

from kdviz.data import csv as csv_data
from kdviz.plots.data import projection_scatter
from ui.messages import stop_with_error


class _Uploads:
    """The datasets this session stored, as one owner of each; a file another session also keeps stays."""

    def __init__(self):
        self.owner = uuid.uuid4().hex  # this session, as an owner of its stored files
        self.names: set[str] = set()

    def keep(self, table: csv_data.Table) -> str:
        """Store ``table`` for this session and return its dataset name (again: no change)."""
        name = csv_data.store(table, self.owner)
        self.names.add(name)
        return name


def _forget(uploads: _Uploads) -> None:
    """This session ended: drop it as an owner (a file no other session keeps is deleted)."""
    for name in uploads.names:
        csv_data.remove(name, uploads.owner)


@st.cache_resource(scope="session", on_release=_forget, show_spinner=False)
def _session_uploads() -> _Uploads:
    return _Uploads()


def dataset(cfg, key: str, two_d_only: bool = False):
    """Draw "Your own data (CSV)"; with a valid upload, return ``cfg`` with its dataset replaced, else ``cfg``."""
    with st.expander("Your own data (CSV)", icon=":material/upload_file:"):
        up = st.file_uploader("A classification CSV: numeric feature columns and one label column", type=["csv", "txt"],
                              key=f"{key}_csv")
        if up is None:
            st.caption(f"At most {csv_data.MAX_ROWS:,} rows and {csv_data.MAX_FEATURES} features; the label is the last "
                       "column unless you name another. Your file stays on the server only for this session.")
            return cfg
        label = st.text_input("Label column (empty: the last one)", key=f"{key}_csv_label").strip() or None
        try:
            table = csv_data.read_table(up.getvalue(), label)
        except ValueError as err:
            stop_with_error(f"{up.name[:60]}: {err}")
        if two_d_only and table.x.shape[1] != 2:
            stop_with_error(f"Live training draws decision regions on the plane, so it needs 2 features; "
                            f"{up.name[:60]} has {table.x.shape[1]}. Compare paradigms trains on wider data.")
        name = _session_uploads().keep(table)
        points, said = csv_data.projection(table.x)
        st.text(" ".join([f"Training on your CSV: {table.describe()}.", *table.notes]))
        if points is not None:
            st.plotly_chart(projection_scatter(points, table.y, table.class_names), key=f"{key}_csv_points")
            st.caption(said)
        else:
            st.text(said)
    return dataclasses.replace(cfg, dataset=name)
