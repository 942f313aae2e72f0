"""The one rule for a number a user or a caller gives: a finite number within its range, else a clear ValueError.

finite_number checks one value (a number, or text that reads as one); finite_numbers checks every
value of a tensor. Their messages name the quantity and echo what was given, cut to length:
"noise must be a number, got 'abc'", "noise must be a finite number >= 0, got -0.1". Callers that
word their own messages catch NotANumber (the value is no number at all) and OutOfRange (a
number, but not finite or outside the range).
"""
from __future__ import annotations

import math

import torch

ECHO = 40  # characters of a given value a message repeats


class NotANumber(ValueError):
    """The value does not read as a number at all."""


class OutOfRange(ValueError):
    """The value is a number but not finite, or outside its range."""


def echo(value) -> str:
    """``value``'s repr cut to ECHO characters, for a message."""
    text = repr(value)
    return text if len(text) <= ECHO else text[:ECHO - 1] + "…"


def bounds_text(low: float = -math.inf, high: float = math.inf, open_low: bool = False,
                open_high: bool = False) -> str:
    """The range's bounds for a message: " in [0, 1)", " >= 0", " <= 5", or "" for the whole line."""
    if math.isinf(low) and math.isinf(high):
        return ""
    if math.isinf(high):
        return f" {'>' if open_low else '>='} {low:g}"
    if math.isinf(low):
        return f" {'<' if open_high else '<='} {high:g}"
    return f" in {'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"


def range_text(low: float = -math.inf, high: float = math.inf, open_low: bool = False, open_high: bool = False) -> str:
    """What a number in the range is, for a message: "a finite number in [0, 1)", "a finite number >= 0", "a finite
    number" for the whole line, and "a positive number" for (0, inf)."""
    if low == 0 and open_low and math.isinf(high):
        return "a positive number"
    return "a finite number" + bounds_text(low, high, open_low, open_high)


def finite_number(value, name: str, low: float = -math.inf, high: float = math.inf, *,
                  open_low: bool = False, open_high: bool = False) -> float:
    """``value`` as a float when it is a finite number in [low, high] (an end left out with ``open_low``/``open_high``).

    Raises NotANumber ("{name} must be a number, got ...") when float() cannot read it, OutOfRange
    ("{name} must be a finite number in [low, high], got ...", see range_text) when it is NaN, infinite or outside.
    """
    try:
        x = float(value)
    except OverflowError:  # an integer beyond any float: a number, out of every range
        x = math.inf
    except (TypeError, ValueError):
        raise NotANumber(f"{name} must be a number, got {echo(value)}") from None
    if not (math.isfinite(x) and (low < x if open_low else low <= x) and (x < high if open_high else x <= high)):
        raise OutOfRange(f"{name} must be {range_text(low, high, open_low, open_high)}, got {echo(value)}")
    return x


def finite_numbers(values: torch.Tensor, name: str, low: float = -math.inf, high: float = math.inf) -> torch.Tensor:
    """``values`` (any shape) unchanged when every element is finite and in [low, high]; OutOfRange naming the
    first that is not otherwise ("{name} must hold finite numbers in [low, high], got ...")."""
    bad = ~torch.isfinite(values) | (values < low) | (values > high)  # same shape as values
    if bad.any():
        raise OutOfRange(f"{name} must hold finite numbers{bounds_text(low, high)}, got "
                         f"{values[bad].flatten()[0].item():g}")
    return values
