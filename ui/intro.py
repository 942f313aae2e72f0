"""A page's opening kept short, so its main figure shows on a projector (1024x768) without scrolling.

about(): one lead sentence on the page, the rest of the explanation in an "About this page"
expander. compact_layout(): on screens up to 820 px high, less space above the title and a
smaller title (Streamlit's default pads the main column by 6rem).
"""
from __future__ import annotations

import streamlit as st

COMPACT_CSS = """<style>
@media (max-height: 820px) {
  [data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
  [data-testid="stMainBlockContainer"] h1 { font-size: 2.1rem; padding-top: 0; }
}
</style>"""


def compact_layout() -> None:
    """Apply COMPACT_CSS to this run of the app (the router calls it once per run)."""
    st.html(COMPACT_CSS)


def about(lead: str, more: str):
    """The page's lead sentence, then ``more`` (Markdown) in a collapsed "About this page" expander, which is
    returned so the page can add what depends on its settings."""
    st.markdown(lead)
    box = st.expander("About this page", icon=":material/info:")
    box.markdown(more)
    return box
