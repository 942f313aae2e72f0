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

from kdviz.checks import NotANumber, OutOfRange, finite_number

C = TypeVar("C")
MAX_LIST = 64  # items a list setting may hold
LR_CHOICES = (0.001, 0.003, 0.01, 0.03, 0.1)  # the students' learning rates a page offers


def setting(default: Any, label: str, *, lo=None, hi=None, step=None, choices=None,
            parse: Callable[[str], Any] | None = None, help: str | None = None, **extra) -> Any:
    """A dataclass field with its control's description in the metadata (see the module docstring)."""
    meta = {"label": label, **{k: v for k, v in (("lo", lo), ("hi", hi), ("step", step), ("choices", choices),
                                                 ("parse", parse), ("help", help)) if v is not None}, **extra}
    return dataclasses.field(default=default, metadata=meta)


def learning_rate(default: float = 0.01) -> Any:
    """The students' Adam learning rate as a setting, one of LR_CHOICES: the same control on every training page."""
    return setting(default, "Learning rate", choices=LR_CHOICES, help="the students' Adam learning rate")


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
    """An item of a typed list as a finite float; the ValueError completes "'p' is not ..."."""
    try:
        return finite_number(p, "item")
    except NotANumber:
        raise ValueError("a number") from None
    except OutOfRange:
        raise ValueError("a finite number (no nan or inf)") from None


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
def _number(raw: str, kind: type) -> float | int:
    """``raw`` as an int or a finite float; a ValueError that says what is expected (not Python's wording)."""
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError("expected a whole number" if kind is int else "expected a number") from None
    if kind is float and not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


def _snap(field: dataclasses.Field, value: Any) -> Any:
    """A slider's value inside the field's range but between its steps (or a select slider's value
    between its numeric choices), moved to the nearest; anything else unchanged (the range check
    then judges it). Whole numbers and number boxes take any value in range."""
    meta = field.metadata
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    choices = meta.get("choices")
    if choices and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in choices):
        if min(choices) <= value <= max(choices) and value not in choices:
            return min(choices, key=lambda c: abs(math.log(c / value)) if c > 0 and value > 0 else abs(c - value))
        return value
    step, lo = meta.get("step"), meta.get("lo")
    if isinstance(value, int) or meta.get("widget") == "number":
        return value  # typed into a number box: any whole value in range is fine
    if step and lo is not None and lo <= value <= meta.get("hi", math.inf):
        snapped = lo + round((value - lo) / step) * step
        snapped = min(snapped, meta.get("hi", snapped))
        snapped = type(value)(round(snapped, 10)) if isinstance(value, float) else int(snapped)
        return snapped if not math.isclose(snapped, value, rel_tol=1e-9, abs_tol=1e-12) else value
    return value


def _parse(field: dataclasses.Field, raw: str) -> tuple[Any, bool]:
    """Parse one URL string into the field's type, enforcing its metadata.

    Returns (value, snapped): a value between the control's steps is moved to the nearest one.
    """
    meta = field.metadata
    if "parse" in meta:
        value = meta["parse"](raw)
    elif field.type in (bool, "bool"):
        if raw.lower() not in ("1", "0", "true", "false"):
            raise ValueError("expected true or false")
        value = raw.lower() in ("1", "true")
    elif field.type in (int, "int"):
        value = _number(raw, int)
    elif field.type in (float, "float"):
        value = _number(raw, float)
    else:
        value = raw
    unsnapped, value = value, _snap(field, value)
    return check_value(field, value), value != unsnapped


def check_value(field: dataclasses.Field, value: Any) -> Any:
    """``value`` (already of the field's type) if it is one of the field's choices and within its bounds;
    else a ValueError saying what is expected. The one range check behind every parsed setting."""
    meta = field.metadata
    if "choices" in meta and value not in meta["choices"]:
        shown = ", ".join(map(str, meta["choices"][:12])) + (", …" if len(meta["choices"]) > 12 else "")
        raise ValueError(f"expected one of {shown}")
    if "lo" in meta and value < meta["lo"] or "hi" in meta and value > meta["hi"]:
        raise ValueError(f"expected a value from {meta.get('lo')} to {meta.get('hi')}")
    return value


def parse_setting(cls, name: str, raw: str) -> Any:
    """Parse one value typed for field ``name`` of ``cls`` (a URL value, a command-line flag); ValueError if bad.

    A value between a control's steps is moved to the nearest one, as on the page."""
    return _parse(fields(cls)[name], raw)[0]


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
            values[field.name], snapped = _parse(field, str(raw))
        except (ValueError, TypeError) as err:
            notices.append(f"Ignored the link's value {key}={short(raw)} ({err}); using the default.")
            continue
        if snapped:
            notices.append(f"The link's value {key}={short(raw)} lies between the control's steps; "
                           f"using the nearest, {_format(values[field.name])}.")
    return cls(**values), notices
