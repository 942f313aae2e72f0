"""In real Chromium, two browsers: the instructor creates a room, a participant joins, trains on Live training
and posts, and the instructor's class scatter shows the post. Against SQLite and a real PostgreSQL."""
from __future__ import annotations

import re
import urllib.parse

import pytest

from tests.conftest import screenshot, streamlit_server

pytestmark = pytest.mark.browser

SCATTER_POINTS = "(() => { const p = document.querySelector('.js-plotly-plot'); " \
                 "return p && p.data && p.data[0].x ? p.data[0].x.length : 0; })()"


@pytest.fixture(params=["sqlite", "postgresql"])
def board_server(request, tmp_path):
    """An app server whose board is a fresh SQLite file or the test session's PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'board.sqlite'}" if request.param == "sqlite" else \
        request.getfixturevalue("postgres_url")
    with streamlit_server(f"server-board-{request.param}.log", env={"KDVIZ_BOARD_URL": url}) as base:
        yield request.param, base


def open_board(browser, base):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    page.goto(f"{base}/board", wait_until="domcontentloaded")
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=90_000)
    page.get_by_text("Class board").first.wait_for(timeout=60_000)
    return ctx, page


def test_a_participants_post_appears_on_the_instructors_board(browser, board_server):
    kind, base = board_server
    teacher_ctx, teacher = open_board(browser, base)
    student_ctx, student = open_board(browser, base)
    try:
        teacher.locator(".st-key-board-create button").click()
        teacher.get_by_text("is open: give this code to the class").wait_for(timeout=60_000)
        code = re.search(r"Room ([A-Z0-9]{6}) is open", teacher.inner_text("body")).group(1)

        student.locator(".st-key-board-join_code input").fill(code)
        student.locator(".st-key-board-join_name input").fill("Ana <script>")
        student.locator(".st-key-board-join_button button").click()
        student.get_by_text(f"You are in room {code}").wait_for(timeout=60_000)
        student.get_by_role("link", name="Live training").click()  # same session: the membership stays
        student.locator(".st-key-start button").click()
        student.locator(".st-key-board-post-live button").wait_for(timeout=180_000)
        student.locator(".st-key-board-post-live button").click()
        student.get_by_text(f"Posted to room {code}").wait_for(timeout=60_000)

        teacher.wait_for_function(f"{SCATTER_POINTS} >= 1", timeout=60_000)  # the board polls every 3 s
        point = teacher.evaluate("(() => { const d = document.querySelector('.js-plotly-plot').data[0]; "
                                 "return [d.x[0], d.y[0], d.hovertext[0], "
                                 "document.querySelector('.js-plotly-plot').layout.xaxis.title.text]; })()")
        posted_t = float(urllib.parse.parse_qs(urllib.parse.urlparse(student.url).query)["T"][0])
        assert point[3] == "Temperature T" and point[0] == posted_t and 30 < point[1] <= 100  # the T, the KD accuracy (%)
        seed = int(urllib.parse.parse_qs(urllib.parse.urlparse(student.url).query)["seed"][0])
        assert point[2] == f"Ana &lt;script&gt; (seed {seed})"  # who (escaped: shown as typed) and the run's seed
        assert teacher.locator("[data-testid='stException']").count() == 0
        assert student.locator("[data-testid='stException']").count() == 0
        screenshot(teacher, f"board-instructor-{kind}")
        screenshot(student, f"board-participant-{kind}")
    finally:
        teacher_ctx.close()
        student_ctx.close()
