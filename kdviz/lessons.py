"""Lessons as data: one TOML file per lesson in lessons/, each a list of steps on the app's pages.

A step names a page (its URL path: "temperature", "live"...), the settings it opens with (URL
parameters of that page's config), the text to read, the question to answer, how many minutes
it takes, and optionally the controls it is about (``show``: in presenter mode only these are
drawn) and whether the class posts to the board there. An instructor adds a lesson by copying a
file; ``check`` says what in it would not open cleanly.
"""
from __future__ import annotations

import re
import tomllib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from kdviz import site
from kdviz.config import fields, from_query, short

LESSONS_DIR = Path(__file__).resolve().parents[1] / "lessons"
PAGE_CONFIGS = {p.path: p.config for p in site.PAGES if p.config is not None}  # pages a lesson step can open
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # a lesson's file name: letters, digits, - and _


@dataclass(frozen=True)
class Step:
    """One step of a lesson: a page opened with settings, something to read and a question."""

    page: str  # the page's URL path
    title: str
    text: str  # what to read (Markdown)
    question: str  # what to answer before moving on
    minutes: float
    settings: dict[str, str]  # URL parameters of the page's config
    show: tuple[str, ...] = ()  # the controls this step is about (all when empty)
    board: bool = False  # the class posts its result to the board here


@dataclass(frozen=True)
class Lesson:
    """A lesson: its file's name, a title, one line for the Home card, and its steps in order."""

    name: str
    title: str
    summary: str
    order: int  # position on Home (lower first)
    steps: tuple[Step, ...]

    @property
    def minutes(self) -> float:
        """The lesson's estimated length: the sum of its steps'."""
        return sum(s.minutes for s in self.steps)


def parse(name: str, text: str) -> Lesson:
    """A lesson from the text of its TOML file; ValueError naming the file and what is wrong."""
    try:
        data = tomllib.loads(text)
        steps = tuple(Step(page=str(s["page"]), title=str(s["title"]), text=str(s["text"]).strip(),
                           question=str(s.get("question", "")).strip(), minutes=float(s["minutes"]),
                           settings={str(k): str(v) for k, v in s.get("settings", {}).items()},
                           show=tuple(map(str, s.get("show", ()))), board=bool(s.get("board", False)))
                      for s in data["steps"])
        lesson = Lesson(name, str(data["title"]), str(data["summary"]), int(data.get("order", 100)), steps)
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as err:
        raise ValueError(f"lesson {name}: {type(err).__name__}: {err}") from None
    if not steps:
        raise ValueError(f"lesson {name}: it has no steps")
    return lesson


def load(name: str, folder: Path = LESSONS_DIR) -> Lesson:
    """The lesson in ``folder/<name>.toml``; ValueError if ``name`` is not a lesson name (``NAME``), names no
    lesson file, or the file does not parse. The name is checked before any path is built from it."""
    known = names(folder)
    if not NAME.fullmatch(name) or name not in known:
        raise ValueError(f"there is no lesson called {short(name)}; there are: {', '.join(known)}")
    return parse(name, (folder / f"{name}.toml").read_text(encoding="utf-8"))


def names(folder: Path = LESSONS_DIR) -> list[str]:
    """The lessons in ``folder``, by file name."""
    return sorted(p.stem for p in folder.glob("*.toml"))


def lessons(folder: Path = LESSONS_DIR) -> list[Lesson]:
    """Every lesson, in the order Home shows them."""
    return sorted((load(n, folder) for n in names(folder)), key=lambda lesson: (lesson.order, lesson.title))


def step_params(lesson: Lesson, index: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The URL parameters that open step ``index`` (0-based) of ``lesson``: its settings, lesson and step."""
    return {**lesson.steps[index].settings, "lesson": lesson.name, "step": str(index + 1), **(extra or {})}


def step_url(lesson: Lesson, index: int, extra: dict[str, str] | None = None) -> str:
    """The relative link that opens step ``index`` (0-based) of ``lesson``: page?settings&lesson=...&step=..."""
    return f"{lesson.steps[index].page}?{urllib.parse.urlencode(step_params(lesson, index, extra))}"


def check(lesson: Lesson) -> list[str]:
    """What would not open cleanly: unknown pages, settings the page ignores or rejects, unknown controls."""
    problems = []
    for i, step in enumerate(lesson.steps, 1):
        cls = PAGE_CONFIGS.get(step.page)
        if cls is None:
            what = "a lesson step cannot open" if step.page in site.BY_PATH else "no page"
            problems.append(f"step {i}: {what} {step.page[:40]!r} (a step opens one of {', '.join(PAGE_CONFIGS)})")
            continue
        known = fields(cls)
        problems += [f"step {i}: {step.page} has no setting {k!r}" for k in step.settings if k not in known]
        problems += [f"step {i}: {step.page} has no control {k!r}" for k in step.show if k not in known]
        _, notices = from_query(cls, step.settings)
        problems += [f"step {i}: {n}" for n in notices]
    return problems
