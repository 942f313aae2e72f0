"""Settings as dataclasses, their fields described once, and their round trip through URL query parameters.

A page's (or the command line's) whole state is one dataclass. Each field is declared with
``setting``, which records what a control, a URL value and a command-line flag all need: a
label, bounds (``lo``/``hi``, a slider ``step``), allowed ``choices`` or a ``parse`` function
(str -> value, raising ValueError), and a help text. Widgets read their bounds from here, so
they are never typed twice. A URL value that is malformed falls back to the field's default
and the reason comes back as a notice for the page to show: a shared link never crashes a page.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

C = TypeVar("C")
MAX_LIST = 64  # items a list setting may hold


def setting(default: Any, label: str, *, lo=None, hi=None, step=None, choices=None,
            parse: Callable[[str], Any] | None = None, help: str | None = None, **extra) -> Any:
    """A dataclass field with its control's description in the metadata (see the module docstring)."""
    meta = {"label": label, **{k: v for k, v in (("lo", lo), ("hi", hi), ("step", step), ("choices", choices),
                                                 ("parse", parse), ("help", help)) if v is not None}, **extra}
    return dataclasses.field(default=default, metadata=meta)


def fields(cls) -> dict[str, dataclasses.Field]:
    """The dataclass's fields by name, in declaration order."""
    return {f.name: f for f in dataclasses.fields(cls)}


# ----------------------------------------------------------------------------- lists typed as text
def parse_list(text: str, item: Callable[[str], Any], what: str, lo: int = 1, hi: int = MAX_LIST) -> tuple:
    """Split ``text`` at commas and spaces and parse each part with ``item``: lo..hi parts.

    ``item`` raises ValueError for a bad part; the message then names the part and ``what`` was
    expected. The one parser behind every comma-separated setting (widths, logits, methods...).
    """
    parts = [p for p in str(text).replace(",", " ").split() if p]
    if not lo <= len(parts) <= hi:
        count = f"{lo}" if lo == hi else f"{lo} to {hi}" if hi < MAX_LIST else f"at least {lo}"
        raise ValueError(f"{what}: enter {count} separated by commas, got {len(parts)}")
    out = []
    for p in parts:
        try:
            out.append(item(p))
        except ValueError as err:
            raise ValueError(f"{what}: {short(p)} is not {err}") from None
    return tuple(out)


def short(text: str, limit: int = 40) -> str:
    """``text`` quoted and cut to ``limit`` characters, for messages that echo what a user typed."""
    s = str(text)
    return repr(s if len(s) <= limit else s[:limit] + "…")


def _finite(p: str) -> float:
    try:
        x = float(p)
    except ValueError:
        raise ValueError("a number") from None
    if not math.isfinite(x):
        raise ValueError("a finite number (no nan or inf)")
    return x


def _whole(p: str) -> int:
    try:
        return int(p)
    except ValueError:
        raise ValueError("a whole number") from None


def parse_floats(text: str, lo: int = 2, hi: int = 20, bound: float = 1e4, what: str = "logits") -> tuple[float, ...]:
    """Parse logits "3, 1, 0.2" (commas or spaces) into lo..hi finite floats within +-``bound``."""
    out = parse_list(text, _finite, what, lo, hi)
    if max(abs(x) for x in out) > bound:
        raise ValueError(f"{what} must lie within ±{bound:,.0f}")
    return out


def format_floats(values) -> str:
    """Inverse of parse_floats: "3, 1, 0.2"."""
    return ", ".join(f"{x:g}" for x in values)


def parse_widths(text: str, layers: int = 4, width: int = 512) -> tuple[int, ...]:
    """Parse hidden widths "128, 128" -> (128, 128): 1 to ``layers`` layers of 1 to ``width`` units."""
    out = parse_list(text, _whole, "hidden layer widths", 1, layers)
    if not all(1 <= w <= width for w in out):
        raise ValueError(f"architecture too large or empty: each hidden layer needs 1 to {width} units")
    return out


def canonical(parse: Callable[[str], tuple]) -> Callable[[str], str]:
    """A URL parser that validates with ``parse`` and returns the text in the form "a, b, c"."""
    def canon(text: str) -> str:
        return ", ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in parse(text))

    canon.__doc__ = f"{parse.__name__}, written back as 'a, b, c'."
    return canon


canonical_floats = canonical(parse_floats)
canonical_widths = canonical(parse_widths)


# ----------------------------------------------------------------------------- URL round trip
def _parse(field: dataclasses.Field, raw: str) -> Any:
    """Parse one URL string into the field's type, enforcing its metadata."""
    meta = field.metadata
    if "parse" in meta:
        value = meta["parse"](raw)
    elif field.type in (bool, "bool"):
        if raw.lower() not in ("1", "0", "true", "false"):
            raise ValueError("expected true or false")
        value = raw.lower() in ("1", "true")
    elif field.type in (int, "int"):
        value = int(raw)
    elif field.type in (float, "float"):
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError("not a finite number")
    else:
        value = raw
    if "choices" in meta and value not in meta["choices"]:
        raise ValueError(f"not one of {', '.join(map(str, meta['choices']))}")
    if "lo" in meta and value < meta["lo"] or "hi" in meta and value > meta["hi"]:
        raise ValueError(f"outside [{meta.get('lo')}, {meta.get('hi')}]")
    return value


def parse_setting(cls, name: str, raw: str) -> Any:
    """Parse one value typed for field ``name`` of ``cls`` (a URL value, a command-line flag); ValueError if bad."""
    return _parse(fields(cls)[name], raw)


def _format(value: Any) -> str:
    """Format one field value for the URL."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def query_key(prefix: str, name: str) -> str:
    """The URL parameter of field ``name`` for a config with ``prefix`` ("" for a page's main config)."""
    return f"{prefix}.{name}" if prefix else name


def to_query(cfg, prefix: str = "") -> dict[str, str]:
    """The config as URL query parameters (every field, as strings; keys prefixed when asked)."""
    return {query_key(prefix, f.name): _format(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}


def from_query(cls: type[C], params: Mapping[str, str], prefix: str = "") -> tuple[C, list[str]]:
    """Build ``cls`` from URL parameters; malformed values fall back to defaults with a notice.

    Unknown parameters are ignored. Returns (config, notices), one notice per rejected value.
    """
    values, notices = {}, []
    for field in dataclasses.fields(cls):
        key = query_key(prefix, field.name)
        if key not in params:
            continue
        raw = params[key]
        try:
            values[field.name] = _parse(field, str(raw))
        except (ValueError, TypeError) as err:
            notices.append(f"Ignored the link's value {key}={short(raw)} ({err}); using the default.")
    return cls(**values), notices
