"""A page's opening kept short, so its main figure shows on a projector (1024x768) without scrolling:
one lead sentence on the page, the rest of the explanation in an "About this page" expander.
"""
from __future__ import annotations

import streamlit as st


def about(lead: str, more: str):
    """The page's lead sentence, then ``more`` (Markdown) in a collapsed "About this page" expander, which is
    returned so the page can add what depends on its settings. The "about" key lets text_hide=1 hide it
    (ui.links) with the page's other text."""
    st.markdown(lead)
    with st.container(key="about"):
        box = st.expander("About this page", icon=":material/info:")
    box.markdown(more)
    return box
