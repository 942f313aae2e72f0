"""Which replica serves a session, when several kdviz servers run behind a load balancer with sticky sessions.

The balancer remembers a browser's replica in the cookie REPLICA_COOKIE (its value: the replica's name, the
one each server gets in KDVIZ_REPLICA). When that replica is down, the balancer sends the browser to another
one and sets MOVED_COOKIE to the old replica's name until the next page load: a session that starts with it
was moved, and the replica it was on stopped, taking that session's runs with it.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

REPLICA_COOKIE = "kdviz_replica"
MOVED_COOKIE = "kdviz_moved_from"
NAME_CHARS = 40  # a name longer than this (a damaged cookie) is cut before it is shown


def replica_name() -> str | None:
    """This server's name among the replicas (KDVIZ_REPLICA), or None when it runs alone."""
    return os.environ.get("KDVIZ_REPLICA", "").strip() or None


def moved_from(cookies: Mapping[str, str], me: str | None = None) -> str | None:
    """The replica a browser's ``cookies`` say it was moved from, when that is not this one (``me``, default
    replica_name()); None when it runs alone or was not moved."""
    me = replica_name() if me is None else me
    was = (cookies.get(MOVED_COOKIE) or "").strip()
    return was[:NAME_CHARS] if me and was and was != me else None
