"""The layout's rules: no import cycle in kdviz, any import order works, the engine's internals stay inside it,
benchmarks run as the README says, and the paradigm list is one list."""
import ast
import itertools
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KDVIZ = ROOT / "kdviz"


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


MODULES = {module_name(p): p for p in KDVIZ.rglob("*.py")}


def imports_of(name: str, path: Path) -> set[str]:
    """The kdviz modules a module imports at module level (a TYPE_CHECKING block counts too).

    ``from A import b`` is an edge to A.b when b is a module, else to A; ``import A.b`` to A.b. The
    parent packages Python initialises on the way are not edges (a package's __init__ that
    re-exports its submodules would otherwise be a cycle with each of them).
    """
    is_package = path.name == "__init__.py"
    out = set()
    body = ast.parse(path.read_text()).body
    statements = itertools.chain.from_iterable(s.body if isinstance(s, ast.If) else [s] for s in body)
    for node in statements:
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                here = name.split(".") if is_package else name.split(".")[:-1]
                base = ".".join(here[:len(here) - node.level + 1] + ([base] if base else []))
            for a in node.names:
                out.add(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base)
    return {m for m in out if m in MODULES and m != name}


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


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
    assert "kdviz.train.protocol" in GRAPH["kdviz.train.run"]
    assert "kdviz.paradigms.note" in GRAPH["kdviz.paradigms.dkd"]
    assert {"kdviz.data.toy", "kdviz.data.market"} <= GRAPH["kdviz.data"]


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
