"""The class board's storage and rules, against SQLite and a real PostgreSQL."""
from __future__ import annotations

import csv
import io
import threading
import uuid

import pytest
from sqlalchemy import create_engine, inspect

from kdviz.board import Board, BoardError, BoardUnavailable, rules, summary
from kdviz.board.schema import LATEST, MIGRATIONS, migrate, version, version_table


class Clock:
    """A settable clock, so the rate limit and key expiry are tested without waiting."""

    def __init__(self, t: float = 1_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'board.sqlite'}"
    base = request.getfixturevalue("postgres_url")
    name = "b" + uuid.uuid4().hex[:12]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return base.replace("/postgres?", f"/{name}?")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def board(url, clock):
    return Board(url, clock=clock)


def post(board, code, session="s1", name="Ana", T="4", acc=0.8):
    return board.post(code, session, name, "live", {"T": T, "alpha": "0.1"}, {"kd_acc": acc, "gain": acc - 0.7})


def test_the_schema_is_created_on_first_use_and_migrations_run_once(url):
    engine = create_engine(url)
    assert migrate(engine) == 0
    assert migrate(engine) == LATEST
    with engine.connect() as conn:
        assert version(conn) == LATEST == MIGRATIONS[-1][0]
        assert conn.execute(version_table.select()).fetchall() == [(n,) for n, _, _ in MIGRATIONS]
    assert {"board_rooms", "board_posts"} <= set(inspect(engine).get_table_names())
    assert "board_posts_room_created" in {ix["name"] for ix in inspect(engine).get_indexes("board_posts")}


def test_a_database_at_an_older_version_is_migrated_forward(url):
    engine = create_engine(url)
    with engine.begin() as conn:  # a database created by the first release
        version_table.create(conn)
        MIGRATIONS[0][2](conn)
        conn.execute(version_table.insert().values(version=1))
    assert migrate(engine) == 1
    assert "board_posts_session_created" in {ix["name"] for ix in inspect(engine).get_indexes("board_posts")}


def test_a_room_holds_what_participants_post(board):
    code, key = board.create_room("Workshop")
    assert len(code) == rules.CODE_LENGTH and len(key) >= 12
    assert board.room(code.lower()).title == "Workshop"  # codes are typed case-insensitively
    post(board, code, name="Ana", T="4", acc=0.81)
    post(board, code, session="s2", name="<b>Bo</b>", T="8", acc=0.77)
    got = board.posts(code)
    assert [(p.name, p.settings["T"], p.numbers["kd_acc"]) for p in got] == [("Ana", "4", 0.81), ("<b>Bo</b>", "8", 0.77)]


def test_two_rooms_do_not_see_each_others_posts(board):
    a, _ = board.create_room("A")
    b, _ = board.create_room("B")
    post(board, a)
    assert len(board.posts(a)) == 1 and board.posts(b) == []


@pytest.mark.parametrize("name, message", [("", "Enter a display name"), ("x" * 31, "at most 30"),
                                           ("\u200b\n", "Enter a display name")])
def test_a_bad_display_name_is_refused_and_writes_nothing(board, name, message):
    code, _ = board.create_room("R")
    with pytest.raises(BoardError, match=message):
        post(board, code, name=name)
    assert board.posts(code) == []


def test_non_finite_or_too_many_numbers_are_refused(board):
    code, _ = board.create_room("R")
    with pytest.raises(BoardError, match="not finite"):
        board.post(code, "s", "Ana", "live", {}, {"kd_acc": float("nan")})
    with pytest.raises(BoardError, match="1 to 12 numbers"):
        board.post(code, "s", "Ana", "live", {}, {f"n{i}": 1 for i in range(13)})
    with pytest.raises(BoardError, match="at most 200"):
        board.post(code, "s", "Ana", "live", {"T": "9" * 201}, {"kd_acc": 1})
    assert board.posts(code) == []


def test_an_unknown_or_malformed_room_code_gets_a_message(board):
    with pytest.raises(BoardError, match="There is no room"):
        board.room("ABCDEF")
    with pytest.raises(BoardError, match="There is no room"):
        post(board, "ABCDEF")
    with pytest.raises(BoardError, match="6 letters and digits"):
        board.room("'; drop table board_rooms; --")


def test_a_locked_room_refuses_posts_until_unlocked(board):
    code, key = board.create_room("R")
    post(board, code)
    board.set_locked(code, key, True)
    assert board.room(code).locked
    with pytest.raises(BoardError, match="locked"):
        post(board, code, session="s2")
    assert len(board.posts(code)) == 1
    board.set_locked(code, key, False)
    post(board, code, session="s2")
    assert len(board.posts(code)) == 2


def test_the_rate_limit_refuses_a_flood_from_one_session_only(board, clock):
    code, _ = board.create_room("R")
    for i in range(rules.POSTS_PER_MINUTE):
        clock.t += 1
        post(board, code, acc=0.5 + i / 100)
    with pytest.raises(BoardError, match=f"at most {rules.POSTS_PER_MINUTE} posts a minute"):
        post(board, code)
    post(board, code, session="other", name="Bo")  # another participant is not slowed down
    assert len(board.posts(code)) == rules.POSTS_PER_MINUTE + 1
    clock.t += 61
    post(board, code)
    assert len(board.posts(code)) == rules.POSTS_PER_MINUTE + 2


def test_instructor_actions_need_the_key_and_it_expires(board, clock):
    code, key = board.create_room("R")
    other, other_key = board.create_room("R2")
    for action in (lambda k: board.set_locked(code, k, True), lambda k: board.clear(code, k),
                   lambda k: board.export_csv(code, k)):
        with pytest.raises(BoardError, match="does not open this room"):
            action("wrong")
        with pytest.raises(BoardError, match="does not open this room"):
            action(other_key)  # one room's key does not open another
    assert not board.room(code).locked
    clock.t += rules.KEY_HOURS * 3600 + 1
    with pytest.raises(BoardError, match="expired"):
        board.set_locked(code, key, True)


def test_clear_and_export(board):
    code, key = board.create_room("R")
    post(board, code, name="=HYPERLINK(\"x\")", T="2", acc=0.75)
    post(board, code, session="s2", name="Bo", T="8", acc=0.9)
    rows = list(csv.DictReader(io.StringIO(board.export_csv(code, key))))
    assert [(r["name"], r["setting:T"], float(r["kd_acc"])) for r in rows] == [
        ("'=HYPERLINK(\"x\")", "2", 0.75), ("Bo", "8", 0.9)]  # a formula is exported as text
    assert board.clear(code, key) == 2
    assert board.posts(code) == []


def test_thirty_sessions_posting_at_once_lose_nothing(url):
    board = Board(url)
    code, _ = board.create_room("R")
    start, errors = threading.Barrier(30), []

    def participant(i: int) -> None:
        try:
            start.wait()
            for j in range(3):
                board.post(code, f"session-{i}", f"p{i}", "live", {"T": str(i % 5 + 1)}, {"kd_acc": i + j / 10})
        except Exception as err:  # collected: a thread's exception would otherwise vanish
            errors.append(err)

    threads = [threading.Thread(target=participant, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    got = board.posts(code)
    assert sorted((p.name, p.numbers["kd_acc"]) for p in got) == sorted(
        (f"p{i}", i + j / 10) for i in range(30) for j in range(3))
    assert len({p.id for p in got}) == 90


@pytest.mark.parametrize("bad", ["postgresql+psycopg://nobody@/x?host=/nonexistent-socket-dir",
                                 "sqlite:////nonexistent-dir/board.sqlite"])
def test_an_unreachable_database_gives_a_message(bad):
    with pytest.raises(BoardUnavailable, match="unavailable right now"):
        Board(bad).create_room("R")


def test_a_malformed_url_gives_a_message_that_hides_it():
    with pytest.raises(BoardUnavailable, match="not configured correctly") as err:
        Board("nosuchdb://secret-password@host/x").room("ABCDEF")
    assert "secret-password" not in str(err.value)


def test_the_board_plots_a_setting_against_a_number_and_ranks_the_best_post_per_name(tmp_path):
    board = Board(f"sqlite:///{tmp_path / 'b.sqlite'}")
    code, _ = board.create_room("R")
    post(board, code, name="Ana", T="2", acc=0.7)
    post(board, code, name="Ana", T="4", acc=0.85)
    post(board, code, session="s2", name="Bo", T="8", acc=0.8)
    board.post(code, "s3", "Cy", "compare", {"T": "4"}, {"kd_acc": 0.99})  # another page: not on this board
    got = board.posts(code)
    assert summary.choices(got, "live") == (["T", "alpha"], ["gain", "kd_acc"])
    s = summary.scatter(got, "live", "T", "kd_acc")
    assert (s.x, s.y, s.names) == ([2.0, 4.0, 8.0], [0.7, 0.85, 0.8], ["Ana", "Ana", "Bo"])
    assert [(n, v) for n, v, _ in summary.leaderboard(got, "live", "kd_acc")] == [("Ana", 0.85), ("Bo", 0.8)]
