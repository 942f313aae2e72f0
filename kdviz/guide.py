"""The pages in a suggested order, and what to notice on each: the one source of Home's cards and every page's
"What to notice" line and "Next" link.

The lines say where to look, never what a run will show: a page's own results say that, computed
from the run (KD does not always help).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).with_name("guide.toml")  # the pages' text, as data


@dataclass(frozen=True)
class Page:
    """One page in the suggested order."""

    page: str  # the page's file in app_pages/ (and its URL path)
    title: str
    icon: str  # a Material icon name, as the router writes it
    line: str  # one line for its Home card
    minutes: int  # estimated time to work through it
    notice: str  # what to notice, shown at its top (Markdown)


PAGES = tuple(Page(**row) for row in tomllib.loads(DATA.read_text())["pages"])
BY_PAGE = {p.page: p for p in PAGES}


def page(name: str) -> Page:
    """The page called ``name`` (its file name in app_pages/); ValueError if there is none."""
    if name not in BY_PAGE:
        raise ValueError(f"no page called {name!r}: pages are {', '.join(BY_PAGE)}")
    return BY_PAGE[name]


def next_page(name: str) -> Page | None:
    """The page after ``name`` in the suggested order; None after the last one (back to Home)."""
    i = PAGES.index(page(name))
    return PAGES[i + 1] if i + 1 < len(PAGES) else None
