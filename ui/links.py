"""Links that show one idea: URL flags that hide controls, text or navigation, presenter mode, lesson steps,
and the "Copy link" box that hands out the current view.

Flags, read from the page's URL:
- ``<name>_hide=1``: the control of setting ``name`` is not drawn (its value still comes from the link);
- ``text_hide=1``: the explanatory text is hidden (titles, figures, controls and results stay);
- ``nav_hide=1``: no sidebar and no page menu;
- ``present=1``: presenter mode (large type, collapsed sidebar; on a lesson step only the step's controls, in
  one row, and its text folded under its title, so the page's main figure is above the fold);
- ``lesson=<name>&step=<n>``: the lesson's step n, its text and question above the page.
A flag that names no control, or has a value other than 1/0/true/false, gets a notice (a few are drawn, the
rest counted; every echoed value is escaped and cut, ui.messages.escape). A link too long for Streamlit,
which then drops all of its parameters, is reported too: the browser counts them (``cut_link``).
The router calls ``begin`` before the page and ``end`` after it; ui.state.collect reports each
config the page drew (``remember``), which is what ``end`` checks the flags against.
"""
from __future__ import annotations

import dataclasses
import urllib.parse
from pathlib import Path

import streamlit as st
from streamlit.runtime.state import query_params

from kdviz import lessons
from kdviz.config import query_key, short, to_query
from ui.messages import escape

PAGE_FLAGS = ("text_hide", "nav_hide", "present")
LESSON_KEYS = ("lesson", "step")
HIDE = "_hide"
CSS = Path(__file__).with_name("present.css")
TEXT_HIDE_CSS = ('[data-testid="stMain"] [data-testid="stElementContainer"]:has(> :is([data-testid="stMarkdown"], '
                 '[data-testid="stCaptionContainer"])):not(.st-key-lesson *), .st-key-about { display: none; }')
# the step's text stays; a page's "About this page" (ui.intro) goes with the rest of its text
NAV_HIDE_CSS = '[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none; }'
RUN = "_links.configs"  # the configs drawn in this run: [(config, query prefix)]
STEP_SEEN = "_links.step"  # (lesson name, step index) the previous run opened, or None
ENTERING = "_links.entering"  # whether this run enters a lesson step: its settings then replace the page's
MAX_NOTICES = 5  # link notices drawn one by one; one more counts the rest
CUT_KEY = "links.cut"
# Runs in the browser. Streamlit's server ignores a whole query string past its limits (parameters or
# characters) and the page then rewrites the address bar, so the page counts the link it was opened with (the
# navigation entry), on the page that link named.
CUT_JS = """
export default function ({ data, setStateValue }) {
  const opened = new URL(performance.getEntriesByType("navigation")[0]?.name || window.location.href);
  const query = opened.search.replace(/^\\?/, "");
  const fields = query ? query.split("&").length : 0;
  if (opened.pathname === window.location.pathname && (fields > data.fields || query.length > data.chars)) {
    setStateValue("cut", { fields: fields, chars: query.length });
  }
}
"""


def flag(name: str) -> bool:
    """Whether the URL sets flag ``name`` (1 or true)."""
    return str(st.query_params.get(name, "")).lower() in ("1", "true")


def _step():
    """(lesson, step index) the URL opens, or None; an unknown lesson or step is reported by ``end``."""
    name = st.query_params.get("lesson")
    if not name:
        return None
    try:
        lesson = lessons.load(str(name))
        index = int(st.query_params.get("step", "1")) - 1
    except ValueError:
        return None
    return (lesson, index) if 0 <= index < len(lesson.steps) else None


def step_controls() -> tuple[str, ...]:
    """The controls of the lesson step being presented (its ``show``): in presenter mode only these are drawn, in
    sight (ui.controls.settings puts them in one row, outside any expander). Empty when not presenting a step, or
    when the step names none (then every control is drawn as usual)."""
    at = _step() if flag("present") else None
    return at[0].steps[at[1]].show if at else ()


def hidden(name: str) -> bool:
    """Whether the control of setting ``name`` is hidden: by ``<name>_hide``, or in presenter mode by a lesson
    step that names its controls."""
    shown = step_controls()
    return flag(name + HIDE) or bool(shown and name not in shown)


def text_hidden() -> bool:
    """Whether the page's explanatory text is hidden: by ``text_hide``, or in presenter mode on a lesson step (whose
    own text stands in for it)."""
    return flag("text_hide") or (flag("present") and _step() is not None)


def sidebar_state() -> str:
    """The sidebar's initial state for st.set_page_config: collapsed when presenting or when navigation is hidden."""
    return "collapsed" if flag("present") or flag("nav_hide") else "auto"


def remember(cfg, query_prefix: str = "") -> None:
    """Note that the page drew ``cfg`` (called by ui.state.collect), for the flag check and the Copy link box."""
    st.session_state.setdefault(RUN, {})[query_prefix or type(cfg).__name__] = (cfg, query_prefix)


def begin():
    """Before the page: apply the flags' styles and draw the lesson step; return a box for ``end``'s notices."""
    st.session_state[RUN] = {}
    styles = [CSS.read_text() if flag("present") else "",
              TEXT_HIDE_CSS if text_hidden() else "",
              NAV_HIDE_CSS if flag("nav_hide") else ""]
    if any(styles):
        st.html("<style>" + "\n".join(s for s in styles if s) + "</style>")
    notices = st.container()
    cut = cut_link()
    if cut:
        notices.warning(escape(cut), icon=":material/link_off:")
    at = _step()
    marker = (at[0].name, at[1]) if at else None
    st.session_state[ENTERING] = at is not None and st.session_state.get(STEP_SEEN) != marker
    st.session_state[STEP_SEEN] = marker
    if at:
        lesson_banner(*at)
    return notices


def entering_step() -> bool:
    """Whether this run enters a lesson step (from another step, page or a link; not a rerun within the step):
    the step's settings then apply, whatever the session's controls held before (ui.state.bind)."""
    return bool(st.session_state.get(ENTERING))


def lesson_open() -> bool:
    """Whether the URL opens a lesson step (whose own Next link then leads on)."""
    return _step() is not None


def lesson_banner(lesson: lessons.Lesson, index: int) -> None:
    """The lesson step above the page: where the class is, what to read, the question, the next step. Presenting,
    it stays short so the page's controls and main figure fit a projector's first screen: where the class is and
    the next step on one line, the text folded under the step's title (one click opens it), the question in sight."""
    step = lesson.steps[index]
    place = f"{lesson.title} · step {index + 1} of {len(lesson.steps)}"
    board = ("**Class board:** post your result with the button under it (join your room on the **Class board** "
             "page first); your instructor shows the class's results.") if step.board else ""
    with st.container(border=True, key="lesson"):
        if flag("present"):
            with st.container(horizontal=True, vertical_alignment="center"):  # the way on at the right
                st.caption(f"{place} · {step.minutes:g} min")
                _onward(lesson, index)
            st.expander(f"**{step.title}**", icon=":material/menu_book:").markdown(f"{step.text}\n\n{board}")
            if step.question:
                st.markdown(f"**Question:** {step.question}")
            return
        st.caption(f"Lesson · {place} · about {step.minutes:g} min")
        st.markdown(f"**{step.title}**\n\n{step.text}")
        if step.question:
            st.markdown(f"**Question:** {step.question}")
        if board:
            st.markdown(board)
        _onward(lesson, index)


def _onward(lesson: lessons.Lesson, index: int) -> None:
    """The link to the lesson's next step, keeping the page flags; on the last step, the end and a link Home."""
    keep = {k: "1" for k in PAGE_FLAGS if flag(k)}
    if index + 1 < len(lesson.steps):  # a page link: the same session, so a joined board room stays joined
        nxt = lesson.steps[index + 1]
        st.page_link(f"app_pages/{nxt.page}.py", label=f"Next: {nxt.title}", icon=":material/arrow_forward:",
                     query_params=lessons.step_params(lesson, index + 1, keep))
    else:
        st.markdown("End of the lesson.")
        st.page_link("app_pages/home.py", label="Back to Home", icon=":material/home:")


def unknown_flags() -> list[str]:
    """Notices for the URL's flags that name nothing on this page or have a value that is not a flag's."""
    configs = st.session_state.get(RUN, {}).values()
    names = {query_key(qp, f.name) for cfg, qp in configs for f in dataclasses.fields(cfg)} | \
            {f.name for cfg, _ in configs for f in dataclasses.fields(cfg)}
    out = []
    for key, value in st.query_params.to_dict().items():
        is_flag = key in PAGE_FLAGS or key.endswith(HIDE)
        if key.endswith(HIDE) and key not in PAGE_FLAGS and key[:-len(HIDE)] not in names:
            out.append(f"Ignored the link's flag {short(key)}: this page has no control called "
                       f"{short(key[:-len(HIDE)])}.")
        elif is_flag and str(value).lower() not in ("1", "0", "true", "false"):
            out.append(f"Ignored the link's flag {short(key)}={short(value)}: use 1 to turn it on.")
    if "lesson" in st.query_params and _step() is None:
        out.append(f"Ignored the link's lesson {short(st.query_params['lesson'])} (step "
                   f"{short(st.query_params.get('step', '1'))}): there is no such lesson step. Lessons: "
                   f"{', '.join(lessons.names())}.")
    return out


def share_link(origin: str, page: str, hide_unchanged: bool) -> str:
    """The link to this view: the page's URL parameters, plus ``<name>_hide=1`` for every setting still at its
    default when ``hide_unchanged``."""
    params = {k: v for k, v in st.query_params.to_dict().items() if not k.endswith(HIDE)}
    for cfg, qp in st.session_state.get(RUN, {}).values():
        now, default = to_query(cfg, qp), to_query(type(cfg)(), qp)
        params |= now
        if hide_unchanged:
            params |= {f.name + HIDE: "1" for f in dataclasses.fields(cfg)
                       if now[query_key(qp, f.name)] == default[query_key(qp, f.name)]}
    return f"{origin}/{page}?{urllib.parse.urlencode(params)}" if params else f"{origin}/{page}"


def capped(notices: list[str], limit: int = MAX_NOTICES) -> list[str]:
    """The first ``limit`` notices, then one that counts the rest (all of them when there are no more)."""
    if len(notices) <= limit:
        return notices
    return notices[:limit] + [f"… and {len(notices) - limit:,} more of the link's parameters were ignored "
                              f"(the first {limit} are above)."]


def cut_notice(cut) -> str | None:
    """The notice for a link Streamlit dropped whole: ``cut`` is what the browser counted in its query string,
    {"fields": parameters, "chars": characters}, or None."""
    try:  # the browser's report, as any client may send it
        fields, chars = int(cut["fields"]), int(cut["chars"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    return (f"This link is too long to read ({fields:,} parameters, {chars:,} characters; at most "
            f"{query_params.CLIENT_STATE_QUERY_STRING_MAX_FIELDS:,} parameters and "
            f"{query_params.CLIENT_STATE_QUERY_STRING_MAX_LENGTH:,} characters): none of its settings or flags were "
            f"applied, so the page shows its defaults.")


def cut_link() -> str | None:
    """The notice for a link whose query string Streamlit ignored, counted in the browser by ``CUT_JS`` (mounted
    at the foot of the sidebar, where it takes no room above the page), or None. One per page path, so the
    report stays with the page the link opened."""
    mount = st.components.v2.component("kdviz_links_cut", js=CUT_JS)
    limits = {"fields": query_params.CLIENT_STATE_QUERY_STRING_MAX_FIELDS,
              "chars": query_params.CLIENT_STATE_QUERY_STRING_MAX_LENGTH}
    with st.sidebar:
        result = mount(key=f"{CUT_KEY}:{urllib.parse.urlsplit(str(st.context.url or '')).path}", data=limits,
                       on_cut_change=lambda: None, height=0)
    return cut_notice(result.get("cut"))


def end(notices, page_path: str) -> None:
    """After the page: the unknown-flag notices (in the box ``begin`` returned, escaped, a few then a count)
    and the Copy link box."""
    for text in capped(unknown_flags()):
        notices.warning(escape(text), icon=":material/link:")
    url = str(st.context.url or "")
    parts = urllib.parse.urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    where = st.sidebar if not flag("nav_hide") else st
    with where.popover("Copy link", icon=":material/link:"):
        hide = st.checkbox("hide the controls I have not changed", key="links.hide_unchanged")
        st.caption("Copy with the button at the right of the box:")
        st.code(share_link(origin, page_path, hide), language=None, wrap_lines=True)
