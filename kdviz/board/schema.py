"""The class board's tables and their explicit migrations.

The schema is versioned: ``board_schema`` holds the version a database is at, and ``migrate``
applies, in order and each in its own transaction, the steps in MIGRATIONS above it. A new
column or index is a new step appended to MIGRATIONS; a step is never edited once released.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (Boolean, Column, Connection, Engine, Float, ForeignKey, Integer, MetaData, String,
                        Table, Text, func, insert, literal, select)

metadata = MetaData()

version_table = Table("board_schema", metadata, Column("version", Integer, nullable=False))

rooms = Table(
    "board_rooms", metadata,
    Column("code", String(12), primary_key=True),
    Column("title", String(80), nullable=False),
    Column("key_hash", String(64), nullable=False),  # sha256 of the instructor key; the key itself is never stored
    Column("created", Float, nullable=False),  # seconds since the epoch
    Column("locked", Boolean, nullable=False, default=False),
)

posts = Table(
    "board_posts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("room", String(12), ForeignKey("board_rooms.code", ondelete="CASCADE"), nullable=False),
    Column("session", String(64), nullable=False),  # the posting browser session (rate limit)
    Column("name", String(40), nullable=False),  # the display name the participant chose
    Column("page", String(40), nullable=False),
    Column("settings", Text, nullable=False),  # JSON: the run's settings as URL parameters
    Column("numbers", Text, nullable=False),  # JSON: the run's headline numbers, computed by the app
    Column("created", Float, nullable=False),
)

counters = Table(  # created by step 3: one row per room, written in the transaction of every change to its posts
    "board_room_counters", metadata,
    Column("room", String(12), ForeignKey("board_rooms.code", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, nullable=False, default=0),  # +1 on every post and every clear of the room
    Column("replaced", Integer, nullable=False, default=0),  # posts dropped to make space since the last clear
)

passes = Table(  # created by step 4: a browser's opaque pass to a room's instructor rights (kept in its cookie)
    "board_instructor_passes", metadata,
    Column("pass_hash", String(64), primary_key=True),  # sha256 of the pass; the pass itself is never stored
    Column("room", String(12), ForeignKey("board_rooms.code", ondelete="CASCADE"), nullable=False),
    Column("created", Float, nullable=False),
)


def _v1(conn: Connection) -> None:
    """Rooms and posts (the tables as declared above: a later step changes them with its own DDL)."""
    rooms.create(conn)
    posts.create(conn)


def _v2(conn: Connection) -> None:
    """Index posts by room and time: the board reads a room's posts, the rate limit a session's recent ones."""
    # plain DDL: an Index object would attach itself to the table and step 1 would then create it too
    conn.exec_driver_sql("CREATE INDEX board_posts_room_created ON board_posts (room, created)")
    conn.exec_driver_sql("CREATE INDEX board_posts_session_created ON board_posts (session, created)")


def _v3(conn: Connection) -> None:
    """A counter row per room (the version a refresh compares, posts replaced in a full room), and an index
    for the per-name rate limit and for finding the name that holds most of a room."""
    counters.create(conn)
    conn.execute(insert(counters).from_select(["room", "version", "replaced"],
                                              select(rooms.c.code, literal(0), literal(0))))
    conn.exec_driver_sql("CREATE INDEX board_posts_room_name_created ON board_posts (room, name, created)")


def _v4(conn: Connection) -> None:
    """Instructor passes: a browser that proved the key keeps the room's rights across a reload without the key."""
    passes.create(conn)


MIGRATIONS: tuple[tuple[int, str, Callable[[Connection], None]], ...] = (
    (1, "rooms and posts", _v1),
    (2, "indexes for reading a room and rate-limiting a session", _v2),
    (3, "a version counter per room, and an index for rate-limiting a name", _v3),
    (4, "instructor passes, so a browser keeps a room's instructor rights without its key", _v4),
)
LATEST = MIGRATIONS[-1][0]


def version(conn: Connection) -> int:
    """The schema version of the database behind ``conn`` (0 for an empty database)."""
    if not conn.dialect.has_table(conn, version_table.name):
        return 0
    return conn.execute(select(func.max(version_table.c.version))).scalar() or 0


def migrate(engine: Engine) -> int:
    """Bring the database up to LATEST, one step per transaction; return the version it started at."""
    with engine.begin() as conn:
        if not conn.dialect.has_table(conn, version_table.name):
            version_table.create(conn)
        start = version(conn)
    for number, _, step in MIGRATIONS:
        if number <= start:
            continue
        with engine.begin() as conn:
            if version(conn) >= number:  # another replica got there first
                continue
            step(conn)
            conn.execute(insert(version_table).values(version=number))
    return start
