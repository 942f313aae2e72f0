"""Your own CSV as the dataset of a training page: upload, checks shown as text, the file gone with the session.

Each session is one owner of the files it stored (kdviz.data.csv); when its connection drops, it stays
the owner for the reconnection window that also keeps its jobs, so a run it queued still finds its data. The page's URL
names the dataset it shows, an upload as "csv:<digest>"; a link naming an upload that this session does not hold asks
for that file."""
from __future__ import annotations

import dataclasses
import os
import threading
import uuid

import streamlit as st

from kdviz.data import csv as csv_data
from kdviz.jobs.pool import RECONNECT_SECONDS
from kdviz.plots.data import projection_scatter
from ui.links import hidden, remember
from ui.messages import stop_with_error, warn
from ui.state import read_elsewhere


class _Uploads:
    """The datasets this session stored, as one owner of each; a file another session also keeps stays."""

    def __init__(self, owner: str | None = None):
        self.owner = owner or uuid.uuid4().hex  # this session, as an owner of its stored files
        self.names: set[str] = set()

    def keep(self, table: csv_data.Table) -> str:
        """Store ``table`` for this session and return its dataset name (again: no change)."""
        name = csv_data.store(table, self.owner)
        self.names.add(name)
        return name

    def drop(self) -> None:
        """This session is gone: drop it as an owner (a file no other session keeps is deleted)."""
        for name in self.names:
            csv_data.remove(name, self.owner)


_LEAVING: dict[str, tuple[threading.Timer, _Uploads]] = {}  # owner -> its pending drop, while it may reconnect
_LEAVING_LOCK = threading.Lock()


def _gone(uploads: _Uploads) -> None:
    """The reconnection window passed: drop the session's uploads unless it came back meanwhile."""
    with _LEAVING_LOCK:
        if _LEAVING.get(uploads.owner, (None, None))[1] is not uploads:
            return
        del _LEAVING[uploads.owner]
    uploads.drop()


def _forget(uploads: _Uploads, grace: float | None = None) -> None:
    """The session's connection dropped (Streamlit released its cache entry): drop its uploads after
    ``grace`` seconds (the jobs' reconnection window) unless it reconnects first, as its queued runs do."""
    grace = float(os.environ.get("KDVIZ_RECONNECT_SECONDS") or RECONNECT_SECONDS) if grace is None else grace
    if grace <= 0:
        uploads.drop()
        return
    timer = threading.Timer(grace, _gone, (uploads,))
    timer.daemon = True
    with _LEAVING_LOCK:
        _LEAVING[uploads.owner] = (timer, uploads)
    timer.start()


def _reclaim(owner: str) -> _Uploads:
    """The uploads of ``owner``: those it left when its connection dropped (their drop cancelled), else none."""
    with _LEAVING_LOCK:
        pending = _LEAVING.pop(owner, None)
    if pending is None:
        return _Uploads(owner)
    pending[0].cancel()
    return pending[1]


@st.cache_resource(scope="session", on_release=_forget, show_spinner=False)
def _session_uploads(owner: str) -> _Uploads:
    return _reclaim(owner)


def _owner() -> str:
    """This browser session's id as an owner of uploads (in its session state, so it survives a reconnect)."""
    owner = st.session_state.get("_upload.owner")
    if owner is None:
        owner = st.session_state["_upload.owner"] = uuid.uuid4().hex
    return owner


def follow_link(key: str) -> None:
    """Before the page's settings are bound: a URL whose dataset names an upload ("csv:<digest>") is this box's to
    read and write (``dataset``), so a link's other settings still apply and no built-in dataset stands in for it."""
    read_elsewhere(key, "dataset", csv_data.names_upload)


def _label_key(key: str) -> str:
    return f"{key}_csv_label"


def _wanted_key(key: str) -> str:
    return f"_upload.{key}.wanted"


def label(key: str) -> str | None:
    """The label column typed for the page's upload (None: the file's last column)."""
    return str(st.session_state.get(_label_key(key)) or "").strip() or None


def _claim(cfg):
    """``cfg``, once the URL and the Copy link box name its dataset: what the page shows, an upload included."""
    if st.query_params.get("dataset") != cfg.dataset:
        st.query_params["dataset"] = cfg.dataset
    remember(cfg)
    return cfg


def _linked(cfg) -> str | None:
    """The upload ("csv:<digest>") the URL names when this session never stored it (a link from elsewhere), else
    None; a malformed name is reported, and the page shows ``cfg``'s dataset instead."""
    raw = st.query_params.get("dataset")
    if not csv_data.names_upload(raw) or raw in _session_uploads(_owner()).names:
        return None
    try:
        return csv_data.checked_name(raw)
    except ValueError as err:
        warn(f"Ignored the link's dataset ({err}); using {cfg.dataset}.", icon=":material/link:")
        return None


def dataset(cfg, key: str, two_d_only: bool = False):
    """Draw "Your own data (CSV)"; with a valid upload, return ``cfg`` with its dataset replaced, else ``cfg``.

    The URL names the dataset shown. A link naming an upload this session does not hold asks for that file and
    stops the page until it comes; a file with another digest is said to be another file. Not drawn while the
    dataset control is hidden (a link's dataset_hide=1, a presented lesson step)."""
    if hidden("dataset"):  # the dataset is the link's
        return cfg
    linked = _linked(cfg)
    if linked is not None:
        st.session_state[_wanted_key(key)] = linked
    with st.expander("Your own data (CSV)", icon=":material/upload_file:", expanded=linked is not None):
        up = st.file_uploader("A classification CSV: numeric feature columns and one label column", type=["csv", "txt"],
                              key=f"{key}_csv")
        if up is None:
            st.caption(f"At most {csv_data.MAX_ROWS:,} rows and {csv_data.MAX_FEATURES} features; the label is the last "
                       "column unless you name another. Your file stays on the server only for this session.")
            if linked is None:
                st.session_state.pop(_wanted_key(key), None)
                return _claim(cfg)
            _claim(dataclasses.replace(cfg, dataset=linked))
            warn(f"This link trains on your own CSV file {linked}, which this session does not have: upload the file "
                 "with that digest here to run it, or open the page from the menu for a built-in dataset.",
                 icon=":material/upload_file:")
            st.stop()
        st.text_input("Label column (empty: the last one)", key=_label_key(key))
        try:
            table = csv_data.read_table(up.getvalue(), label(key))
        except ValueError as err:
            _claim(cfg)
            stop_with_error(f"{up.name[:60]}: {err}")
        if two_d_only and table.x.shape[1] != 2:
            _claim(cfg)
            stop_with_error(f"Live training draws decision regions on the plane, so it needs 2 features; "
                            f"{up.name[:60]} has {table.x.shape[1]}. Compare paradigms trains on wider data.")
        name = _session_uploads(_owner()).keep(table)
        wanted = st.session_state.get(_wanted_key(key))
        if wanted is not None and wanted != name:
            warn(f"This file is {name}, not the link's {wanted}: another table (its rows, columns or label column "
                 "differ), so the results will not be the link's.", icon=":material/difference:")
        points, said = csv_data.projection(table.x)
        st.text(" ".join([f"Training on your CSV: {table.describe()}.", *table.notes]))
        if points is not None:
            st.plotly_chart(projection_scatter(points, table.y, table.class_names), key=f"{key}_csv_points")
            st.caption(said)
        else:
            st.text(said)
    return _claim(dataclasses.replace(cfg, dataset=name))
