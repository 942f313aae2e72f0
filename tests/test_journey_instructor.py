"""The instructor's journey in a real Chromium, as README's "Teaching a workshop" tells it, on one server whose
class board is a fresh SQLite file: each lesson opened from its Home card and walked step by step through its
Next links, every step's settings checked against what the page's widgets show; each step presented at 1024x768;
a room created, a participant (a second browser) joining, training on Live training and posting; the
instructor's board showing the post, then Lock, the CSV export and Clear.

The module's tests share one room and run in file order: the participant's post is made once (``workshop``).
"""
from __future__ import annotations

import csv
import io
import re
import types

import pytest

from kdviz import lessons
from kdviz.config import fields, from_query
from tests.conftest import screenshot, streamlit_server
from tests.journey import IDLE, RUNNING, assert_clean, css_key, open_page, same_setting, shown_value, wait_idle, wait_until

pytestmark = pytest.mark.browser

DESKTOP, PROJECTOR = {"width": 1400, "height": 1000}, {"width": 1024, "height": 768}
WIDGETS = {"temperature": "temp", "live": "live", "compare": "compare", "dark_knowledge": "dark",
           "language": "language"}  # page -> key prefix
PLOT = "[data-testid='stMain'] .js-plotly-plot"  # a figure of the page (not of the sidebar)
SCATTER = "document.querySelector('.st-key-board-scatter .js-plotly-plot')"
POINTS = f"(() => {{ const p = {SCATTER}; return p && p.data && p.data[0].x ? p.data[0].x.length : 0; }})()"
NAME = "Ana <b>"  # typed by the participant: shown as typed, never as markup


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One app server for the instructor's journey; its class board is a fresh SQLite file."""
    board = tmp_path_factory.mktemp("board") / "board.sqlite"
    with streamlit_server("journey-instructor-server.log", env={"KDVIZ_BOARD_URL": f"sqlite:///{board}"}) as url:
        yield url


def shown_text(cls, name: str, raw: str) -> str:
    """What the widget of setting ``name`` shows for the link value ``raw``: the value as the page reads it,
    through the field's display format where it has one (a select box shows the formatted option)."""
    value = getattr(from_query(cls, {name: raw})[0], name)
    fmt = fields(cls)[name].metadata.get("format")
    return str(fmt(value)) if fmt else raw


def wrong_settings(page, step: lessons.Step) -> dict:
    """The settings of ``step`` whose widget on the page shows another value (read from the DOM):
    {name: (the step's value, what the page shows, None when not drawn)}."""
    cls, prefix = lessons.PAGE_CONFIGS[step.page], WIDGETS[step.page]
    shown = {name: shown_value(page, f"{prefix}.{name}") for name in step.settings}
    return {name: (raw, shown[name]) for name, raw in step.settings.items()
            if not same_setting(shown[name], shown_text(cls, name, raw))}


def check_step_settings(page, step: lessons.Step, where: str, timeout_s: float = 30) -> None:
    """Every setting of ``step`` is what its widget on the page shows, once the page has drawn them (a page may
    rerun once after writing its settings to the URL; bounded wait)."""
    wrong = {}

    def right() -> bool:
        nonlocal wrong
        wrong = wrong_settings(page, step)
        return not wrong
    try:
        wait_until(page, right, f"{where}: the step's settings", timeout_s)
    except AssertionError as err:
        raise AssertionError(f"{where}: setting: (the step's value, what the page shows): {wrong}") from err


def wait_for_step(page, lesson: lessons.Lesson, i: int) -> None:
    """Wait until the page shows step ``i`` (0-based) of ``lesson`` and its script is idle."""
    page.locator(".st-key-lesson").get_by_text(f"step {i + 1} of {len(lesson.steps)}").wait_for(timeout=120_000)
    wait_idle(page)


@pytest.mark.parametrize("name", lessons.names())
def test_each_lesson_opens_from_home_and_every_step_shows_its_settings(browser, server, name):
    lesson = lessons.load(name)
    ctx = browser.new_context(viewport=DESKTOP)
    try:
        page = open_page(ctx, server)
        page.get_by_role("link", name=lesson.title).click()
        for i, step in enumerate(lesson.steps):
            where = f"{name}, step {i + 1}"
            wait_for_step(page, lesson, i)
            assert page.url.split("?")[0].endswith(f"/{step.page}"), f"{where}: opened {page.url}"
            check_step_settings(page, step, where)
            assert page.locator("[data-testid='stAlertContentWarning']").count() == 0, f"{where}: a notice"
            assert_clean(page, where)
            if i + 1 < len(lesson.steps):
                page.get_by_role("link", name=f"Next: {lesson.steps[i + 1].title}").click()
        assert page.get_by_text("End of the lesson").is_visible()
    finally:
        ctx.close()


# Settled enough to measure: a figure is drawn, or the page is idle and waits for Start (it draws its figure once a
# run starts).
READY = (f"() => !!document.querySelector({PLOT!r}) || (!!document.querySelector(\"{IDLE}\") "
         "&& !!document.querySelector('.st-key-start button'))")
# the top of the first figure drawn in sight (one folded away has no height)
FIGURE_TOP = (f"() => {{ const p = [...document.querySelectorAll({PLOT!r})].find(e => e.getBoundingClientRect().height > 0); "
              "return p && {top: p.getBoundingClientRect().top}; }")


@pytest.mark.parametrize("name", lessons.names())
def test_presenting_each_step_at_1024x768_shows_its_figure_above_the_fold(browser, server, name):
    lesson = lessons.load(name)
    ctx = browser.new_context(viewport=PROJECTOR)
    low = {}
    try:
        for i, step in enumerate(lesson.steps):  # each step from its link with &present=1, as README says
            page = ctx.new_page()
            page.goto(f"{server}/{lessons.step_url(lesson, i, {'present': '1'})}", wait_until="domcontentloaded")
            wait_for_step(page, lesson, i)
            page.wait_for_function(READY, timeout=180_000)  # Dark knowledge first trains its teachers
            started = page.locator(PLOT).count() == 0
            if started:  # a page that draws its figure once the class presses Start: measured at the run's end
                page.locator(".st-key-start button").click()
                page.wait_for_selector(RUNNING, timeout=180_000)
                wait_until(page, lambda: page.locator(RUNNING).count() == 0, f"{name}, step {i + 1}: the run", 240)
                wait_idle(page)
            page.locator(f"{PLOT} .main-svg").first.wait_for(timeout=180_000)
            top = page.wait_for_function(FIGURE_TOP, timeout=60_000).json_value()["top"]  # a rerun may redraw it
            if top >= PROJECTOR["height"]:  # not even its top edge on the first screen
                low[i + 1] = round(top)
            assert_clean(page, f"{name}, step {i + 1}, presented")
            screenshot(page, f"journey-instructor-present-{name}-{i + 1}")
            page.close()
        assert not low, f"{name}: step: the top of its figure (px), below the first screen: {low}"
    finally:
        ctx.close()


def scatter_point(page) -> dict:
    """The instructor's class scatter's first point: x, its hover text and y as a fraction (y is divided by 100
    when the y axis is titled in percent)."""
    point = page.evaluate(f"(() => {{ const p = {SCATTER}, d = p.data[0]; "
                          "return {x: d.x[0], y: d.y[0], hover: d.hovertext[0], "
                          "title: (p.layout.yaxis.title || {}).text || ''}; })()")
    return {**point, "fraction": point["y"] / (100 if "%" in point["title"] else 1)}


def board_csv(page) -> list[dict]:
    """The room's posts as the instructor downloads them: Prepare CSV, then Download CSV."""
    page.locator(".st-key-board-export button").click()
    with page.expect_download(timeout=60_000) as done:
        page.locator(".st-key-board-download button").click()
    with open(done.value.path(), encoding="utf-8") as f:
        return list(csv.DictReader(io.StringIO(f.read())))


@pytest.fixture(scope="module")
def workshop(browser, server):
    """The instructor creates a room on the Board page; a participant (another browser) joins it with the code,
    trains on Live training at its defaults and posts. Yields the two pages, the room code and the instructor key."""
    teacher_ctx, student_ctx = browser.new_context(viewport=DESKTOP), browser.new_context(viewport=DESKTOP)
    try:
        teacher = open_page(teacher_ctx, f"{server}/board")
        teacher.locator(".st-key-board-create button").click()
        teacher.get_by_text("is open: give this code to the class").wait_for(timeout=60_000)
        code = re.search(r"Room ([A-Z0-9]{6}) is open", teacher.inner_text("[data-testid='stMain']")).group(1)
        key = teacher.locator("[data-testid='stMain'] [data-testid='stCode'] code").first.inner_text().strip()

        student = open_page(student_ctx, f"{server}/board")
        student.locator(".st-key-board-join_code input").fill(code)
        student.locator(".st-key-board-join_name input").fill(NAME)
        student.locator(".st-key-board-join_button button").click()
        student.get_by_text(f"You are in room {code}").wait_for(timeout=60_000)
        student.get_by_role("link", name="Live training").first.click()  # a page link keeps the session
        student.locator(".st-key-start button").click()
        post = student.locator(".st-key-board-post-live button")
        post.wait_for(timeout=240_000)
        wait_until(student, lambda: student.locator("[data-testid='stProgress']").count() == 0, "the run", 120)
        post.click()
        student.get_by_text(f"Posted to room {code}").wait_for(timeout=60_000)
        assert_clean(student, "the participant's post")
        yield types.SimpleNamespace(teacher=teacher, student=student, code=code, key=key, server=server)
    finally:
        teacher_ctx.close()
        student_ctx.close()


def test_the_instructors_board_shows_the_participants_post(workshop):
    teacher, student = workshop.teacher, workshop.student
    wait_until(teacher, lambda: teacher.evaluate(POINTS) >= 1, "the post on the board", 60)  # it polls every 3 s
    point = scatter_point(teacher)
    t = float(shown_value(student, "live.T"))
    assert point["x"] == pytest.approx(t, abs=1e-9)  # the participant's T
    assert 0.2 < point["fraction"] <= 1.0  # a KD student's accuracy
    assert "Ana &lt;b&gt;" in point["hover"] and "<b>" not in point["hover"]  # escaped for Plotly: shown as typed
    assert teacher.get_by_text(f"Room {workshop.code}").count() >= 1
    assert_clean(teacher, "the instructor's board")
    screenshot(teacher, "journey-instructor-board")


def test_the_board_shows_the_seed_the_post_was_trained_with(workshop):
    teacher, student = workshop.teacher, workshop.student
    wait_until(teacher, lambda: teacher.evaluate(POINTS) >= 1, "the post on the board", 60)  # it polls every 3 s
    posted = re.search(r"Posted to room \w+ as .*, seed (\d+)\.", student.inner_text("[data-testid='stMain']"))
    assert posted, "the participant's post does not say its seed"
    seed = int(posted.group(1))  # the seed of the participant's run, as their page said when posting
    shown = scatter_point(teacher)["hover"] + "\n" + teacher.inner_text("[data-testid='stMain']")
    assert re.search(rf"\bseed\W{{0,3}}{seed}\b", shown, re.IGNORECASE), f"seed {seed} is not on the board"


def test_the_instructor_locks_exports_and_clears_the_room(workshop):
    teacher, student, code = workshop.teacher, workshop.student, workshop.code
    teacher.locator(".st-key-board-lock button").click()
    teacher.get_by_text("Room locked.").wait_for(timeout=60_000)
    teacher.get_by_text(f"Room {code}").filter(has_text="(locked)").first.wait_for(timeout=60_000)
    student.locator(".st-key-board-post-live button").click()  # a post to a locked room is refused, in words
    student.get_by_text(f"Room {code} is locked").wait_for(timeout=60_000)

    rows = board_csv(teacher)
    point = scatter_point(teacher)
    assert [r["name"] for r in rows] == [NAME] and rows[0]["page"] == "live"
    assert float(rows[0]["kd_acc"]) == pytest.approx(point["fraction"], abs=1e-9)  # the number the board plots

    teacher.locator(".st-key-board-confirm_clear label").click()
    teacher.locator(".st-key-board-clear button").click()
    teacher.get_by_text("Every post deleted.").wait_for(timeout=60_000)
    teacher.get_by_text("No runs posted yet").wait_for(timeout=60_000)
    teacher.locator(".st-key-board-unlock button").click()  # ready for the next class
    teacher.get_by_text("Room unlocked.").wait_for(timeout=60_000)
    assert_clean(teacher, "the instructor's controls")
    screenshot(teacher, "journey-instructor-cleared")


def test_the_instructors_room_stays_after_visiting_other_pages(workshop):
    teacher, student, code = workshop.teacher, workshop.student, workshop.code
    for link, path in (("Home", "/"), ("Live training", "/live"), ("Board", "/board")):  # sidebar links: one session
        teacher.locator("[data-testid='stSidebarNav'] a", has_text=link).click()
        teacher.wait_for_url(lambda url: url.split("?")[0].endswith(path), timeout=60_000)
        wait_idle(teacher)
    teacher.get_by_text("Class board").first.wait_for(timeout=60_000)
    wait_idle(teacher)
    assert teacher.locator(f".{css_key('board.lock')} button").count() == 1, "the instructor's room controls are gone"
    student.locator(".st-key-board-post-live button").click()
    student.get_by_text(f"Posted to room {code}").wait_for(timeout=60_000)
    wait_until(teacher, lambda: teacher.evaluate(POINTS) >= 1, "the post on the board after other pages", 30)
