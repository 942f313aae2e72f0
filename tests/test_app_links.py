"""Links that show one idea, in AppTest: hide flags hide exactly what they name, presenter and text flags,
lesson steps, unknown flags get a notice, and the Copy link box writes the current view."""
from __future__ import annotations

import urllib.parse

import pytest

from kdviz import lessons
from tests.conftest import plain
from ui.links import TEXT_HIDE_CSS
from ui.sidebar import CLOSE_NAV_ON_PICK_JS, NARROW_SCREEN_CSS


def widget_keys(at) -> set[str]:
    return {w.key for kind in ("select_slider", "selectbox", "text_input", "number_input", "slider", "checkbox")
            for w in at.get(kind) if getattr(w, "key", None)}


def styles(at) -> str:
    """The page's style blocks beyond the ones every page carries (the sidebar's layout rules and its script)."""
    return "\n".join(h.proto.body for h in at.get("html") if h.proto.body not in (NARROW_SCREEN_CSS, CLOSE_NAV_ON_PICK_JS))


def link_notices(at) -> list[str]:
    return [plain(w) for w in at.warning]


def test_a_hide_flag_hides_that_control_only_and_its_value_still_comes_from_the_link(page_test):
    shown = page_test("app_pages/temperature.py")
    at = page_test("app_pages/temperature.py", T="10", T_hide="1", label_hide="true")
    assert not at.exception
    assert widget_keys(shown) - widget_keys(at) == {"temp.T", "temp.label"}
    assert at.session_state["temp.T"] == 10.0  # the hidden control's value is the link's
    assert at.query_params["T"] == "10"
    assert link_notices(at) == []


def test_a_hidden_control_keeps_its_value_when_another_control_changes(page_test):
    at = page_test("app_pages/gradients.py", T="2", T_hide="1")
    at.text_input(key="grad.student").input("1, 0, 0, 0, 0").run()
    assert not at.exception and at.session_state["grad.T"] == 2.0 and at.query_params["T"] == "2"


def test_unknown_flags_and_bad_flag_values_get_a_notice(page_test):
    at = page_test("app_pages/temperature.py", Tx_hide="1", present="maybe", lesson="no-such-lesson")
    assert not at.exception
    notices = "\n".join(link_notices(at))
    assert "no control called 'Tx'" in notices
    assert "'present'='maybe'" in notices
    assert "no such lesson step" in notices and "dark-knowledge-20" in notices


def test_presenter_mode_and_text_hide_load_their_styles_from_the_app(page_test):
    plain = page_test("app_pages/temperature.py")
    assert styles(plain) == ""
    at = page_test("app_pages/temperature.py", present="1")
    assert "font-size: 20px" in styles(at) and TEXT_HIDE_CSS not in styles(at)
    at = page_test("app_pages/temperature.py", text_hide="1")
    assert styles(at) == f"<style>{TEXT_HIDE_CSS}</style>" and link_notices(at) == []
    at = page_test("app_pages/temperature.py", present="1", lesson="dark-knowledge-20")  # the step's text instead
    assert "font-size: 20px" in styles(at) and TEXT_HIDE_CSS in styles(at)
    assert not at.exception


def test_nav_hide_drops_the_sidebar(page_test):
    assert "device" in widget_keys(page_test("app_pages/temperature.py"))
    at = page_test("app_pages/temperature.py", nav_hide="1")
    assert "device" not in widget_keys(at) and not at.exception and link_notices(at) == []
    assert "stSidebar" in styles(at)


def test_presenter_mode_reduces_a_lesson_step_to_its_controls(page_test):
    lesson = lessons.load("dark-knowledge-20")
    params = dict(urllib.parse.parse_qsl(lessons.step_url(lesson, 2).split("?")[1]))
    full = page_test("app_pages/live.py", **params)
    at = page_test("app_pages/live.py", **params, present="1")
    assert {k for k in widget_keys(at) if k.startswith("live.")} == {"live.T", "live.alpha"}
    assert len({k for k in widget_keys(full) if k.startswith("live.")}) == 14


def test_a_lesson_step_shows_its_text_question_and_a_link_to_the_next_step(page_test):
    lesson = lessons.load("dark-knowledge-20")
    params = dict(urllib.parse.parse_qsl(lessons.step_url(lesson, 0).split("?")[1]))
    at = page_test("app_pages/temperature.py", **params, present="1")
    text = "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)
    assert "step 1 of 5" in text and lesson.steps[0].question in text
    (link,) = [link.proto for link in at.get("page_link") if link.proto.label.startswith("Next")]
    assert link.label == f"Next: {lesson.steps[1].title}" and link.page == "temperature"
    assert urllib.parse.parse_qs(link.query_string) == urllib.parse.parse_qs(
        lessons.step_url(lesson, 1, {"present": "1"}).split("?")[1])


def test_copy_link_writes_the_view_and_can_hide_the_unchanged_controls(page_test):
    at = page_test("app_pages/gradients.py", T="2")
    (code,) = [c for c in at.code if "gradients?" in c.value]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(code.value).query))
    assert query["T"] == "2" and not any(k.endswith("_hide") for k in query)
    at.checkbox(key="links.hide_unchanged").check().run()
    (code,) = [c for c in at.code if "gradients?" in c.value]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(code.value).query))
    assert {k for k in query if k.endswith("_hide")} == {"student_hide", "teacher_hide"}  # T was changed: shown


@pytest.mark.parametrize("lesson, index", [(lesson.name, i) for lesson in lessons.lessons()
                                           for i in range(len(lesson.steps))])
def test_every_lesson_step_opens_without_a_notice(page_test, lesson, index):
    the = lessons.load(lesson)
    url = lessons.step_url(the, index)
    page, query = url.split("?")
    params = dict(urllib.parse.parse_qsl(query))
    at = page_test(f"app_pages/{page}.py", **params)
    assert not at.exception and not at.error, url
    assert link_notices(at) == [], url
    for key, value in the.steps[index].settings.items():  # the step's settings are what the page shows
        assert at.query_params[key] == value, (url, key)


@pytest.mark.parametrize("page, key", [("compare", "compare"), ("beyond", "beyond"), ("market", "market"),
                                       ("dark_knowledge", "dark")])
def test_each_training_page_offers_the_students_learning_rate_and_a_link_sets_it(page_test, page, key):
    """The pages that say "lower the learning rate" when students fail have the control to do it."""
    at = page_test(f"app_pages/{page}.py", lr="0.003")
    assert not at.exception and link_notices(at) == []
    slider = at.select_slider(key=f"{key}.lr")
    assert slider.label == "Learning rate" and slider.value == 0.003 and at.query_params["lr"] == "0.003"
