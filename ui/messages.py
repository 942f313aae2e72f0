"""Messages shown to the user: bad input as a readable message instead of a traceback, and
anything the user typed (URL values, logits, method names, CSV cells) shown as text.

Streamlit renders the body of st.error/st.warning/st.info as Markdown with LaTeX, so a link, an
image or a formula in echoed input would be rendered; ``escape`` makes every Markdown and LaTeX
character literal, keeps bare addresses ("https://...", "www.", "name@host") from becoming links,
and cuts the text to a readable length.
"""
from __future__ import annotations

import re
from urllib.parse import urlparse

import streamlit as st

MAX_MESSAGE = 400  # characters of a message that echoes input; the rest is cut
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|$~<>:&=\"'^%@])")
# Markdown turns "http://", "https://", "www." and "name@host" into links even when their characters are
# backslash-escaped (it finds them in the text it has already unescaped); an invisible word joiner inside
# each breaks the pattern and reads the same.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
JOINER = "\u2060"


def escape(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to ``limit`` characters (with "…"), every Markdown/LaTeX character backslash-escaped and
    every bare address broken by a word joiner (shown as text, never as a link)."""
    s = str(text)
    if len(s) > limit:
        s = s[:limit] + "…"
    s = " ".join(s.split())  # no line breaks: a newline could start a heading, a list or a code block
    return _SPECIAL.sub(r"\\\1", _AUTOLINK.sub(JOINER, s))


def stop_with_error(message: str) -> None:
    """Show ``message`` as an error box (escaped, cut to length) and end this run of the page."""
    st.error(escape(message), icon=":material/error:")
    st.stop()


def warn(message: str, icon: str = ":material/warning:") -> None:
    """A warning box for a message that may echo input (escaped, cut to length)."""
    st.warning(escape(message), icon=icon)


def unknown_page_notice(url: str | None, known_paths) -> str | None:
    """The notice for a URL whose path names no page (None when it names one, or is the root)."""
    if not url:
        return None
    path = urlparse(url).path.strip("/")
    if not path or path.split("/")[-1] in set(known_paths):
        return None
    return f"There is no page called /{path}; showing Home instead. Pick a page in the sidebar."
