"""The layout's rules: kdviz imports one way through its layers (every import Python can execute counted) with no
cycle, any import order works, the engine's internals stay inside it, benchmarks run as the README says, and the
paradigm list is one list."""
import ast
import itertools
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KDVIZ = ROOT / "kdviz"


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


MODULES = {module_name(p): p for p in KDVIZ.rglob("*.py")}


def _type_checking(test: ast.expr) -> bool:
    """Whether an ``if`` tests TYPE_CHECKING (``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``): never true at run time."""
    return getattr(test, "id", None) == "TYPE_CHECKING" or getattr(test, "attr", None) == "TYPE_CHECKING"


def _statements(body: list) -> Iterator[ast.stmt]:
    """Every statement Python can execute, at any depth: in functions, classes, branches, loops, try and with
    blocks; an ``if TYPE_CHECKING:`` block is left out (its ``else`` is not)."""
    for node in body:
        if isinstance(node, ast.If) and _type_checking(node.test):
            yield from _statements(node.orelse)
            continue
        yield node
        for block in ("body", "orelse", "finalbody", "handlers", "cases"):
            yield from _statements([s for s in getattr(node, block, None) or () if isinstance(s, ast.AST)])


def imported(name: str, is_package: bool, source: str) -> set[str]:
    """The dotted names a module's import statements name, relative ones made absolute: ``import A.b`` -> A.b;
    ``from A import b`` -> A.b when that is a kdviz module, else A."""
    out = set()
    for node in _statements(ast.parse(source).body):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                here = name.split(".") if is_package else name.split(".")[:-1]
                base = ".".join(here[:len(here) - node.level + 1] + ([base] if base else []))
            for a in node.names:
                out.add(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base)
    return out


def ancestors(module: str) -> set[str]:
    """The packages Python initialises before ``module``: kdviz.a.b -> {kdviz, kdviz.a}."""
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def edges(name: str, names: set[str]) -> set[str]:
    """The kdviz modules that importing ``names`` from module ``name`` executes: each named module and the
    packages on its way (``from kdviz.a.b import c`` runs kdviz/a/__init__.py too), less ``name`` and its own
    packages, which are already initialised when it runs."""
    out = set()
    for target in names:
        out.update(m for m in ancestors(target) | {target} if m in MODULES)
    return out - ancestors(name) - {name}


def imports_of(name: str, path: Path) -> set[str]:
    """The kdviz modules a module makes Python execute by importing, anywhere in it (see edges)."""
    return edges(name, imported(name, path.name == "__init__.py", path.read_text()))


def discovered(name: str, path: Path) -> set[str]:
    """The kdviz modules a package imports by looking (a call of kdviz.discovery.submodules in its __init__.py):
    every module inside it whose dotted name has no part starting with an underscore."""
    calls = [node for node in _statements(ast.parse(path.read_text()).body) for node in ast.walk(node)
             if isinstance(node, ast.Call) and "submodules" in (getattr(node.func, "id", None),
                                                                 getattr(node.func, "attr", None))]
    if path.name != "__init__.py" or not calls:
        return set()
    return {m for m in MODULES if m.startswith(name + ".")
            and not any(part.startswith("_") for part in m[len(name) + 1:].split("."))}


GRAPH = {name: imports_of(name, path) | discovered(name, path) for name, path in MODULES.items()}

# The layers, lowest first: a module imports only modules of its own layer or of a lower one. An entry holds the
# module of that name and, when it is a package, every module in it, except the root package kdviz (itself alone).
LAYERS = [
    # maths, settings, storage and the market's past-only tools: the pieces everything else computes with
    ("base", {"kdviz.checks", "kdviz.config", "kdviz.device", "kdviz.metrics", "kdviz.softening", "kdviz.storage",
              "kdviz.softening_curves", "kdviz.misstatements", "kdviz.torchdistill_check", "kdviz.trading", "kdviz.discovery",
              "kdviz.replicas"}),
    # the datasets, the networks, and the classical baselines fitted on a dataset
    ("data", {"kdviz.data", "kdviz.models", "kdviz.baselines"}),
    # the engine, the paradigms it trains, the job scheduler, the character model's engine; kdviz/__init__ registers
    # the paradigms
    ("train", {"kdviz", "kdviz.train", "kdviz.paradigms", "kdviz.jobs", "kdviz.lm"}),
    # one experiment per page with its statistics, the class board (posts a run's summary), the exercises' answers
    ("experiments", {"kdviz.experiments", "kdviz.board", "kdviz.exercises"}),
    # figure builders: arrays in, Plotly figures out
    ("plots", {"kdviz.plots"}),
    # each page's figures of a run's snapshot, for the page and the exports alike, and its Home card figure
    ("figures", {"kdviz.figures"}),
    # one record per page: what the router, Home, the guide, lessons, exports and the warm-up read
    ("site", {"kdviz.site"}),
    # a run as files: figures, numbers, settings, students
    ("exports", {"kdviz.exports"}),
    # what drives the rest: the command line, Home's cards and lines, the lessons
    ("top", {"kdviz.cli", "kdviz.__main__", "kdviz.guide", "kdviz.lessons", "kdviz.prepare"}),
]


def layer_entries(module: str) -> list[tuple[int, str]]:
    """(layer index, entry) of every LAYERS entry that holds ``module``, the nearest (longest) first."""
    held = [(i, entry) for i, (_, entries) in enumerate(LAYERS) for entry in entries
            if module == entry or (entry != "kdviz" and module.startswith(entry + "."))]
    return sorted(held, key=lambda e: -len(e[1]))


def layer(module: str) -> int:
    """The layer of a module: that of its nearest LAYERS entry."""
    return layer_entries(module)[0][0]


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a module from a higher layer, as "importer (layer) -> imported (layer)"."""
    return sorted(f"{a} ({LAYERS[layer(a)][0]}) -> {b} ({LAYERS[layer(b)][0]})"
                  for a, deps in graph.items() for b in deps if layer(b) > layer(a))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), or a self-loop."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], itertools.count()

    def visit(v):
        index[v] = low[v] = next(counter)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def subpackage(module: str) -> str:
    """kdviz.train.run -> kdviz.train; kdviz.metrics -> kdviz.metrics."""
    return ".".join(module.split(".")[:2])


def test_the_graph_is_read_right():
    assert "kdviz.train.methods" in GRAPH["kdviz.train.run"]
    assert "kdviz.paradigms.note" in GRAPH["kdviz.paradigms.dkd"]
    assert {"kdviz.data.toy", "kdviz.data.market"} <= GRAPH["kdviz.data"]
    # a registry found by looking imports every module of its package, at any depth
    assert {"kdviz.experiments.grid", "kdviz.experiments.market.transfer"} <= GRAPH["kdviz.experiments"]
    assert {"kdviz.figures.live", "kdviz.figures.board"} <= GRAPH["kdviz.figures"]
    assert discovered("kdviz.data", MODULES["kdviz.data"]) == set()


def test_no_module_imports_itself_back():
    assert cycles(GRAPH) == []


def test_no_subpackage_imports_itself_back():
    packages: dict[str, set[str]] = {}
    for a, deps in GRAPH.items():
        for d in deps:
            if subpackage(a) != subpackage(d):
                packages.setdefault(subpackage(a), set()).add(subpackage(d))
    assert cycles(packages) == []


def test_a_cycle_would_be_caught():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_function_local_imports_count_and_type_checking_blocks_do_not():
    source = """
from __future__ import annotations
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from kdviz.experiments.findings import Panel
else:
    import kdviz.softening
def draw(panel):
    from kdviz.plots import style
    try:
        import kdviz.experiments.live
    except ImportError:
        from .. import metrics
class Later:
    def method(self):
        if True:
            from kdviz.train.run import PopulationRun
"""
    names = imported("kdviz.plots.claims", False, source)
    assert {"kdviz.softening", "kdviz.plots.style", "kdviz.experiments.live", "kdviz.metrics",
            "kdviz.train.run"} <= names
    assert "kdviz.experiments.findings" not in names


def test_a_parent_package_counts_unless_it_is_the_importers_own():
    assert edges("kdviz.cli", {"kdviz.experiments.dark_knowledge.omitted"}) == {
        "kdviz.experiments", "kdviz.experiments.dark_knowledge", "kdviz.experiments.dark_knowledge.omitted"}
    assert edges("kdviz.experiments.dark_knowledge.sweep", {"kdviz.experiments.dark_knowledge.teachers"}) == {
        "kdviz.experiments.dark_knowledge.teachers"}


def test_every_module_is_in_exactly_one_layer():
    entries = [entry for _, layer_set in LAYERS for entry in layer_set]
    assert len(entries) == len(set(entries)), "an entry is listed in two layers"
    assert sorted(entry for entry in entries if entry not in MODULES) == []
    assert sorted(m for m in MODULES if not layer_entries(m)) == [], "modules in no layer: add them to LAYERS"


def test_no_module_imports_a_higher_layer():
    assert upward(GRAPH) == []


def test_an_upward_import_would_be_caught():
    graph = {"kdviz.experiments.live": {"kdviz.plots.training"}, "kdviz.figures.live": {"kdviz.plots.training"}}
    assert upward(graph) == ["kdviz.experiments.live (experiments) -> kdviz.plots.training (plots)"]


def test_plots_take_arrays_not_experiments():
    assert sorted(f"{a} -> {b}" for a, deps in GRAPH.items() if a.startswith("kdviz.plots")
                  for b in deps if b.startswith("kdviz.experiments")) == []


def test_kdviz_never_imports_the_app():
    offenders = sorted(f"{name}: {target}" for name, path in MODULES.items()
                       for target in imported(name, path.name == "__init__.py", path.read_text())
                       if target.split(".")[0] in ("streamlit", "ui", "app_pages", "app"))
    assert offenders == []


def _fresh(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_every_module_imports_in_any_order_and_every_method_name_is_always_known():
    names = sorted(MODULES)
    orders = [names, names[::-1]] + [random.Random(seed).sample(names, len(names)) for seed in range(3)]
    for order in orders:
        code = f"import importlib\nfor m in {order!r}:\n    importlib.import_module(m)\n"
        done = _fresh(code)
        assert done.returncode == 0, done.stderr[-2000:]
    first = _fresh("from kdviz.train.configs import MemberConfig\nMemberConfig('dkd'); MemberConfig('ema')")
    assert first.returncode == 0, first.stderr[-2000:]


PRIVATE_USE = re.compile(r"(?<!self)(?<!cls)\.(_[a-z]\w*)\b")


def test_nothing_outside_the_engine_touches_its_private_attributes():
    from kdviz.data import make_dataset
    from kdviz.train import MemberConfig, PopulationRun

    run = PopulationRun(make_dataset("moons", n=60), None, [4], [MemberConfig("baseline")])
    private = {n for n in (*vars(run), *vars(PopulationRun)) if n.startswith("_") and not n.startswith("__")}
    assert {"_flat", "_states", "_groups"} <= private
    offenders = []
    files = [p for d in ("kdviz", "ui", "app_pages", "bench") for p in (ROOT / d).rglob("*.py")] + [ROOT / "app.py"]
    for path in files:
        if path.is_relative_to(KDVIZ / "train"):
            continue
        for i, line in enumerate(path.read_text().splitlines(), 1):
            for attr in PRIVATE_USE.findall(line):
                if attr in private and not re.search(rf"self\.{attr}\b", line):
                    offenders.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    assert offenders == []


@pytest.mark.slow
@pytest.mark.parametrize("script,args", [("bench_engine.py", ["--quick", "--repeats", "1"]),
                                         ("bench_sweep.py", ["--quick"]), ("bench_paradigms.py", ["--quick"])])
def test_bench_scripts_run_from_the_repository_root(script, args):
    done = subprocess.run([sys.executable, f"bench/{script}", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith("{")


def test_readme_layout_names_only_paths_that_exist_and_every_paradigm():
    from kdviz.paradigms import NOTES

    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):]
    layout = layout[:layout.index("```", layout.index("```") + 3)]  # the map: one row per path
    rows = re.findall(r"^( {0,2})([\w/.]+(?:\.py|/))\s{2,}", layout, flags=re.M)
    assert len(rows) > 15
    for indent, path in rows:  # top level: the repository; indented: kdviz/
        assert (ROOT / ("kdviz" if indent else "") / path).exists(), path
    listed = {path.rstrip("/") for indent, path in rows if indent}
    assert {p.name for p in KDVIZ.iterdir() if p.suffix == ".py" or (p.is_dir() and p.name != "__pycache__")} \
        - {"__init__.py"} <= {Path(p).name for p in listed}
    for note in NOTES.values():
        assert note.name in readme, note.name
