"""Showing bad input as a readable message instead of a traceback."""
from __future__ import annotations

import streamlit as st


def stop_with_error(message: str) -> None:
    """Show ``message`` as an error box and end this run of the page (nothing below is drawn)."""
    st.error(message, icon=":material/error:")
    st.stop()
