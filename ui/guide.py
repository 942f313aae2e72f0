"""A page's guide: one "What to notice" line at its top and a "Next" link at its end, from kdviz.guide.

The line is explanatory text: ``text_hide=1`` hides it, and so does a lesson step in presenter mode
(the step's own text stands in for it). The Next link follows the suggested order of Home's cards;
it is left out when navigation is hidden (``nav_hide=1``) and on a lesson step, whose own Next leads on.
"""
from __future__ import annotations

import streamlit as st

from kdviz import guide
from ui import links


def notice(page: str) -> None:
    """The page's "What to notice" line (a page calls it after its title and intro)."""
    if not links.text_hidden():
        st.markdown(f":material/visibility: **What to notice:** {guide.page(page).notice}")


def next_page(page: str) -> None:
    """The link to the next page in the suggested order, keeping the presenter and text flags. The router calls it
    after every page; a page outside the order (Home) gets none."""
    if page not in guide.BY_PAGE or links.flag("nav_hide") or links.lesson_open():
        return
    keep = {k: "1" for k in ("present", "text_hide") if links.flag(k)}
    nxt = guide.next_page(page)
    st.divider()
    if nxt is None:
        st.page_link("app_pages/home.py", label="Back to Home", icon=":material/home:", query_params=keep)
    else:
        st.page_link(nxt.file, label=f"Next: {nxt.title}", icon=":material/arrow_forward:",
                     query_params=keep)
