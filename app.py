"""kdviz: the router. Lists the pages explicitly and draws the shared sidebar."""
from pathlib import Path

import streamlit as st

from ui import links
from ui.jobs import warm_pool
from ui.messages import unknown_page_notice, warn
from ui.results import start_warming
from ui.sidebar import draw_sidebar

st.set_page_config(page_title="kdviz: knowledge distillation, live", page_icon=str(Path(__file__).parent / "ui" / "favicon.png"),
                   layout="wide", initial_sidebar_state=links.sidebar_state())

PAGES = {
    "Start": [st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True)],
    "The mathematics": [
        st.Page("app_pages/temperature.py", title="Temperature", icon=":material/thermostat:"),
        st.Page("app_pages/gradients.py", title="Gradients", icon=":material/functions:"),
    ],
    "Training": [
        st.Page("app_pages/live.py", title="Live training", icon=":material/play_circle:"),
        st.Page("app_pages/dark_knowledge.py", title="Dark knowledge", icon=":material/dark_mode:"),
        st.Page("app_pages/compare.py", title="Compare paradigms", icon=":material/compare:"),
        st.Page("app_pages/beyond.py", title="Beyond one teacher", icon=":material/groups:"),
        st.Page("app_pages/which_teacher.py", title="Which teacher?", icon=":material/school:"),
        st.Page("app_pages/claims.py", title="Claims on trial", icon=":material/gavel:"),
        st.Page("app_pages/market.py", title="Market", icon=":material/candlestick_chart:"),
    ],
    "Workshop": [st.Page("app_pages/board.py", title="Board", icon=":material/groups_2:")],
}

page = st.navigation(PAGES, position="hidden" if links.flag("nav_hide") else "sidebar")
notice = unknown_page_notice(st.context.url, [p.url_path for group in PAGES.values() for p in group])
if notice:
    warn(notice, icon=":material/explore_off:")
warm_pool()
start_warming()
if not links.flag("nav_hide"):
    draw_sidebar()
notices = links.begin()
try:
    page.run()
finally:  # also after a page's st.stop(): the flag notices and the Copy link box still appear
    links.end(notices, page.url_path)
