"""The omitted-class setting of a training page follows its dataset (kdviz.data.omission), said in words."""
from __future__ import annotations

import streamlit as st

from kdviz.data import omission
from ui.state import bind, widget_key


def _notice_key(key: str) -> str:
    return f"{key}.omit_notice"


def follow_dataset(cls, key: str) -> None:
    """Before the page's settings (config class ``cls``) are drawn: move the omit widget onto the chosen
    dataset's classes (a dataset with fewer classes moves it rather than blocking Start) and keep the
    sentence for fit()."""
    bind(cls, key)
    state = st.session_state
    dataset, requested = state[widget_key(key, "dataset")], state[widget_key(key, "omit")]
    o = omission.omission(dataset, requested)
    if o.moved:
        state[widget_key(key, "omit")] = o.omit
        state[_notice_key(key)] = o.notice()


def fit(cfg, key: str):
    """``cfg`` (its dataset maybe an upload) with its omitted class moved onto its classes; the move said on the page."""
    cfg, moved = omission.fit(cfg)
    said = st.session_state.pop(_notice_key(key), None)
    if moved or said:
        st.info(moved or said, icon=":material/info:")
    return cfg
