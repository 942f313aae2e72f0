"""A lesson step applies its own settings every time it is entered: from the step before it on the same page, from
another page, or again after the learner moved the controls; a rerun within the step keeps what the learner set."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from kdviz import lessons
from tests.conftest import APP

LESSON = lessons.load("dark-knowledge-20")


def enter(at: AppTest, index: int) -> AppTest:
    """Follow the link of step ``index`` (0-based) as its Next button does: the step's URL, then its page."""
    at.query_params.clear()
    at.query_params.update(lessons.step_params(LESSON, index))
    return at.switch_page(f"app_pages/{LESSON.steps[index].page}.py").run()


def setting(at: AppTest, index: int, key: str, name: str) -> float:
    """The page's control ``name`` (under the page's key) as a number, beside the step's own setting."""
    return float(at.session_state[f"{key}.{name}"]), float(LESSON.steps[index].settings[name])


@pytest.fixture
def at():
    return AppTest.from_file(APP, default_timeout=120).run()


def pairs(page: str) -> list[tuple[int, int]]:
    """Consecutive steps of the lesson on one page (each the Next of the one before)."""
    steps = LESSON.steps
    return [(i, i + 1) for i in range(len(steps) - 1) if steps[i].page == steps[i + 1].page == page]


@pytest.mark.parametrize("page, key", [("temperature", "temp"), ("live", "live")])
def test_next_on_the_same_page_applies_the_next_steps_settings(at, page, key):
    (first, second), = pairs(page)
    enter(at, first)
    shown, wanted = setting(at, first, key, "T")
    assert shown == wanted
    enter(at, second)
    shown, wanted = setting(at, second, key, "T")
    assert shown == wanted and not at.exception


def test_a_step_entered_again_applies_its_settings_after_the_learner_moved_them(at):
    (first, second), = pairs("temperature")
    enter(at, first)
    at.session_state["temp.T"] = 3.0  # the learner moves T within the step
    at.run()
    assert float(at.session_state["temp.T"]) == 3.0  # a rerun within the step keeps it
    at.query_params.clear()  # elsewhere (the sidebar opens a page without the step's parameters), then the step again
    at.switch_page("app_pages/home.py").run()
    enter(at, first)
    shown, wanted = setting(at, first, "temp", "T")
    assert shown == wanted
