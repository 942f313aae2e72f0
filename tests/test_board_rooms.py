"""A workshop's rooms over a session: the instructor's managed room and the participant's membership survive
visits to other pages; an instructor pass stands in for the key; each participant trains on their own seed;
the board's axes speak words and percent; Enter in the room title creates the room."""
from __future__ import annotations

import pytest

from kdviz.board import Board, BoardError, rules
from kdviz.board.headlines import live as live_numbers
from kdviz.board.summary import Scatter
from kdviz.experiments import live
from kdviz.plots.board import class_scatter
from tests.test_app_board import board_url, markdown  # noqa: F401  (board_url is a fixture)


class Clock:
    def __init__(self):
        self.t = 1_000_000.0

    def __call__(self):
        return self.t


# ----------------------------------------------------------------------------- instructor passes
def test_an_instructor_pass_opens_only_its_room_until_revoked_or_the_key_expires(tmp_path):
    clock = Clock()
    b = Board(f"sqlite:///{tmp_path / 'b.sqlite'}", clock=clock)
    (code, key), (other, _) = b.create_room("A"), b.create_room("B")
    token = b.instructor_pass(code, key)
    assert key not in token and len(token) >= 40  # opaque and unguessable, not the key
    b.set_locked(code, token, True)
    assert b.room(code).locked and b.check_instructor(code.lower(), token) == code
    with pytest.raises(BoardError, match="does not open"):
        b.set_locked(other, token, True)  # another room: refused
    with pytest.raises(BoardError, match="does not open"):
        b.instructor_pass(code, "wrong")
    b.drop_pass(token)
    with pytest.raises(BoardError, match="does not open"):
        b.check_instructor(code, token)
    later = b.instructor_pass(code, key)
    clock.t += rules.KEY_HOURS * 3600 + 1
    with pytest.raises(BoardError, match="expired"):
        b.check_instructor(code, later)  # a pass ends with the key


# ----------------------------------------------------------------------------- across pages
def test_the_managed_room_stays_after_visiting_other_pages(page_test, board_url):
    at = page_test("app_pages/board.py")
    at.button(key="board.create").click().run()
    code = at.session_state["board.manage"]
    assert any(code in s.value for s in at.success)
    for page in ("app_pages/home.py", "app_pages/temperature.py", "app_pages/board.py"):
        at.switch_page(page).run()
        assert not at.exception
    assert "board.lock" in [b.key for b in at.button]  # the instructor controls are still there
    assert f"You manage room **{code}**" in markdown(at)
    at.button(key="board.lock").click().run()  # the controls still work, without typing the key again
    assert Board(board_url).room(code).locked
    assert not at.expander[0].proto.expanded  # "Create a room" folds away once a room is managed


def test_enter_in_the_room_title_creates_the_room_and_create_stays_open_before(page_test, board_url):
    at = page_test("app_pages/board.py")
    at.run()  # a rerun, as Enter in a text box makes
    assert at.expander[0].proto.expanded  # "Create a room" stays open while nothing is managed
    assert at.button(key="board.create").proto.form_id  # a form: Enter in the title submits it
    at.text_input(key="board.title").input("Tuesday")
    at.button(key="board.create").click().run()
    assert Board(board_url).room(at.session_state["board.manage"]).title == "Tuesday"


def test_an_instructor_manages_a_room_with_its_key_and_stops(page_test, board_url):
    code, key = Board(board_url).create_room("Class")
    at = page_test("app_pages/board.py")
    at.text_input(key="board.manage_code").input(code.lower())
    at.text_input(key="board.manage_key").input("wrong")
    at.button(key="board.manage_button").click().run()
    assert "does not open this room" in at.error[0].value and "board.manage" not in at.session_state
    at.text_input(key="board.manage_key").input(key)
    at.button(key="board.manage_button").click().run()
    assert at.session_state["board.manage"] == code and at.session_state["board.key"] != key  # a pass, not the key
    token = at.session_state["board.key"]
    at.button(key="board.stop").click().run()
    assert "board.manage" not in at.session_state
    with pytest.raises(BoardError):
        Board(board_url).check_instructor(code, token)  # revoked


# ----------------------------------------------------------------------------- own seeds
def join(at, code: str, name: str):
    at.text_input(key="board.join_code").input(code)
    at.text_input(key="board.join_name").input(name)
    at.button(key="board.join_button").click().run()
    assert at.session_state["board.room"] == code


def test_a_participant_trains_on_their_own_seed_which_is_shown(page_test, board_url):
    code, _ = Board(board_url).create_room("Class")
    seeds = {}
    for name in ("Ana", "Ben"):
        at = page_test("app_pages/live.py")  # visited before joining: the page's seed is the default
        assert at.number_input(key="live.seed").value == 0
        at.switch_page("app_pages/board.py").run()
        join(at, code, name)
        at.switch_page("app_pages/live.py").run()
        assert not at.exception
        seeds[name] = at.number_input(key="live.seed").value
        assert any(f"Your seed: **{seeds[name]}**" in c.value for c in at.caption)
        assert seeds[name] == rules.participant_seed(code, name)
        assert at.query_params["seed"] == str(seeds[name])  # and in the link the page writes
    assert seeds["Ana"] != seeds["Ben"]


def test_a_link_that_names_a_seed_keeps_it_in_a_room(board_url):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APP

    code, _ = Board(board_url).create_room("Class")
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.session_state["board.room"], at.session_state["board.name"] = code, "Ana"  # joined before
    at.query_params["seed"] = "7"
    at.switch_page("app_pages/live.py").run()
    assert at.number_input(key="live.seed").value == 7
    assert any("your own seed in room" in c.value for c in at.caption)


def test_two_participants_with_the_same_settings_post_different_numbers():
    code = "K7PQ2M"
    seeds = [rules.participant_seed(code, name) for name in ("Ana", "Ben")]
    assert seeds[0] != seeds[1]
    posted = []
    for seed in seeds:
        cfg = live.LiveConfig(n=400, steps=100, seeds=1, seed=seed)
        final = list(live.run(cfg))[-1]
        posted.append(live_numbers(live.summarise(final, cfg.omit)))
    assert posted[0] != posted[1]  # the same settings, another seed: the class sees a spread


# ----------------------------------------------------------------------------- words and percent
def test_the_board_axes_are_words_and_percent():
    from kdviz.board.headlines import quantity

    fig = class_scatter(Scatter([2.0, 4.0], [0.7, 0.855], ["a", "b"], 2), quantity("live", "T"),
                        quantity("live", "kd_acc")).to_plotly_json()
    assert fig["layout"]["xaxis"]["title"]["text"] == "Temperature T"
    assert fig["layout"]["yaxis"]["title"]["text"] == "KD student test accuracy (%)"
    assert fig["layout"]["yaxis"]["ticksuffix"] == "%"
    assert fig["data"][0]["y"] == pytest.approx([70.0, 85.5])
    assert quantity("live", "gain").title == "KD student's gain over the baseline (pts)"
    assert quantity("live", "unknown").title == "unknown"  # an older post's name stays as it was


def test_in_a_room_a_lesson_step_keeps_its_settings_and_the_participants_own_seed(board_url):
    from streamlit.testing.v1 import AppTest

    from kdviz import lessons
    from tests.conftest import APP

    lesson = lessons.load("dark-knowledge-20")
    code, _ = Board(board_url).create_room("Class")
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.session_state["board.room"], at.session_state["board.name"] = code, "Ana"
    own = rules.participant_seed(code, "Ana")
    for index in [i for i, step in enumerate(lesson.steps) if step.page == "live"]:
        if "live.seed" in at.session_state:  # the participant moved the seed during the step before
            at.number_input(key="live.seed").set_value(5).run()
        at.query_params.clear()
        at.query_params.update(lessons.step_params(lesson, index))
        at.switch_page("app_pages/live.py").run()
        assert not at.exception
        assert float(at.session_state["live.T"]) == float(lesson.steps[index].settings["T"])  # what the class compares
        assert at.session_state["live.seed"] == own  # each entry of a step: the participant's own seed again
