"""A hostile link or typed value is shown as text: no link, image, formula or bare address is rendered from it,
long values and many notices are cut with a count, and a bad lesson name or history length is a message."""
from __future__ import annotations

import re

import pytest

from kdviz import lessons
from tests.conftest import plain
from ui.links import MAX_NOTICES, cut_notice
from ui.messages import escape

EVIL = "https://ev.il"
HOSTILE = [  # (the link's parameters, what its notice must say was wrong, the value it echoes as text)
    ({"present": f"[Log in again]({EVIL})"}, "use 1 to turn it on", f"[Log in again]({EVIL})"),
    ({f"[x]({EVIL})_hide": "1"}, "no control called", f"[x]({EVIL})_hide"),
    ({"lesson": f"[x]({EVIL})"}, "no such lesson step", f"[x]({EVIL})"),
    ({"present": "![x](http://127.0.0.1:9/t.png)"}, "use 1 to turn it on", "![x](http://127.0.0.1:9/t.png)"),
    ({"text_hide": r"$\huge\text{SERVER DOWN}$"}, "use 1 to turn it on", "text{SERVER DOWN}$"),
    ({"nav_hide": "see https://ev.il, www.ev.il or a@ev.il"}, "use 1 to turn it on", "see https://ev.il, www.ev.il"),
]


def rendered(value: str) -> str:
    """The Markdown a message body holds with its escaped characters taken out: what is left is what could
    still render as syntax."""
    return re.sub(r"\\.", "", value, flags=re.DOTALL)


def assert_shown_as_text(value: str) -> None:
    """No link, image, formula, HTML or bare address (GitHub Markdown's autolink patterns) in a message body."""
    live = rendered(value)
    for syntax in ("](", "![", "$", "<"):
        assert syntax not in live, (syntax, value)
    text = plain_text(value)
    assert not re.search(r"https?://|www\.|[-.\w+]@[-\w]", text, re.IGNORECASE), value


def plain_text(value: str) -> str:
    """A message body as the reader sees it (escapes removed), before autolinking."""
    return re.sub(r"\\(.)", r"\1", value)


def link_notices(at) -> list[str]:
    return [w.value for w in at.warning]


@pytest.mark.parametrize("query, wrong, echoed", HOSTILE,
                         ids=["link", "hide-key", "lesson", "image", "latex", "bare-url"])
def test_a_hostile_link_value_is_shown_as_text(page_test, query, wrong, echoed):
    at = page_test("app_pages/temperature.py", **query)
    assert not at.exception and at.title[0].value == "Temperature"  # the page still draws
    notices = link_notices(at)
    assert len(notices) == 1 and wrong in plain(at.warning[0])
    assert_shown_as_text(notices[0])
    assert echoed in plain_text(notices[0]).replace("\u2060", "")  # the value reads as the link wrote it


def test_escape_breaks_bare_addresses_and_reads_the_same():
    text = "see https://ev.il/a, HTTP://x.y, www.ev.il, WWW.EV.IL or a.b@ev.il"
    out = escape(text)
    assert_shown_as_text(out)
    assert plain_text(out).replace("\u2060", "") == text


def test_a_251_letter_lesson_name_is_a_notice_not_an_exception(page_test):
    at = page_test("app_pages/temperature.py", lesson="a" * 251)
    assert not at.exception
    (notice,) = link_notices(at)
    assert "no such lesson step" in plain(at.warning[0]) and "a" * 41 not in notice and "…" in notice


@pytest.mark.parametrize("name", ["a" * 251, "é" * 200], ids=["251-letters", "400-bytes"])
def test_a_lesson_name_is_checked_before_any_file_is_read(name):  # past the file system's name length
    with pytest.raises(ValueError, match="no lesson called"):
        lessons.load(name)


def test_a_thousand_bogus_flags_give_a_handful_of_notices_and_a_count(page_test):
    query = {f"f{i}_hide": "1" for i in range(999)} | {"T": "10"}  # 1,000 parameters: Streamlit's limit
    at = page_test("app_pages/temperature.py", **query)
    assert not at.exception
    assert at.session_state["temp.T"] == 10.0  # the link's setting is kept
    notices = [plain(w) for w in at.warning]
    assert len(notices) == MAX_NOTICES + 1 and MAX_NOTICES <= 6
    assert all("no control called" in n for n in notices[:-1])
    assert f"and {999 - MAX_NOTICES} more" in notices[-1]


def test_a_link_past_the_limit_is_reported_with_its_counts():
    """Streamlit drops a query string of more than 1,000 parameters whole, before the page runs; the browser
    counts the link it opened (tests/test_link_hostile_browser.py) and the page says so in these words."""
    text = cut_notice({"fields": 1001, "chars": 11_894})
    assert "1,001 parameters" in text and "at most 1,000 parameters" in text and "defaults" in text
    assert cut_notice(None) is None


@pytest.mark.parametrize("typed, wrong", [("abc", "'abc' is not a whole number"), ("0", "'0' is not one of")])
def test_a_bad_history_length_is_refused_when_typed(page_test, typed, wrong):
    at = page_test("app_pages/market.py")
    assert at.button(key="transfer_start")  # offered while the lengths are good
    at.text_input(key="tr.months").input(typed).run()
    assert not at.exception
    assert any(wrong in plain(e) and "history lengths" in plain(e) for e in at.error)
    assert not [b for b in at.button if b.key == "transfer_start"]  # no Start until the lengths are fixed
