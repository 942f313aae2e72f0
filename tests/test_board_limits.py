"""The class board under hostile input: rate limits that come from the database (per name in a room, per room,
whatever the session or server), a full room that still takes an honest post, and a refresh of an unchanged
room that rebuilds nothing, against SQLite and a real PostgreSQL."""
from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from sqlalchemy import create_engine, insert, inspect, select

from kdviz.board import Board, BoardError, rules, schema, summary
from kdviz.board.schema import MIGRATIONS, migrate, posts, rooms, version_table
from kdviz.board.store import Post
from tests.conftest import charts
from tests.test_board import Clock, clock, url  # noqa: F401  (fixtures: a fresh database of each kind, a clock)


def post(board: Board, code: str, name: str, session: str | None = None, T: str = "4", acc: float = 0.8) -> int:
    return board.post(code, session or f"session-of-{name}", name, "live", {"T": T}, {"kd_acc": acc})


def names_in(board: Board, code: str) -> list[str]:
    return [p.name for p in board.posts(code)]


def bulk(url: str, code: str, rows: list[tuple[str, float]], start: float) -> None:
    """Write posts (name, kd_acc) straight into the database in one transaction, one second apart from ``start``."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(posts), [dict(room=code, session=f"bulk-{name}", name=name, page="live",
                                          settings=json.dumps({"T": str(1 + i % 8)}),
                                          numbers=json.dumps({"kd_acc": acc}), created=start + i)
                                     for i, (name, acc) in enumerate(rows)])
    engine.dispose()


def test_the_name_limit_holds_across_sessions_and_two_stores_on_one_database(url, clock):
    a, b = Board(url, clock=clock), Board(url, clock=clock)  # two servers sharing the database
    code, _ = a.create_room("R")
    for i in range(rules.POSTS_PER_MINUTE):  # every post from a new session: a reload, a new browser
        clock.t += 1
        post(a if i % 2 else b, code, "Ana", session=f"reload-{i}")
    with pytest.raises(BoardError, match=f"at most {rules.POSTS_PER_MINUTE} posts a minute"):
        post(b, code, "Ana", session="yet-another-session")
    post(b, code, "Bo")  # another name is not slowed down
    other, _ = b.create_room("Other")
    post(a, other, "Ana", session="fresh")  # the limit is per room
    clock.t += 61
    post(b, code, "Ana", session="later")
    assert names_in(a, code).count("Ana") == rules.POSTS_PER_MINUTE + 1


def test_the_room_limit_holds_against_many_names_on_two_stores(url, clock):
    a, b = Board(url, clock=clock), Board(url, clock=clock)
    code, _ = a.create_room("R")
    other, _ = a.create_room("Other")
    clock.t += 1
    for i in range(rules.ROOM_POSTS_PER_MINUTE):  # a new name for every post: no name reaches its own limit
        post(a if i % 2 else b, code, f"n{i}")
    with pytest.raises(BoardError, match=f"Room {code} took {rules.ROOM_POSTS_PER_MINUTE} posts in the last minute"):
        post(b, code, "Honest")
    post(a, other, "Honest")  # another room is not slowed down
    clock.t += 61
    post(b, code, "Honest")
    assert len(a.posts(code)) == rules.ROOM_POSTS_PER_MINUTE + 1


def test_posts_of_one_name_at_once_from_two_stores_pass_the_limit_exactly(url):
    stores = [Board(url), Board(url)]
    code, _ = stores[0].create_room("R")
    tries = 2 * rules.POSTS_PER_MINUTE
    start, accepted, refused, errors = threading.Barrier(tries), [], [], []

    def participant(i: int) -> None:
        start.wait()
        try:
            accepted.append(post(stores[i % 2], code, "Ana", session=f"s{i}"))
        except BoardError as err:
            refused.append(str(err))
        except Exception as err:  # collected: a thread's exception would otherwise vanish
            errors.append(err)

    threads = [threading.Thread(target=participant, args=(i,)) for i in range(tries)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(accepted) == rules.POSTS_PER_MINUTE and len(refused) == tries - rules.POSTS_PER_MINUTE
    assert len(stores[1].posts(code)) == rules.POSTS_PER_MINUTE


def test_a_full_room_takes_a_new_names_post_and_drops_the_floods_oldest(url, clock):
    board = Board(url, clock=clock)
    code, key = board.create_room("R")
    honest = [("Ana", 0.9)] * 10
    flood = [("Flood", 0.1)] * (rules.ROOM_POSTS_MAX - len(honest))
    bulk(url, code, honest + flood, start=clock.t - 5000)  # a room filled to ROOM_POSTS_MAX
    first_flood = min(p.id for p in board.posts(code) if p.name == "Flood")
    clock.t += 1
    post(board, code, "Bo")
    got = board.posts(code)
    assert len(got) == rules.ROOM_POSTS_MAX
    assert [n for n in names_in(board, code) if n != "Flood"] == ["Ana"] * 10 + ["Bo"]  # nobody else lost a post
    assert first_flood not in {p.id for p in got}  # the flood gave way, oldest first
    assert board.room(code).replaced == 1
    board.clear(code, key)
    assert board.room(code).replaced == 0


def test_among_names_that_hold_as_many_posts_the_oldest_post_goes(url, clock):
    board = Board(url, clock=clock)
    code, _ = board.create_room("R")
    rows = [(f"n{i % 500}", 0.5) for i in range(rules.ROOM_POSTS_MAX)]  # 500 names of 4 posts each
    bulk(url, code, rows, start=clock.t - 5000)
    oldest = min(p.id for p in board.posts(code))
    clock.t += 1
    post(board, code, "Newcomer")
    got = board.posts(code)
    assert len(got) == rules.ROOM_POSTS_MAX and oldest not in {p.id for p in got}
    assert got[-1].name == "Newcomer"


def test_an_older_database_is_migrated_to_room_versions(url, clock):
    engine = create_engine(url)
    with engine.begin() as conn:  # a database of the release before room versions, with a room and a post
        version_table.create(conn)
        for number, _, step in MIGRATIONS[:2]:
            step(conn)
            conn.execute(version_table.insert().values(version=number))
        conn.execute(insert(rooms).values(code="ABCDEF", title="Old", key_hash="x" * 64, created=clock.t, locked=False))
    bulk(url, "ABCDEF", [("Ana", 0.7)], start=clock.t)
    assert migrate(engine) == 2
    assert "board_posts_room_name_created" in {ix["name"] for ix in inspect(engine).get_indexes("board_posts")}
    with engine.connect() as conn:
        c = schema.counters.c
        assert conn.execute(select(c.room, c.version, c.replaced)).all() == [("ABCDEF", 0, 0)]
    board = Board(url, clock=clock)
    assert board.room("ABCDEF").version == 0
    clock.t += 1
    post(board, "ABCDEF", "Bo")
    assert board.room("ABCDEF").version == 1 and names_in(board, "ABCDEF") == ["Ana", "Bo"]


def test_an_unchanged_room_is_not_rebuilt_and_a_change_is(url, clock, monkeypatch):
    board, other = Board(url, clock=clock), Board(url, clock=clock)
    code, key = board.create_room("R")
    post(board, code, "Ana", acc=0.7)
    reads = []
    real_posts = board.posts
    monkeypatch.setattr(board, "posts", lambda c: reads.append(c) or real_posts(c))  # a spy on every full read
    now = Clock(0.0)
    shared = summary.Summaries(rebuild_s=2.0, clock=now)
    room, first = shared.get(board, code, "live")
    for _ in range(5):  # five refreshes of viewers, nothing posted
        now.t += 3
        assert shared.get(board, code, "live")[1] is first
    assert len(reads) == 1 and room.version == first.version == 1
    post(other, code, "Bo", acc=0.9)  # posted through another server
    now.t += 3
    room, second = shared.get(board, code, "live")
    assert len(reads) == 2 and second.version == room.version == 2
    assert [n for n, _, _ in second.leaderboard("kd_acc")] == ["Bo", "Ana"]
    post(other, code, "Cy", acc=0.8)
    now.t += 1  # within rebuild_s of the last build: the kept board is shown, the room's header is fresh
    room, kept = shared.get(board, code, "live")
    assert kept is second and room.version == 3 and len(reads) == 2
    now.t += 2
    board.clear(code, key)
    assert shared.get(board, code, "live")[1].total == 0 and len(reads) == 3


def test_a_large_room_draws_the_newest_posts_and_the_mean_of_all_per_value():
    rng = np.random.default_rng(0)
    n = 3 * summary.MAX_DOTS
    Ts = rng.integers(1, 9, n)
    accs = rng.random(n)
    got = [Post(i, f"p{i}", "live", {"T": str(t)}, {"kd_acc": float(a)}, 0.0) for i, (t, a) in enumerate(zip(Ts, accs))]
    got.append(Post(n, "odd", "live", {"T": "nan"}, {"kd_acc": 0.5}, 0.0))  # not a finite setting: not drawn
    s = summary.scatter(got, "live", "T", "kd_acc")
    assert s.total == n and len(s.x) == summary.MAX_DOTS
    assert s.names == [f"p{i}" for i in range(n - summary.MAX_DOTS, n)]
    by_t = {t: [a for tt, a in zip(Ts, accs) if tt == t] for t in sorted(set(Ts.tolist()))}
    assert s.means.x == [float(t) for t in by_t] and s.means.n == [len(v) for v in by_t.values()]
    assert s.means.y == pytest.approx([sum(v) / len(v) for v in by_t.values()], rel=1e-12)


def test_a_setting_with_many_values_is_averaged_in_at_most_max_groups_bins():
    x = np.linspace(0.0, 1.0, 1000)
    m = summary.means(x, 2 * x)
    assert len(m.x) == summary.MAX_GROUPS and sum(m.n) == 1000
    assert m.y == pytest.approx([2 * v for v in m.x], rel=1e-12)  # y = 2x holds for each bin's means too
    one = summary.means(np.full(5, 3.0), np.arange(5.0))  # every post at one value: one group, no bins
    assert (one.x, one.y, one.n) == ([3.0], [2.0], [5])


def test_the_board_page_draws_a_full_room_bounded_and_says_its_limits(page_test, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'board.sqlite'}"
    monkeypatch.setenv("KDVIZ_BOARD_URL", url)
    board = Board(url)
    code, _ = board.create_room("Big")
    bulk(url, code, [(f"p{i % 100}", 0.5 + i / 10_000) for i in range(rules.ROOM_POSTS_MAX)], start=1000.0)
    from ui.board import SUMMARIES

    at = page_test("app_pages/board.py")
    at.session_state["board.room"], at.session_state["board.name"] = code, "viewer"
    at.run()
    assert not at.exception and not at.error
    (fig,) = charts(at)
    assert len(fig["data"][0]["x"]) == summary.MAX_DOTS and sum(fig["data"][1]["customdata"]) == rules.ROOM_POSTS_MAX
    assert any(rules.policy() in c.value for c in at.caption)
    builds = SUMMARIES.builds
    at.run()  # the next refresh of the unchanged room
    assert SUMMARIES.builds == builds and len(charts(at)) == 1
