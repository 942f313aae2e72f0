"""kdviz: the router. Lists the pages from their records (kdviz.site) and draws the shared sidebar."""
from pathlib import Path

import streamlit as st

from kdviz import site
from ui import guide, links
from ui.jobs import warm_pool
from ui.messages import unknown_page_notice, warn
from ui.replica import moved_notice
from ui.results import start_warming
from ui.sidebar import draw_sidebar

st.set_page_config(page_title="kdviz: knowledge distillation, live", page_icon=str(Path(__file__).parent / "ui" / "favicon.png"),
                   layout="wide", initial_sidebar_state=links.sidebar_state())

PAGES: dict[str, list] = {}  # sidebar section -> its pages, in the records' order
for rec in site.PAGES:
    PAGES.setdefault(rec.group, []).append(st.Page(rec.file, title=rec.title, icon=rec.icon, default=rec.default))

page = st.navigation(PAGES, position="hidden" if links.flag("nav_hide") else "sidebar",
                     expanded=True)  # every page listed: none folded behind "View more"
notice = unknown_page_notice(st.context.url, [p.url_path for group in PAGES.values() for p in group])
if notice:
    warn(notice, icon=":material/explore_off:")
moved_notice()
warm_pool()
start_warming()
if not links.flag("nav_hide"):
    draw_sidebar()
notices = links.begin()
try:
    page.run()
finally:  # also after a page's st.stop(): the flag notices and the Copy link box still appear
    guide.next_page(page.url_path)  # the suggested order's next page, from kdviz.guide
    links.end(notices, page.url_path)
