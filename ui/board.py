"""The class board in a page: this session's room membership, and the one-button post of a run's result.

A session joins a room on the Class board page (a code and a display name); any page can then call
``post_button`` with its settings and the headline numbers its run computed. Database trouble
is shown as a message, never a traceback, and leaves the rest of the page working.
"""
from __future__ import annotations

import uuid

import streamlit as st

from kdviz.board import Board, BoardError, BoardUnavailable, Room
from kdviz.board.store import default_url
from kdviz.board import rules
from kdviz.board.summary import Summaries, Summary
from kdviz.config import to_query
from kdviz.plots.board import class_scatter
from ui import figures

ROOM, NAME, SESSION = "board.room", "board.name", "board.session"
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
                          lambda: class_scatter(shown.scatter(x, y), x, y))


def session_id() -> str:
    """An id for this browser session: the rate limit counts its posts (and those of its display name)."""
    return st.session_state.setdefault(SESSION, uuid.uuid4().hex)


def membership() -> tuple[str, str] | None:
    """(room code, display name) this session joined, or None."""
    room = st.session_state.get(ROOM)
    return (room, st.session_state.get(NAME, "")) if room else None


def join(code: str, name: str) -> None:
    """Join room ``code`` as ``name`` (BoardError / BoardUnavailable with the message if not possible)."""
    room = store().room(code)
    st.session_state[ROOM], st.session_state[NAME] = room.code, rules.clean_text(name, rules.NAME_MAX, "display name")


def leave() -> None:
    """Leave the room this session joined."""
    st.session_state.pop(ROOM, None)


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
    if st.button(f"Post this run to the class board (room {code})", key=f"board.post.{page}",
                 icon=":material/send:"):
        guarded(lambda: store().post(code, session_id(), name, page, to_query(settings), numbers),
                success=f"Posted to room {code} as {escaped(name)}.")
