"""Lesson files: every lesson parses and opens cleanly; a broken lesson is reported, not shown."""
from __future__ import annotations

import pytest

from kdviz import lessons

GOOD = """
title = "T"
summary = "s"
[[steps]]
page = "temperature"
title = "one"
minutes = 2
settings = { T = "2" }
text = "read"
"""


def test_every_lesson_in_the_repository_parses_and_checks_clean():
    found = lessons.lessons()
    assert [lesson.name for lesson in found] == ["dark-knowledge-20", "which-paradigm", "language-models"]  # in Home's order
    for lesson in found:
        assert lessons.check(lesson) == [], lesson.name
        assert all(s.text and s.question for s in lesson.steps)
    assert found[0].minutes == 20
    assert sum(s.board for s in found[0].steps) >= 1  # the class-board moment
    assert {s.page for s in found[0].steps} == {"temperature", "live", "dark_knowledge"}


def test_a_step_url_carries_the_settings_and_the_lesson():
    lesson = lessons.parse("x", GOOD)
    assert lessons.step_url(lesson, 0, {"present": "1"}) == "temperature?T=2&lesson=x&step=1&present=1"


@pytest.mark.parametrize("change, problem", [
    (('page = "temperature"', 'page = "nowhere"'), "no page 'nowhere'"),
    (('{ T = "2" }', '{ Tee = "2" }'), "temperature has no setting 'Tee'"),
    (('{ T = "2" }', '{ T = "999" }'), "Ignored the link's value T='999'"),
    (('text = "read"', 'text = "read"\nshow = ["nope"]'), "has no control 'nope'"),
])
def test_check_names_what_would_not_open_cleanly(change, problem):
    lesson = lessons.parse("x", GOOD.replace(*change))
    assert any(problem in p for p in lessons.check(lesson)), lessons.check(lesson)


@pytest.mark.parametrize("text, message", [("title = ", "TOMLDecodeError"), ('title = "t"', "KeyError"),
                                           (GOOD.replace("minutes = 2", 'minutes = "two"'), "ValueError")])
def test_a_malformed_lesson_file_raises_a_message_naming_it(text, message):
    with pytest.raises(ValueError, match=f"lesson bad: {message}"):
        lessons.parse("bad", text)


def test_an_unknown_lesson_name_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no lesson called '../etc'"):
        lessons.load("../etc")
    (tmp_path / "a.toml").write_text(GOOD)
    with pytest.raises(ValueError, match="there are: a"):
        lessons.load("b", tmp_path)
