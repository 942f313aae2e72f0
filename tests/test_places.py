"""Adding a page touches five places and no list: its page file, its experiment module, its figures module (with
its Home card), its record in kdviz.site and its tests. The registries of experiments and figures are found by
looking at the modules (kdviz.discovery), so the shared lists name no page."""
from __future__ import annotations

import ast
import importlib
import sys
import textwrap
from pathlib import Path

import pytest

from kdviz import site
from kdviz.discovery import gather, submodules
from kdviz.experiments import EXPERIMENTS
from kdviz.figures import CARDS, FIGURES

ROOT = Path(__file__).resolve().parents[1]
PAGES = [p for p in site.PAGES if not p.default]  # every page but Home, which has no card


def write_package(root: Path, files: dict[str, str]) -> None:
    """Files of a throwaway package under ``root`` ({relative path: source})."""
    for rel, source in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))


@pytest.fixture
def throwaway(tmp_path, monkeypatch):
    """A package ``pkg`` of tiny modules on sys.path (its modules dropped from sys.modules afterwards)."""
    write_package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/zeta.py": "VALUE = 'z'\n",
        "pkg/alpha.py": "VALUE = 'a'\n",
        "pkg/_private.py": "VALUE = 'hidden'\n",
        "pkg/mid/__init__.py": "from pkg.mid.inner import VALUE\n",  # a package re-declaring its module's value
        "pkg/mid/inner.py": "VALUE = object()\n",
        "pkg/_hidden/__init__.py": "",
        "pkg/_hidden/deep.py": "VALUE = 'never'\n",
    })
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "pkg"
    for name in [n for n in sys.modules if n == "pkg" or n.startswith("pkg.")]:
        del sys.modules[name]


def test_discovery_imports_every_public_module_at_any_depth_in_name_order(throwaway):
    names = [m.__name__ for m in submodules(throwaway)]
    assert names == ["pkg.alpha", "pkg.mid", "pkg.mid.inner", "pkg.zeta"]


def test_discovery_keeps_a_value_declared_twice_once_and_refuses_two_values_under_one_name(throwaway):
    modules = submodules(throwaway)
    gathered = gather([("v", m.VALUE, m) for m in modules if m.__name__.startswith("pkg.mid")], "values")
    assert list(gathered) == ["v"] and gathered["v"] is importlib.import_module("pkg.mid.inner").VALUE
    with pytest.raises(ValueError, match="two values called 'v': in pkg.alpha and in pkg.mid"):
        gather([("v", m.VALUE, m) for m in modules], "values")


def test_experiments_are_every_experiment_module_declares_in_the_order_of_their_names():
    declared, where = {}, {}  # read from the imported modules themselves, not through the registry
    for name in sorted(n for n in sys.modules if n.startswith("kdviz.experiments.")):
        module = sys.modules[name]
        for e in ([module.EXPERIMENT] if hasattr(module, "EXPERIMENT") else []) + list(
                getattr(module, "EXPERIMENTS", ())):
            declared.setdefault(e.name, e)
            where.setdefault(e.name, name)
    assert EXPERIMENTS == declared and len(EXPERIMENTS) > 5
    first = [where[n] for n in EXPERIMENTS]  # the module that first declares each, in the registry's order
    assert first == sorted(first)
    assert list(EXPERIMENTS)[list(EXPERIMENTS).index("dark_knowledge"):][:4] == [
        e.name for e in sys.modules["kdviz.experiments.dark_knowledge"].EXPERIMENTS]  # a package's list keeps its own order


def test_each_experiments_figures_are_declared_by_its_pages_figures_module():
    assert list(FIGURES) == list(EXPERIMENTS)
    for name in EXPERIMENTS:
        module = importlib.import_module(f"kdviz.figures.{site.of_experiment(name).path}")
        assert FIGURES[name] is module.DRAWS[name], name


def test_each_pages_figures_module_draws_its_home_card():
    assert sorted(CARDS) == sorted(p.path for p in PAGES)
    for p in PAGES:
        card = importlib.import_module(f"kdviz.figures.{p.path}").card
        assert CARDS[p.path] is card
        assert site.thumbnail(p.path) == card(), p.path  # the same function computed twice: the same text


def imported_names(rel: str) -> set[str]:
    """The dotted names a source file's import statements name: ``from A import b`` -> A and A.b."""
    named = set()
    for node in ast.walk(ast.parse((ROOT / rel).read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            named |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            named |= {a.name for a in node.names}
    return named


def test_the_registries_import_no_pages_module_and_the_records_no_card():
    pages = {p.path for p in site.PAGES}

    def pages_modules(rel: str, package: str) -> set[str]:
        return {n for n in imported_names(rel) if n.startswith(package + ".") and n.split(".")[2] in pages}

    assert pages_modules("kdviz/experiments/__init__.py", "kdviz.experiments") == set()
    assert pages_modules("kdviz/figures/__init__.py", "kdviz.figures") == set()
    assert pages_modules("kdviz/site.py", "kdviz.figures") == set()  # a record finds its card by its path
    assert not (ROOT / "kdviz" / "thumbnails.py").exists()
