"""Page configs as dataclasses, and their round trip through URL query parameters.

A page's whole state is one dataclass. Each field may carry metadata: ``lo``/``hi`` bounds,
``choices`` (allowed values), or ``parse`` (a function str -> value raising ValueError). A field
whose URL value is malformed falls back to its default, and the reason is returned as a notice
for the page to show: a shared link never crashes a page.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping, TypeVar

C = TypeVar("C")


def parse_floats(text: str, lo: int = 2, hi: int = 20) -> tuple[float, ...]:
    """Parse "3, 1, 0.2" (commas or spaces) into a tuple of finite floats; lo..hi values."""
    parts = [p for p in str(text).replace(",", " ").split() if p]
    if not lo <= len(parts) <= hi:
        raise ValueError(f"enter between {lo} and {hi} numbers separated by commas, got {len(parts)}")
    try:
        out = tuple(float(p) for p in parts)
    except ValueError:
        bad = next(p for p in parts if not _is_float(p))
        raise ValueError(f"{bad!r} is not a number") from None
    if not all(math.isfinite(x) for x in out):
        raise ValueError("values must be finite numbers (no nan or inf)")
    if max(abs(x) for x in out) > 1e4:
        raise ValueError("logits must lie within ±10,000")
    return out


def format_floats(values) -> str:
    """Inverse of parse_floats: "3, 1, 0.2"."""
    return ", ".join(f"{x:g}" for x in values)


def _is_float(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


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


def _format(field: dataclasses.Field, value: Any) -> str:
    """Format one field value for the URL."""
    if "format" in field.metadata:
        return field.metadata["format"](value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def to_query(cfg) -> dict[str, str]:
    """The config as URL query parameters (every field, as strings)."""
    return {f.name: _format(f, getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}


def from_query(cls: type[C], params: Mapping[str, str]) -> tuple[C, list[str]]:
    """Build ``cls`` from URL parameters; malformed values fall back to defaults with a notice.

    Unknown parameters are ignored. Returns (config, notices), one notice per rejected value.
    """
    values, notices = {}, []
    for field in dataclasses.fields(cls):
        if field.name not in params:
            continue
        raw = params[field.name]
        try:
            values[field.name] = _parse(field, str(raw))
        except (ValueError, TypeError) as err:
            notices.append(f"Ignored the link's value {field.name}={raw!r} ({err}); using the default.")
    return cls(**values), notices
