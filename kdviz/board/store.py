"""The class board's storage: rooms and posts in any SQLAlchemy database (SQLite in a file by default).

Every public method checks its input with kdviz.board.rules first (a refused action writes
nothing, and raises BoardError with its message) and turns a database failure into
BoardUnavailable, so a page can say "the board is unavailable" and the rest of the app keeps working.
"""
from __future__ import annotations

import csv
import functools
import hashlib
import hmac
import io
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from kdviz.board import rules
from kdviz.board.rules import BoardError, BoardUnavailable
from kdviz.board.schema import counters, migrate, passes, posts, rooms

DEFAULT_PATH = Path.home() / ".cache" / "kdviz" / "board.sqlite"


def default_url() -> str:
    """KDVIZ_BOARD_URL if set (any SQLAlchemy URL, e.g. postgresql+psycopg://...), else a SQLite file in the cache."""
    url = os.environ.get("KDVIZ_BOARD_URL")
    if url:
        return url
    DEFAULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_PATH}"


@dataclass(frozen=True)
class Room:
    """A room as participants see it."""

    code: str
    title: str
    locked: bool
    created: float
    version: int = 0  # moves on every post and clear: a board that drew this version is up to date
    replaced: int = 0  # posts dropped since the last clear to make space in the full room


@dataclass(frozen=True)
class Post:
    """One posted run: who, which page, its settings and its headline numbers."""

    id: int
    name: str
    page: str
    settings: dict[str, str]
    numbers: dict[str, float]
    created: float


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _unavailable(err: Exception) -> BoardUnavailable:
    """The message for a database failure: it names the error's kind, never the URL (which may hold a password)."""
    kind = type(getattr(err, "orig", None) or err).__name__
    return BoardUnavailable(f"The class board's database is unavailable right now ({kind}); "
                            "the rest of kdviz works as usual.")


def _guard(method):
    """Turn database errors of ``method`` into BoardUnavailable (BoardError passes through)."""
    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except SQLAlchemyError as err:
            raise _unavailable(err) from err
    return guarded


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cur.execute("PRAGMA busy_timeout=30000")  # writers wait for each other instead of failing
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Board:
    """Rooms and posts behind one SQLAlchemy URL; the schema is migrated on first use."""

    def __init__(self, url: str | None = None, *, clock=time.time):
        self.url = url or default_url()
        self.clock = clock
        self._engine: Engine | None = None
        self._lock = threading.Lock()  # one migration per process, however many sessions arrive at once

    @property
    def engine(self) -> Engine:
        """The engine, created and migrated on first use."""
        with self._lock:
            return self._engine or self._connect()

    def _connect(self) -> Engine:
        """Create the engine and migrate the schema (called once, under the lock)."""
        try:
            engine = create_engine(self.url, pool_pre_ping=True)
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
            migrate(engine)
        except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as err:  # a malformed URL, no driver
            raise BoardUnavailable("The class board is not configured correctly (KDVIZ_BOARD_URL: "
                                   f"{type(err).__name__}); the rest of kdviz works as usual.") from err
        except SQLAlchemyError as err:
            raise _unavailable(err) from err
        self._engine = engine
        return engine

    # ----------------------------------------------------------------------------- rooms
    @_guard
    def create_room(self, title: str) -> tuple[str, str]:
        """Create a room; return (code, instructor key). The key is shown once: only its hash is kept."""
        title = rules.clean_text(title, rules.TITLE_MAX, "room title")
        key = rules.new_key()
        for _ in range(20):
            code = rules.new_code()
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(rooms).values(code=code, title=title, key_hash=_hash(key),
                                                      created=self.clock(), locked=False))
                    conn.execute(insert(counters).values(room=code, version=0, replaced=0))
                return code, key
            except IntegrityError:
                continue  # that code is taken: draw another
        raise BoardError("Could not find a free room code; try again.")

    @_guard
    def room(self, code: str) -> Room:
        """The room with this code, its version included (one lookup by key); BoardError if there is none."""
        code = rules.clean_code(code)
        with self.engine.connect() as conn:
            row = conn.execute(select(rooms, func.coalesce(counters.c.version, 0).label("version"),
                                      func.coalesce(counters.c.replaced, 0).label("replaced"))
                               .join_from(rooms, counters, isouter=True).where(rooms.c.code == code)).mappings().first()
        if row is None:
            raise BoardError(f"There is no room {code}: check the code with your instructor.")
        return Room(row["code"], row["title"], bool(row["locked"]), row["created"], row["version"], row["replaced"])

    def _instructor(self, conn, code: str, key: str) -> str:
        """Check ``key`` for room ``code``: its instructor key or a pass issued for it (``instructor_pass``);
        return the cleaned code."""
        code = rules.clean_code(code)
        row = conn.execute(select(rooms.c.key_hash, rooms.c.created).where(rooms.c.code == code)).first()
        given = _hash(str(key).strip())
        if row is None or not (hmac.compare_digest(row.key_hash, given) or conn.execute(
                select(passes.c.room).where(passes.c.pass_hash == given, passes.c.room == code)).first()):
            raise BoardError("That instructor key does not open this room.")
        if self.clock() - row.created > rules.KEY_HOURS * 3600:
            raise BoardError(f"This room's instructor key has expired (keys last {rules.KEY_HOURS:g} hours): "
                             "create a new room.")
        return code

    @_guard
    def instructor_pass(self, code: str, key: str) -> str:
        """A new pass to room ``code``'s instructor rights, for its key (or another pass): an opaque random token a
        browser may keep instead of the key. It opens only this room, ends with the key, and ``drop_pass`` revokes it."""
        token = rules.new_pass()
        with self.engine.begin() as conn:
            code = self._instructor(conn, code, key)
            conn.execute(insert(passes).values(pass_hash=_hash(token), room=code, created=self.clock()))
        return token

    @_guard
    def check_instructor(self, code: str, key: str) -> str:
        """The room's cleaned code when ``key`` (its key or a pass) still opens it; BoardError otherwise."""
        with self.engine.connect() as conn:
            return self._instructor(conn, code, key)

    @_guard
    def drop_pass(self, token: str) -> None:
        """Revoke an instructor pass (nothing happens for an unknown one)."""
        with self.engine.begin() as conn:
            conn.execute(delete(passes).where(passes.c.pass_hash == _hash(str(token).strip())))

    @_guard
    def set_locked(self, code: str, key: str, locked: bool) -> None:
        """Lock (no more posts) or unlock a room: instructor only."""
        with self.engine.begin() as conn:
            code = self._instructor(conn, code, key)
            conn.execute(update(rooms).where(rooms.c.code == code).values(locked=bool(locked)))

    @_guard
    def clear(self, code: str, key: str) -> int:
        """Delete every post of a room: instructor only. Returns how many were deleted."""
        with self.engine.begin() as conn:
            code = self._instructor(conn, code, key)
            conn.execute(update(counters).where(counters.c.room == code).values(version=counters.c.version + 1,
                                                                                replaced=0))
            return conn.execute(delete(posts).where(posts.c.room == code)).rowcount

    @_guard
    def export_csv(self, code: str, key: str) -> str:
        """The room's posts as CSV (one row per post, a column per setting and number): instructor only."""
        with self.engine.connect() as conn:
            self._instructor(conn, code, key)
        rows = self.posts(code)
        setting_keys = sorted({k for p in rows for k in p.settings})
        number_keys = sorted({k for p in rows for k in p.numbers})
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["time", "name", "page", *number_keys, *(f"setting:{k}" for k in setting_keys)])
        for p in rows:
            writer.writerow([time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(p.created)), _cell(p.name), p.page,
                             *(p.numbers.get(k, "") for k in number_keys),
                             *(_cell(p.settings.get(k, "")) for k in setting_keys)])
        return out.getvalue()

    # ----------------------------------------------------------------------------- posts
    @_guard
    def post(self, code: str, session: str, name: str, page: str, settings: dict, numbers: dict) -> int:
        """Add one run's result to a room; return the post's id.

        Refused (BoardError, nothing written) for an unknown or locked room, a bad name or values, a name
        or browser session that posted POSTS_PER_MINUTE times in the last minute, or a room that took
        ROOM_POSTS_PER_MINUTE posts in the last minute. The limits count posts in the database, so a
        new session, a reload or another server sharing the database does not reset them. A full room
        (ROOM_POSTS_MAX posts) drops the oldest post of the name holding the most posts to make space.
        """
        code = rules.clean_code(code)
        name = rules.clean_text(name, rules.NAME_MAX, "display name")
        page = rules.clean_text(page, 40, "page name")
        settings, numbers = rules.clean_settings(settings), rules.clean_numbers(numbers)
        session = rules.clean_text(session, 64, "session id")
        now = self.clock()
        with self.engine.begin() as conn:
            # A write first: it takes the room's row lock (PostgreSQL) or the database's write lock (SQLite)
            # before anything is counted, so two posts at once cannot both pass a limit. A refusal below
            # rolls the version back with everything else.
            self._bump(conn, code)
            if conn.execute(select(rooms.c.locked).where(rooms.c.code == code)).scalar():
                raise BoardError(f"Room {code} is locked: the instructor has closed it to new posts.")
            self._check_rates(conn, code, session, name, now)
            self._make_space(conn, code)
            result = conn.execute(insert(posts).values(
                room=code, session=session, name=name, page=page, settings=json.dumps(settings),
                numbers=json.dumps(numbers), created=now))
            return int(result.inserted_primary_key[0])

    @staticmethod
    def _bump(conn, code: str) -> None:
        """Move room ``code``'s version on (BoardError if there is no such room)."""
        if conn.execute(update(counters).where(counters.c.room == code)
                        .values(version=counters.c.version + 1)).rowcount:
            return
        if conn.execute(select(rooms.c.code).where(rooms.c.code == code)).first() is None:
            raise BoardError(f"There is no room {code}: check the code with your instructor.")
        conn.execute(insert(counters).values(room=code, version=1, replaced=0))  # a room made without its row

    @staticmethod
    def _check_rates(conn, code: str, session: str, name: str, now: float) -> None:
        """BoardError if this name in this room or this session, or the room as a whole, posted too often
        in the last minute (each count is one indexed range)."""
        def recent(*where) -> int:
            return conn.execute(select(func.count()).select_from(posts).where(posts.c.created > now - 60,
                                                                               *where)).scalar()

        yours = max(recent(posts.c.room == code, posts.c.name == name), recent(posts.c.session == session))
        if yours >= rules.POSTS_PER_MINUTE:
            raise BoardError(f"You posted {yours} times in the last minute; at most {rules.POSTS_PER_MINUTE} "
                             "posts a minute are allowed for each name. Wait a little and post again.")
        everyone = recent(posts.c.room == code)
        if everyone >= rules.ROOM_POSTS_PER_MINUTE:
            raise BoardError(f"Room {code} took {everyone} posts in the last minute, the most a room takes "
                             f"({rules.ROOM_POSTS_PER_MINUTE} a minute). Wait a little and post again.")

    @staticmethod
    def _make_space(conn, code: str) -> None:
        """If room ``code`` holds ROOM_POSTS_MAX posts, drop the oldest post of the name that holds the most
        (of those, the name with the oldest post), so the next post fits and a flood replaces its own posts."""
        total = conn.execute(select(func.count()).select_from(posts).where(posts.c.room == code)).scalar()
        over = total - rules.ROOM_POSTS_MAX + 1
        for _ in range(max(over, 0)):
            busiest = conn.execute(select(posts.c.name).where(posts.c.room == code).group_by(posts.c.name)
                                   .order_by(func.count().desc(), func.min(posts.c.id)).limit(1)).scalar()
            oldest = select(func.min(posts.c.id)).where(posts.c.room == code, posts.c.name == busiest)
            conn.execute(delete(posts).where(posts.c.id == oldest.scalar_subquery()))
        if over > 0:
            conn.execute(update(counters).where(counters.c.room == code)
                         .values(replaced=counters.c.replaced + over))

    @_guard
    def posts(self, code: str) -> list[Post]:
        """Every post of a room, oldest first (BoardError if the room does not exist)."""
        code = self.room(code).code
        with self.engine.connect() as conn:
            rows = conn.execute(select(posts).where(posts.c.room == code).order_by(posts.c.id)).mappings().all()
        return [Post(r["id"], r["name"], r["page"], json.loads(r["settings"]), json.loads(r["numbers"]), r["created"])
                for r in rows]


def _cell(text: str) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    s = str(text)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s
