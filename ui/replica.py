"""A session moved to this replica because its own stopped: one notice saying what happened and what to do."""
from __future__ import annotations

import streamlit as st

from kdviz.replicas import moved_from
from ui.messages import warn

_KEY = "_replica.moved_from"


def moved_notice() -> None:
    """Once per session, note whether the balancer's cookie names another replica (the one this browser was on,
    which stopped); while it does, show a notice on every page of the session (a reload ends it)."""
    if _KEY not in st.session_state:
        st.session_state[_KEY] = moved_from(st.context.cookies)
    was = st.session_state[_KEY]
    if was:
        warn(f"The server you were on ({was}) stopped, and any run you had going there stopped with it. "
             "This page now runs on another server of the class: reload the page, then press Start to run again.",
             icon=":material/sync_problem:")
