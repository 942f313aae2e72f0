"""Presenter mode on a lesson step, in AppTest: the step's controls drawn in sight and nothing else folded above the
page's figures; the same page outside presenter mode keeps its settings expander and its upload."""
from __future__ import annotations

import urllib.parse

import pytest

from kdviz import lessons

FOLDED_ABOVE = {"Settings", "Your own data (CSV)"}  # expanders a training page draws above its figures


def step_query(name: str, index: int) -> dict[str, str]:
    """The URL parameters of step ``index`` (0-based) of lesson ``name``."""
    return dict(urllib.parse.parse_qsl(lessons.step_url(lessons.load(name), index).split("?")[1]))


@pytest.mark.parametrize("name, index", [("dark-knowledge-20", 2), ("which-paradigm", 0)])
def test_a_presented_step_draws_only_its_controls_and_outside_the_settings_expander(page_test, name, index):
    step = lessons.load(name).steps[index]
    plain = page_test(f"app_pages/{step.page}.py", **step_query(name, index))
    assert FOLDED_ABOVE <= {e.label for e in plain.expander}  # not presenting: as it was
    at = page_test(f"app_pages/{step.page}.py", **step_query(name, index), present="1")
    assert not at.exception
    assert not FOLDED_ABOVE & {e.label for e in at.expander}
    prefix = {"live": "live", "compare": "compare"}[step.page]
    drawn = {w.key for kind in ("slider", "number_input", "text_input", "selectbox", "select_slider", "checkbox")
             for w in at.get(kind) if w.key and w.key.startswith(prefix + ".")}
    assert drawn == {f"{prefix}.{c}" for c in step.show}


def test_a_presented_step_folds_its_text_under_its_title_and_keeps_the_question_in_sight(page_test):
    lesson = lessons.load("dark-knowledge-20")
    step = lesson.steps[2]
    at = page_test("app_pages/live.py", **step_query(lesson.name, 2), present="1")
    (box,) = [e for e in at.expander if e.label == f"**{step.title}**"]
    assert step.text in "\n".join(m.value for m in box.markdown) and "Class board" in box.markdown[0].value
    assert any(m.value == f"**Question:** {step.question}" for m in at.markdown)
    plain = page_test("app_pages/live.py", **step_query(lesson.name, 2))  # not presenting: the text in sight
    assert f"**{step.title}**" not in {e.label for e in plain.expander}
    assert any(step.text in m.value for m in plain.markdown)
