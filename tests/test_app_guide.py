"""Every page's guide, in AppTest: its "What to notice" line at the top, a "Next" link to the next page in Home's
order at the end, the line hidden by text_hide=1, the link by nav_hide=1 and on a lesson step."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from kdviz import guide, lessons
from tests.conftest import APP

PAGES = [p.path for p in guide.PAGES]


def notices(at) -> list[str]:
    return [m.value for m in at.markdown if "**What to notice:**" in m.value]


def next_links(at) -> list[tuple[str, str]]:
    return [(link.proto.label, link.proto.page) for link in at.get("page_link")
            if link.proto.label.startswith("Next:") or link.proto.label == "Back to Home"]


def test_the_order_is_homes_and_ends_back_home():
    assert [guide.next_page(p).path for p in PAGES[:-1]] == PAGES[1:]
    assert guide.next_page(PAGES[-1]) is None
    with pytest.raises(ValueError, match="no page called"):
        guide.page("nowhere")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_says_what_to_notice_and_links_to_the_next_page(page_test, page):
    at = page_test(f"app_pages/{page}.py")
    assert not at.exception
    assert notices(at) == [f":material/visibility: **What to notice:** {guide.page(page).notice}"]
    nxt = guide.next_page(page)
    label, target = next_links(at)[-1]
    if nxt is None:
        assert label == "Back to Home" and target in ("", "home")
    else:
        assert (label, target) == (f"Next: {nxt.title}", nxt.path)  # the link's URL path


def test_the_next_link_opens_the_next_page():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/temperature.py").run()
    label, target = next_links(at)[-1]
    at.switch_page(f"app_pages/{target}.py").run()
    assert not at.exception and at.title[0].value == "Gradients"


@pytest.mark.parametrize("page", ["temperature", "compare"])
def test_text_hide_hides_the_line_and_nav_hide_the_link(page_test, page):
    at = page_test(f"app_pages/{page}.py", text_hide="1")
    assert notices(at) == [] and next_links(at)  # the link is navigation, not text
    at = page_test(f"app_pages/{page}.py", nav_hide="1")
    assert notices(at) and next_links(at) == []


def test_a_lesson_step_leads_with_its_own_next_and_its_text_when_presenting(page_test):
    at = page_test("app_pages/temperature.py", lesson="dark-knowledge-20", step="1")
    assert notices(at)  # not presenting: the page's line stays
    assert [label for label, _ in next_links(at)] == ["Next: " + lessons.load("dark-knowledge-20").steps[1].title]
    at = page_test("app_pages/temperature.py", lesson="dark-knowledge-20", step="1", present="1")
    assert notices(at) == []


def test_the_guide_lists_every_page_the_router_serves_once():
    from pathlib import Path

    files = {p.stem for p in (Path(__file__).resolve().parents[1] / "app_pages").glob("*.py")} - {"home"}
    assert sorted(PAGES) == sorted(files) and len(set(PAGES)) == len(PAGES)
    assert all(p.notice and p.line and p.minutes > 0 for p in guide.PAGES)
