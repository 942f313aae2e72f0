"""The class board in a page: this session's room membership, the room it manages, and the one-button post of
a run's result.

A session joins a room on the Class board page (a code and a display name); any page can then call
``post_button`` with its settings and the headline numbers its run computed. A participant trains on their
own seed (``own_seed``), so the class sees the spread between seeds. Database trouble is shown as a message,
never a traceback, and leaves the rest of the page working.

Both the membership and the managed room live in plain session-state keys (never a widget's key, which
Streamlit drops when another page runs), so they last while the participant or instructor visits other
pages; the Class board page also keeps them in this browser's cookies (``remember``), so a reload, which
starts a new session, finds them again. The instructor's cookie holds an opaque pass the board issued for
the key (``Board.instructor_pass``), never the key, and nothing of either goes into a URL.
"""
from __future__ import annotations

import json
import urllib.parse
import uuid

import streamlit as st

from kdviz.board import Board, BoardError, BoardUnavailable, Room
from kdviz.board.store import default_url
from kdviz.board import rules
from kdviz.board.headlines import quantity
from kdviz.board.summary import Summaries, Summary
from kdviz.config import to_query
from kdviz.plots.board import class_scatter
from ui import figures
from ui.state import preset, reads_url

ROOM, NAME, SESSION = "board.room", "board.name", "board.session"
MANAGED, PASS = "board.manage", "board.key"  # the room this session manages, and its instructor pass
RESTORED = "board.restored"  # set once this session has read the browser's cookies
SEEDED = "board.seeded"  # {page prefix: membership} whose own seed the page's settings took
ROOM_COOKIE, TEACH_COOKIE = "kdviz_board_room", "kdviz_board_teach"
# The Class board page's two columns share its width (a column holding a button is otherwise only as wide as the
# button, which left the instructors a sliver); on a narrow screen they stack. A text box's hint ("Press Enter
# to submit form", the characters left) goes under the box instead of over what was typed.
LAYOUT_CSS = ("<style>.st-key-board-rooms [data-testid='stHorizontalBlock'] > [data-testid='stColumn'] "
              "{flex: 1 1 18rem !important; width: auto !important; min-width: min(100%, 18rem) !important;}"
              ".st-key-board-rooms [data-testid='stHorizontalBlock'] {flex-wrap: wrap;}"
              ".st-key-board-rooms .stTextInput div:has(> [data-testid='InputInstructions']), "
              ".st-key-board-rooms [data-testid='InputInstructions'] {position: static !important; text-align: right;}"
              "</style>")
SUMMARIES = Summaries()  # each room's board, shared by all its viewers on this server


def store() -> Board:
    """The server's one board (KDVIZ_BOARD_URL, or a SQLite file); it connects on first use."""
    return _board(default_url())


@st.cache_resource(show_spinner=False)
def _board(url: str) -> Board:
    return Board(url)


def view(code: str, page: str) -> tuple[Room, Summary]:
    """Room ``code`` now, and the Summary of its ``page`` posts shared by every viewer (rebuilt only when the
    room changed): one lookup by key per refresh of an unchanged room, whatever it holds."""
    return SUMMARIES.get(store(), code, page)


def scatter_figure(code: str, shown: Summary, x: str, y: str):
    """The class scatter of ``y`` against ``x`` for a room's Summary, built once per version and choice and
    shared by every viewer of the room."""
    return figures.shared("board.scatter", (store().url, code, shown.page, shown.version, x, y),
                          lambda: class_scatter(shown.scatter(x, y), quantity(shown.page, x), quantity(shown.page, y)))


def session_id() -> str:
    """An id for this browser session: the rate limit counts its posts (and those of its display name)."""
    return st.session_state.setdefault(SESSION, uuid.uuid4().hex)


def membership() -> tuple[str, str] | None:
    """(room code, display name) this session joined (or that this browser had joined before a reload), or None."""
    _restore()
    room = st.session_state.get(ROOM)
    return (room, st.session_state.get(NAME, "")) if room else None


def join(code: str, name: str) -> None:
    """Join room ``code`` as ``name`` (BoardError / BoardUnavailable with the message if not possible)."""
    room = store().room(code)
    st.session_state[ROOM], st.session_state[NAME] = room.code, rules.clean_text(name, rules.NAME_MAX, "display name")


def leave() -> None:
    """Leave the room this session joined."""
    st.session_state.pop(ROOM, None)


def managed() -> str | None:
    """The code of the room this session manages as its instructor (kept across pages and reloads), or None."""
    _restore()
    return st.session_state.get(MANAGED)


def credential() -> str:
    """The instructor pass of the managed room: what the board's instructor actions take in place of the key."""
    return st.session_state.get(PASS, "")


def create(title: str) -> tuple[str, str]:
    """Create a room titled ``title`` and manage it; return (code, instructor key) for the page to show once."""
    code, key = store().create_room(title)
    _manage(code, store().instructor_pass(code, key))
    return code, key


def manage(code: str, key: str) -> str:
    """Manage room ``code`` with its instructor ``key`` and return its code (BoardError if the key does not open it)."""
    code = rules.clean_code(code)
    _manage(code, store().instructor_pass(code, key))
    return code


def stop_managing() -> None:
    """Forget the managed room in this session and browser (its pass is revoked; the key still opens the room)."""
    token = st.session_state.pop(PASS, None)
    st.session_state.pop(MANAGED, None)
    if token:
        try:
            store().drop_pass(token)
        except BoardUnavailable:
            pass  # the pass then simply ends with the key


def _manage(code: str, token: str) -> None:
    st.session_state[MANAGED], st.session_state[PASS] = code, token


def _restore() -> None:
    """Once per session: take the membership and the managed room this browser's cookies hold (a reload starts a
    new session), unless the session has its own. A pass the board no longer accepts is dropped."""
    if st.session_state.get(RESTORED):
        return
    st.session_state[RESTORED] = True
    cookies = st.context.cookies or {}
    code, _, name = urllib.parse.unquote(cookies.get(ROOM_COOKIE, "")).partition(":")
    if ROOM not in st.session_state and code:
        try:
            st.session_state[ROOM], st.session_state[NAME] = (rules.clean_code(code),
                                                              rules.clean_text(name, rules.NAME_MAX, "display name"))
        except BoardError:
            pass  # a damaged cookie: the participant joins again
    code, _, token = cookies.get(TEACH_COOKIE, "").partition(":")
    if MANAGED not in st.session_state and code and token:
        try:
            _manage(store().check_instructor(code, token), token)
        except BoardError:
            pass  # expired, revoked or damaged: the instructor types the key again
        except BoardUnavailable:
            _manage(code, token)  # the board will say it is unavailable when an action needs it


def remember() -> None:
    """Keep this session's membership and managed room in the browser's cookies (cleared when it has none), so a
    reload finds them again; for as long as an instructor key lasts, on this site only, never in a URL."""
    joined, code = membership(), managed()
    room = urllib.parse.quote(f"{joined[0]}:{joined[1]}", safe="") if joined else ""
    teach = f"{code}:{credential()}" if code else ""
    life = int(rules.KEY_HOURS * 3600)
    lines = "".join(f"document.cookie = {json.dumps(f'{name}={value}')} + "
                    f"'; path=/; samesite=strict; max-age=' + {life if value else 0};"
                    for name, value in ((ROOM_COOKIE, room), (TEACH_COOKIE, teach)))
    with st.sidebar:  # in the sidebar: no gap on the page
        st.html(f"<script>{lines}</script>", unsafe_allow_javascript=True)


def own_seed(cls, prefix: str, field: str = "seed") -> int | None:
    """Before a page's settings are drawn: a participant in a room trains on their own seed (``None`` outside a
    room). It replaces the page's seed when the participant joins, and on every first visit or lesson step whose
    link names no seed (a link or lesson that names one keeps it); the participant may change it afterwards."""
    joined = membership()
    if joined is None:
        return None
    seed = rules.participant_seed(*joined)
    done = st.session_state.setdefault(SEEDED, {})
    if (field not in st.query_params) if reads_url(cls, prefix) else done.get(prefix) != joined:
        preset(cls, prefix, **{field: seed})
    done[prefix] = joined
    return seed


def seed_line(seed: int, own: int) -> str:
    """The sentence under a page's settings in a room: the seed this run uses, and whether it is the participant's own."""
    code = st.session_state.get(ROOM, "")
    if seed == own:
        return (f"Your seed: **{seed}**. Everyone in room {code} trains on their own seed, so the class board shows "
                "how much runs with the same settings vary, beside the effect of the settings.")
    return f"Seed: **{seed}** (set by you or the link); your own seed in room {code} is {own}."


def escaped(text: str) -> str:
    """Typed text made safe inside Markdown: HTML and Markdown characters shown as themselves."""
    out = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|~$" else ch for ch in out)


def guarded(action, success: str | None = None):
    """Run ``action()``; show a BoardError or BoardUnavailable as a message. Returns its result, or None."""
    try:
        result = action()
    except BoardError as err:
        st.error(str(err), icon=":material/error:")
        return None
    except BoardUnavailable as err:
        st.warning(str(err), icon=":material/cloud_off:")
        return None
    if success:
        st.success(success, icon=":material/check:")
    return result


def post_button(page: str, settings, numbers: dict[str, float]) -> None:
    """A "Post to the class board" button for a finished run: ``settings`` (the page's config dataclass) and
    ``numbers`` (its headline numbers, computed by the app) go to the room this session joined."""
    joined = membership()
    if joined is None:
        st.caption("In a workshop? Join your class's room on the **Class board** page to post this run with one click.")
        return
    code, name = joined
    seed = getattr(settings, "seed", None)
    if st.button(f"Post this run to the class board (room {code})", key=f"board.post.{page}",
                 icon=":material/send:"):
        guarded(lambda: store().post(code, session_id(), name, page, to_query(settings), numbers),
                success=f"Posted to room {code} as {escaped(name)}" + ("." if seed is None else f", seed {seed}."))
