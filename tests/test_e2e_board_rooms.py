"""In real Chromium: a workshop's rooms outlive page visits and reloads, and the Board lays its two columns out
so the instructors' box is usable. The instructor creates a room with Enter, visits other pages and reloads, and
still manages it (the key is never in the URL or the cookie); a participant joins, reloads, and posts a finished
Live run on their own seed."""
from __future__ import annotations

import re

import pytest

from tests.conftest import screenshot, streamlit_server

pytestmark = pytest.mark.browser

READY = "[data-testid='stApp'][data-test-script-state='notRunning']"


@pytest.fixture
def board_base(tmp_path):
    with streamlit_server("server-board-rooms.log", env={"KDVIZ_BOARD_URL": f"sqlite:///{tmp_path / 'b.sqlite'}"}) as base:
        yield base


def settle(page) -> None:
    page.wait_for_selector(READY, timeout=90_000)


def go(page, path: str) -> None:
    """Switch page in the same session, by the sidebar's link ("" for Home, the first link)."""
    links = page.locator("[data-testid='stSidebarNav'] a")
    (links.first if not path else page.locator(f"[data-testid='stSidebarNav'] a[href$='/{path}']")).click()
    page.wait_for_url(re.compile(f"/{path}(\\?|$)"), timeout=60_000)
    settle(page)


def test_rooms_outlive_page_visits_and_reloads(browser, board_base):
    teach_ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    learn_ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        teacher = teach_ctx.new_page()
        teacher.goto(f"{board_base}/board", wait_until="domcontentloaded")
        teacher.locator(".st-key-board-title input").wait_for(timeout=90_000)
        settle(teacher)
        main = teacher.locator("[data-testid='stMainBlockContainer']").bounding_box()
        cols = teacher.locator(".st-key-board-rooms [data-testid='stColumn']")
        assert cols.count() == 2 and cols.nth(1).bounding_box()["width"] > 0.4 * main["width"]  # not a sliver
        title = teacher.locator(".st-key-board-title input")
        title.fill("Tuesday workshop, room 4")
        hint = teacher.locator(".st-key-board-title [data-testid='InputInstructions']")
        hint.wait_for(timeout=10_000)
        box, under = title.bounding_box(), hint.bounding_box()
        assert under["y"] >= box["y"] + box["height"] - 1  # the hint is under the typed title, not over it
        title.press("Enter")  # Enter submits the form: the room is created
        teacher.get_by_text("is open: give this code to the class").wait_for(timeout=60_000)
        code = re.search(r"Room ([A-Z0-9]{6}) is open", teacher.inner_text("body")).group(1)
        key = teacher.locator("[data-testid='stCode'] code").first.inner_text().strip()
        screenshot(teacher, "board-rooms-created")

        learner = learn_ctx.new_page()
        learner.goto(f"{board_base}/board", wait_until="domcontentloaded")
        learner.locator(".st-key-board-join_code input").wait_for(timeout=90_000)
        learner.locator(".st-key-board-join_code input").fill(code)
        learner.locator(".st-key-board-join_name input").fill("Ana")
        learner.locator(".st-key-board-join_button button").click()
        learner.get_by_text(f"You are in room {code}").wait_for(timeout=60_000)

        for path in ("", "temperature", "board"):  # the instructor visits other pages and comes back
            go(teacher, path)
        teacher.get_by_text(f"You manage room {code}").wait_for(timeout=60_000)
        assert teacher.locator(".st-key-board-lock button").count() == 1
        teacher.reload(wait_until="domcontentloaded")  # a new session: the browser's cookie brings the room back
        teacher.get_by_text(f"You manage room {code}").wait_for(timeout=90_000)
        teacher.locator(".st-key-board-lock button").click()
        teacher.get_by_text("Room locked.").wait_for(timeout=60_000)
        teacher.locator(".st-key-board-unlock button").click()
        teacher.get_by_text("Room unlocked.").wait_for(timeout=60_000)
        assert key not in teacher.url and all(key not in c["value"] for c in teach_ctx.cookies())

        go(learner, "live")
        learner.reload(wait_until="domcontentloaded")  # a participant reloads Live training
        learner.get_by_text("Your seed:").wait_for(timeout=90_000)
        settle(learner)
        seed = re.search(r"Your seed: (\d+)", learner.inner_text("body")).group(1)
        assert re.search(rf"[?&]seed={seed}(&|$)", learner.url)
        learner.locator(".st-key-start button").click()
        learner.locator(".st-key-board-post-live button").wait_for(timeout=240_000)  # still joined after the reload
        learner.locator(".st-key-board-post-live button").click()
        learner.get_by_text(f"Posted to room {code} as Ana, seed {seed}.").wait_for(timeout=60_000)
        screenshot(learner, "board-rooms-posted")
        for page in (teacher, learner):
            assert page.locator("[data-testid='stException']").count() == 0
    finally:
        teach_ctx.close()
        learn_ctx.close()
