"""What a class board accepts: room codes, display names, posted values, rate and length limits.

Pure functions that raise BoardError with the sentence a page shows; the store calls them before
it writes anything, so a rejected post writes nothing.
"""
from __future__ import annotations

import hashlib
import secrets
import unicodedata

from kdviz.checks import NotANumber, OutOfRange, finite_number

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud and typed
CODE_LENGTH = 6
NAME_MAX = 30  # characters of a display name
TITLE_MAX = 60  # characters of a room title
TEXT_MAX = 200  # characters of any posted text value (settings values included)
MAX_NUMBERS = 12  # headline numbers per post
MAX_SETTINGS = 40
POSTS_PER_MINUTE = 5  # per display name in a room, and per browser session
ROOM_POSTS_PER_MINUTE = 120  # per room, from every name together: a class of 30 posting four times a minute
KEY_HOURS = 12.0  # an instructor key works this long after its room was created: a workshop's day
ROOM_POSTS_MAX = 2000  # posts a room keeps; a post to a full room replaces the busiest name's oldest post


class BoardError(ValueError):
    """A post, join or instructor action the board refuses; str(err) is the message for the page."""


class BoardUnavailable(RuntimeError):
    """The board's database cannot be reached; str(err) says so in words."""


def policy() -> str:
    """The board's limits in words, for the page: what a participant may post and what a full room does."""
    return (f"Each display name may post {POSTS_PER_MINUTE} times a minute, and a room takes at most "
            f"{ROOM_POSTS_PER_MINUTE} posts a minute from everyone together. A room keeps {ROOM_POSTS_MAX:,} posts: "
            "once it is full, each new post replaces the oldest post of the name that has posted most, "
            "so a full room still takes everyone's next post and a flood mostly replaces its own posts.")


def new_code() -> str:
    """A random room code, e.g. "K7PQ2M"."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_key() -> str:
    """A random instructor key (shown once, stored only as a hash)."""
    return secrets.token_urlsafe(12)


def new_pass() -> str:
    """A random instructor pass: what a browser keeps in place of the key (stored only as a hash)."""
    return secrets.token_urlsafe(32)


def participant_seed(code: str, name: str, count: int = 10_000) -> int:
    """A participant's own seed in ``0 .. count - 1``, from the room and the display name: the same for the same
    person in the same room (after a reload too), different between most names, so a class that runs the same
    settings shows the spread between seeds. Two names may share a seed (about one pair in ``count``)."""
    digest = hashlib.sha256(f"{code}\n{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def clean_code(code: str) -> str:
    """A typed room code normalised (spaces dropped, upper case); BoardError if it cannot be one."""
    c = "".join(str(code).split()).upper()
    if len(c) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in c):
        raise BoardError(f"A room code is {CODE_LENGTH} letters and digits, like K7PQ2M: check the code and try again.")
    return c


def clean_text(text: str, limit: int, what: str) -> str:
    """``text`` with control characters removed and surrounding spaces trimmed; BoardError if empty or too long."""
    t = "".join(ch for ch in str(text) if unicodedata.category(ch)[0] != "C").strip()
    if not t:
        raise BoardError(f"Enter a {what}.")
    if len(t) > limit:
        raise BoardError(f"The {what} is {len(t)} characters long; at most {limit} are allowed.")
    return t


def clean_numbers(numbers: dict) -> dict[str, float]:
    """The headline numbers of a post: at most MAX_NUMBERS finite floats under short names."""
    if not numbers or len(numbers) > MAX_NUMBERS:
        raise BoardError(f"A post carries 1 to {MAX_NUMBERS} numbers, not {len(numbers or {})}.")
    out = {}
    for name, value in numbers.items():
        key = clean_text(name, 40, "number's name")
        try:
            out[key] = finite_number(value, key)
        except NotANumber:
            raise BoardError(f"The value of {key} is not a number.") from None
        except OutOfRange:
            raise BoardError(f"The value of {key} is not finite.") from None
    return out


def clean_settings(settings: dict) -> dict[str, str]:
    """A run's settings as short strings (at most MAX_SETTINGS of them)."""
    if len(settings) > MAX_SETTINGS:
        raise BoardError(f"A post carries at most {MAX_SETTINGS} settings.")
    return {clean_text(k, 40, "setting's name"): clean_text(v, TEXT_MAX, f"value of {k}") for k, v in settings.items()}
