"""The Board page in AppTest: create a room, join it, post from Live training, lock, and a database that is down."""
from __future__ import annotations

import pytest

from kdviz.board import Board
from tests.conftest import charts


@pytest.fixture
def board_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'board.sqlite'}"
    monkeypatch.setenv("KDVIZ_BOARD_URL", url)
    return url


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def shown_keys(at) -> list[str]:
    """The instructor keys on the page (code boxes other than the Copy link box)."""
    return [c.value for c in at.code if "board" not in c.value]


def create_room(at):
    at.button(key="board.create").click().run()
    code = at.session_state["board.manage"]
    assert any(code in s.value for s in at.success)
    (key,) = shown_keys(at)  # the instructor key, shown once
    return code, key


def test_an_instructor_creates_a_room_and_sees_the_key_once(page_test, board_url):
    at = page_test("app_pages/board.py")
    assert not at.exception
    code, key = create_room(at)
    assert Board(board_url).export_csv(code, key).startswith("time,name,page")  # the shown key is the real one
    at.run()
    assert shown_keys(at) == []  # not shown again
    assert any("No runs posted yet" in i.value for i in at.info)


def test_a_participant_joins_and_the_board_draws_the_class_posts(page_test, board_url):
    b = Board(board_url)
    code, _ = b.create_room("Workshop")
    for i, (T, acc) in enumerate([(2, 0.7), (4, 0.85), (8, 0.8)]):
        b.post(code, f"s{i}", f"<i>p{i}</i>", "live", {"T": str(T), "alpha": "0.1"}, {"kd_acc": acc, "gain": 0.1})
    at = page_test("app_pages/board.py")
    at.text_input(key="board.join_code").input(code.lower())
    at.text_input(key="board.join_name").input("Ana")
    at.button(key="board.join_button").click().run()
    assert not at.exception and not at.error
    assert at.session_state["board.room"] == code
    (fig,) = charts(at)
    assert fig["data"][0]["x"] == [2.0, 4.0, 8.0] and fig["data"][0]["y"] == pytest.approx([70, 85, 80])  # percent
    assert fig["data"][0]["hovertext"][0] == "&lt;i&gt;p0&lt;/i&gt;"  # typed names are escaped
    assert list(at.dataframe[0].value["name"]) == ["<i>p1</i>", "<i>p2</i>", "<i>p0</i>"]


def test_a_bad_code_gets_a_message_and_joins_nothing(page_test, board_url):
    at = page_test("app_pages/board.py")
    at.text_input(key="board.join_code").input("ZZZZ99")
    at.text_input(key="board.join_name").input("Ana")
    at.button(key="board.join_button").click().run()
    assert not at.exception
    assert "There is no room ZZZZ99" in at.error[0].value
    assert "board.room" not in at.session_state


def test_the_instructor_locks_the_room_and_a_post_is_refused(page_test, board_url):
    at = page_test("app_pages/board.py")
    code, key = create_room(at)
    at.button(key="board.lock").click().run()
    assert Board(board_url).room(code).locked
    assert any("Room locked" in s.value for s in at.success)


def test_an_unavailable_database_shows_a_message_and_the_page_works(page_test, monkeypatch):
    monkeypatch.setenv("KDVIZ_BOARD_URL", "sqlite:////nonexistent-dir/board.sqlite")
    at = page_test("app_pages/board.py")
    at.button(key="board.create").click().run()
    assert not at.exception
    assert "unavailable right now" in at.warning[0].value
    assert at.title[0].value == "Class board"
