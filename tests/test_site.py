"""One record per page (kdviz.site): the router, Home, the guide, the budgets, the exports' links, the lessons and the
warm-up all read the same list, and every page file, experiment and guide entry belongs to exactly one record."""
from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from kdviz import exports, guide, lessons, site
from kdviz.config import fields
from kdviz.experiments import EXPERIMENTS, budget, experiment
from tests.conftest import APP

ROOT = Path(__file__).resolve().parents[1]


def heading(path: Path) -> str:
    """The text of the first st.title("...") in a page file."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "title" \
                and node.args and isinstance(node.args[0], ast.Constant):
            return node.args[0].value
    raise AssertionError(f"{path} has no st.title")


def test_every_page_file_has_one_record_and_every_record_a_file():
    files = sorted(p.stem for p in (ROOT / "app_pages").glob("*.py"))
    paths = [p.path for p in site.PAGES]
    assert sorted(paths) == files and len(set(paths)) == len(paths)
    assert all((ROOT / p.file).is_file() for p in site.PAGES)
    assert [p.path for p in site.PAGES if p.default] == ["home"]  # one page opens at the root: Home, first
    assert site.PAGES[0].default
    with pytest.raises(ValueError, match="no page called 'nowhere'"):
        site.page("nowhere")


def test_the_sidebar_sections_follow_the_suggested_order():
    groups = [p.group for p in site.PAGES]
    sections = [g for i, g in enumerate(groups) if i == 0 or g != groups[i - 1]]
    assert len(sections) == len(set(sections)), sections  # each section's pages are next to each other


def test_each_sidebar_title_is_the_start_of_its_pages_heading():
    for p in site.PAGES:
        if not p.default:  # Home's heading is the app's name
            assert heading(ROOT / p.file).startswith(p.title), p.path
    assert site.page("board").title == heading(ROOT / "app_pages" / "board.py")  # one name: "Class board"


def test_every_experiment_belongs_to_exactly_one_page_and_has_a_cost():
    owners = Counter(name for p in site.PAGES for name in p.experiments)
    assert set(owners) == set(EXPERIMENTS) and set(owners.values()) == {1}
    assert site.of_experiment("dark_sweep").path == "dark_knowledge"
    with pytest.raises(ValueError, match="no page runs"):
        site.of_experiment("nowhere")
    assert set(budget.LOOPS) == set(EXPERIMENTS)
    for name, exp in EXPERIMENTS.items():
        seconds = budget.estimate(name, exp.config())
        assert seconds is not None and 0 < seconds < budget.max_run_seconds(), name
    with pytest.raises(ValueError, match="registered twice"):
        budget.loops_of("live")(lambda cfg: [])


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_a_runs_link_opens_the_page_that_runs_it(name):
    exp = experiment(name)
    link = urlsplit(exports.config_url(name, exp.config(), base="http://host"))
    assert link.path == f"/{site.of_experiment(name).path}"
    prefixes = {key.partition(".")[0] for key in link.query.split("&") if "." in key.partition("=")[0]}
    owner = site.of_experiment(name)
    if name in owner.query_prefix:
        assert prefixes == {owner.query_prefix[name]}  # "tr.steps=..."
    elif name in owner.tab_field:
        tabs = set(fields(exp.config)[owner.tab_field[name]].metadata["choices"])
        assert len(prefixes) == 1 and prefixes <= tabs  # one tab's settings, under its name
    elif exp.page_config is None:
        assert prefixes == set()


def test_the_guide_and_homes_cards_are_every_page_but_home():
    assert list(guide.PAGES) == [p for p in site.PAGES if not p.default]
    for p in guide.PAGES:
        assert p.line and p.notice and p.minutes > 0, p.path
        assert site.thumbnail(p.path).startswith("<svg"), p.path
    with pytest.raises(ValueError, match="no page called 'home'"):
        guide.page("home")


def test_a_lesson_step_opens_exactly_the_pages_whose_record_gives_settings():
    takes = {p.path for p in site.PAGES if p.config is not None}
    assert set(lessons.PAGE_CONFIGS) == takes and {"temperature", "live"} <= takes
    for p in site.PAGES:
        control = next(iter(fields(p.config))) if p.config else "steps"
        lesson = lessons.Lesson(name="x", title="x", summary="", order=0, steps=(lessons.Step(
            page=p.path, title="x", text="", question="", minutes=1.0, settings={}, show=(control,)),))
        problems = lessons.check(lesson)
        if p.config is None:
            assert problems == [f"step 1: a lesson step cannot open {p.path!r} (a step opens one of "
                                f"{', '.join(lessons.PAGE_CONFIGS)})"]
        else:
            assert problems == [], (p.path, problems)


def test_the_warm_up_computes_each_pages_own_runs_at_its_defaults():
    for p in site.PAGES:
        for name, cfg in p.warm:
            assert name in p.experiments and isinstance(cfg, EXPERIMENTS[name].config), (p.path, name)
        assert bool(p.warm) == bool(p.experiments), p.path  # a page that trains shows a result on first load
    assert site.warm_runs()[0][0] == "live"  # the first training page a visitor and a lesson reach


def test_the_router_serves_exactly_the_records():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    served = [(info["page_name"], info["icon"], info["url_pathname"], Path(info["script_path"]).relative_to(ROOT))
              for info in at._registered_pages.values()]  # AppTest's copy of the st.navigation registry
    assert served == [(p.title, p.icon, "" if p.default else p.path, Path(p.file)) for p in site.PAGES]
