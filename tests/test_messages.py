"""What users type is shown as text: escaped, cut to length, with the page's own wording."""
import re

import pytest

from ui.messages import JOINER, MAX_MESSAGE, escape, unknown_page_notice

LINK = "[Session expired: click to log in again](https://example.com/login)"


def test_escape_makes_links_images_and_formulas_literal():
    out = escape(f"{LINK} ![x](https://example.com/a.png) $x^2$ **bold** :red[hi]")
    assert re.search(r"(?<!\\)[\[\]()!$*:]", out) is None  # every Markdown/LaTeX character is escaped
    assert out.replace("\\", "").replace(JOINER, "") == f"{LINK} ![x](https://example.com/a.png) $x^2$ **bold** :red[hi]"


def test_escape_cuts_long_input_and_joins_lines():
    out = escape("a" * 100_000 + "\n# heading")
    assert len(out) <= MAX_MESSAGE + 1 and out.endswith("…")
    assert "\n" not in escape("one\n# two")


def test_unknown_page_path_gets_a_notice():
    known = ["", "temperature", "gradients"]
    assert unknown_page_notice("http://h:8501/", known) is None
    assert unknown_page_notice("http://h:8501/temperature?T=4", known) is None
    assert unknown_page_notice(None, known) is None
    assert "no page called /tempreature" in unknown_page_notice("http://h:8501/tempreature", known)


def test_a_link_value_with_markdown_is_shown_escaped(page_test):
    at = page_test("app_pages/temperature.py", T=LINK, label="![img](https://example.com/a.png)")
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 2 and not at.exception
    for w in warnings:
        assert re.search(r"(?<!\\)[\[\]()!]", w) is None and "\\[" in w  # Markdown that renders as text, not a link or an image
    assert any("expected a number" in w for w in warnings) and any("expected a whole number" in w for w in warnings)


def test_a_link_value_between_steps_snaps_with_a_notice(page_test):
    at = page_test("app_pages/temperature.py", T="3.7")
    assert at.session_state["temp.T"] == 4.0 and not at.exception
    assert any("nearest" in w.value and "4" in w.value for w in at.warning)
