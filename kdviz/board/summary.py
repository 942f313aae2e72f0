"""What a board shows from a room's posts: one scatter of a setting against a number, and a leaderboard."""
from __future__ import annotations

from dataclasses import dataclass

from kdviz.board.store import Post


@dataclass(frozen=True)
class Scatter:
    """One point per post that has both the setting and the number."""

    x: list[float]  # the setting's value per post
    y: list[float]  # the number per post
    names: list[str]  # who posted it (raw text: escape before drawing)


def choices(posts: list[Post], page: str) -> tuple[list[str], list[str]]:
    """(numeric settings, numbers) found in the posts of ``page``, sorted: what a board can plot."""
    shown = [p for p in posts if p.page == page]
    settings = sorted({k for p in shown for k, v in p.settings.items() if _number(v) is not None})
    numbers = sorted({k for p in shown for k in p.numbers})
    return settings, numbers


def scatter(posts: list[Post], page: str, setting: str, number: str) -> Scatter:
    """The posts of ``page`` as (setting value, number) points."""
    xs, ys, names = [], [], []
    for p in posts:
        x = _number(p.settings.get(setting)) if p.page == page else None
        if x is not None and number in p.numbers:
            xs.append(x)
            ys.append(p.numbers[number])
            names.append(p.name)
    return Scatter(xs, ys, names)


def leaderboard(posts: list[Post], page: str, number: str, top: int = 10) -> list[tuple[str, float, dict]]:
    """The best post per display name on ``number`` (highest first): (name, value, settings), at most ``top``."""
    best: dict[str, Post] = {}
    for p in posts:
        if p.page == page and number in p.numbers and (p.name not in best or
                                                         p.numbers[number] > best[p.name].numbers[number]):
            best[p.name] = p
    ranked = sorted(best.values(), key=lambda p: -p.numbers[number])[:top]
    return [(p.name, p.numbers[number], p.settings) for p in ranked]


def _number(text) -> float | None:
    """``text`` as a float, or None when it is not one."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return None
