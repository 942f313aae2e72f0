"""The sidebar shared by every page: what kdviz is, and the compute device."""
from __future__ import annotations

import streamlit as st

from kdviz.device import available_devices


NARROW_PX = 768  # below this width Streamlit's sidebar covers the page instead of sitting beside it
# Wide formulas scroll sideways inside their box on a phone instead of being cut off; less empty space
# above the title, so a projector at 1024x768 shows the page's figure sooner; button labels never cut.
NARROW_SCREEN_CSS = ("<style>.katex-display {overflow-x: auto; overflow-y: hidden; padding-bottom: 2px;}"
                     "[data-testid='stMainBlockContainer'] {padding-top: 2.5rem;}"
                     "@media (max-width: 640px) {.katex-display {font-size: 0.9em;}}"
                     # a projector (768 px high): a smaller title, so the page's main figure starts on screen
                     "@media (max-height: 820px) {[data-testid='stMainBlockContainer'] h1 {font-size: 2.1rem; padding-top: 0;}}"
                     # a column holding a button is as wide as its label: Start, Pause, Step, Reset stay readable
                     "[data-testid='stColumn']:has(> div .stButton) {min-width: fit-content !important;"
                     " flex: 0 0 auto !important; width: auto !important;}"
                     # a phone has no hover: Plotly's tool bar would stay over the figure's title (drag still zooms,
                     # a double tap resets, and the exports menu saves images)
                     f"@media (max-width: {NARROW_PX}px) {{.js-plotly-plot .modebar-container {{display: none;}}}}</style>")
# On a narrow screen the sidebar covers the page: picking a page there closes it, whatever the browser calls itself
# (Streamlit does so only for a phone's user agent), so the chosen page's Start is not hidden under it.
CLOSE_NAV_ON_PICK_JS = ("<script>if (!window.kdvizCloseNav) { window.kdvizCloseNav = true;"
                        " document.addEventListener('click', (e) => {"
                        f" if (window.innerWidth > {NARROW_PX} || !e.target.closest('[data-testid=stSidebarNav] a')) return;"
                        " setTimeout(() => { const b = document.querySelector("
                        "\"[data-testid=stSidebar][data-collapsed=false] [data-testid=stSidebarCollapseButton] button\");"
                        " if (b) b.click(); }, 0); }, true); }</script>")


def draw_sidebar() -> None:
    """Draw the shared sidebar: a one-line description and the device selector (and the app's small CSS)."""
    st.html(NARROW_SCREEN_CSS)
    with st.sidebar:
        st.html(CLOSE_NAV_ON_PICK_JS, unsafe_allow_javascript=True)  # in the sidebar: no gap above the page
        st.caption("kdviz · knowledge distillation, computed live: every number from a run is trained or "
                   "evaluated on this server for your settings; the papers' reference numbers are typed from the "
                   "papers and labelled as theirs.")
        devices = available_devices()
        st.selectbox("Compute device", ["auto"] + devices, key="device",
                     help="Where training runs. 'auto' takes a CUDA GPU, then Apple MPS, then the CPU.")
        chosen = devices[0] if st.session_state.get("device", "auto") == "auto" else st.session_state["device"]
        st.caption(f"Training runs on **{chosen}**.")


def device_name() -> str:
    """The device chosen in the sidebar ("auto" resolved)."""
    choice = st.session_state.get("device", "auto")
    return available_devices()[0] if choice == "auto" else choice
