"""Registries found by looking, not by listing: the modules of a package, imported in a stable order, and what
they declare gathered into one dict.

kdviz.experiments builds EXPERIMENTS and kdviz.figures builds FIGURES and the Home card figures this way, so a new
page's experiment module or figures module is registered by existing, with no line to add to a list.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from types import ModuleType


def submodules(package: str) -> list[ModuleType]:
    """Every module inside package ``package`` at any depth, imported, in the order of their dotted names (a
    subpackage just before the modules in it); names starting with an underscore are left out, and so are the
    modules inside such a package."""
    found = []
    infos = pkgutil.iter_modules(importlib.import_module(package).__path__, prefix=f"{package}.")
    for info in sorted(infos, key=lambda i: i.name):
        if info.name.rpartition(".")[2].startswith("_"):
            continue
        found.append(importlib.import_module(info.name))
        if info.ispkg:
            found.extend(submodules(info.name))
    return found


def gather(pairs: Iterable[tuple[str, object, ModuleType]], what: str) -> dict[str, object]:
    """{name: value} of ``(name, value, declaring module)`` in their order; one value declared again under the same
    name (a package listing its modules' values) is kept once. ValueError, naming both modules, when two values
    share a name (``what`` says what the names are, for the message)."""
    out: dict[str, object] = {}
    where: dict[str, str] = {}
    for name, value, module in pairs:
        if name in out and out[name] is not value:
            raise ValueError(f"two {what} called {name!r}: in {where[name]} and in {module.__name__}")
        out.setdefault(name, value)
        where.setdefault(name, module.__name__)
    return out
