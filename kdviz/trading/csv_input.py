"""Parse and check an uploaded price CSV: Date and Close columns, optional Volume, one row per day.

Every problem raises ValueError with a message a page can show as it is, naming the problem and
the file lines involved (line 1 is the header). What is accepted: column names in any case with
spaces around them, extra columns (ignored), comma, semicolon or tab separators, UTF-8 (with or
without BOM) or Latin-1 text, ISO dates (other formats are read month first when ambiguous),
blank lines (skipped). A file whose dates are strictly newest-first is reversed to oldest-first,
and a note saying so is left in ``frame.attrs["notes"]``. Nothing else is repaired: missing
prices are not filled, duplicate days are not merged, unsorted dates are not sorted.
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from kdviz.trading.split import minimum_rows

MAX_BYTES = 5 * 1024 * 1024  # 5 MB: about 100,000 daily rows, far more than any daily history
MISSING = {"", "nan", "na", "n/a", "#n/a", "null", "none", "-"}
SEPARATORS = (",", ";", "\t")


def _lines(index: pd.Index, limit: int = 5) -> str:
    """'line 4' / 'lines 4, 7 and 9' / 'lines 4, 7, 9, 12, 15 and 3 more' for data rows at ``index``."""
    lines = [str(i + 2) for i in index]  # row 0 is file line 2: the header is line 1
    if len(lines) == 1:
        return f"line {lines[0]}"
    if len(lines) > limit:
        return f"lines {', '.join(lines[:limit])} and {len(lines) - limit} more"
    return f"lines {', '.join(lines[:-1])} and {lines[-1]}"


def _all_of(index: pd.Index) -> str:
    """' (3 rows in all: lines 4, 7 and 9)' when more than one row has the problem, else ''."""
    return f" ({len(index)} rows in all: {_lines(index)})" if len(index) > 1 else ""


def _decode(data: bytes, notes: list[str]) -> str:
    """The file's text: UTF-16 (with a byte-order mark, or NUL bytes between ASCII letters), UTF-8 or Latin-1."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (b"\x00" in data[:200] and _looks_utf16(data)):
        try:
            text = data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else _utf16_order(data))
        except UnicodeDecodeError:
            raise ValueError("The file looks like UTF-16 text but cannot be decoded; save it as CSV UTF-8.") from None
        notes.append("The file was UTF-16 text; it was read as such.")
        return text
    if b"\x00" in data:
        raise ValueError("This is not a CSV text file (it contains binary data, e.g. an Excel .xlsx): "
                         "save it as CSV (comma-separated) first.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _looks_utf16(data: bytes) -> bool:
    """NUL bytes on every other position of the start, as UTF-16 without a byte-order mark writes ASCII."""
    head = data[:200]
    odd, even = head[1::2], head[0::2]

    def text(b):
        return sum(32 <= c < 127 or c in (9, 10, 13) for c in b) > 0.8 * max(len(b), 1)

    def nul(b):
        return b.count(0) > 0.8 * max(len(b), 1)

    return (nul(odd) and text(even)) or (nul(even) and text(odd))


def _utf16_order(data: bytes) -> str:
    """'utf-16-le' when the NULs are on odd positions, else 'utf-16-be'."""
    head = data[:200]
    return "utf-16-le" if head[1::2].count(0) >= head[0::2].count(0) else "utf-16-be"


def _read_table(text: str) -> pd.DataFrame:
    """All cells as stripped strings; blank lines kept as empty rows so row i is file line i + 2."""
    header = text.lstrip("\r\n").splitlines()[0]
    sep = max(SEPARATORS, key=header.count)
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise ValueError("The file is empty.") from None
    except (pd.errors.ParserError, UnicodeError, ValueError) as err:
        reason = str(err).strip().splitlines()[-1].replace("Error tokenizing data. C error: ", "")
        raise ValueError(f"The file could not be read as CSV: {reason}.") from None
    return df.fillna("").apply(lambda col: col.str.strip())  # short rows leave NaN cells


def _columns(df: pd.DataFrame) -> dict[str, str]:
    """Map lower-case names date/close/volume to the file's column names; reject missing or repeated ones."""
    found: dict[str, str] = {}
    for col in df.columns:
        key = str(col).strip().lower()
        if key in found and key in ("date", "close", "volume"):
            raise ValueError(f"The column {key.title()} appears twice ({found[key]!r} and {col!r}); keep one.")
        found.setdefault(key, col)
    missing = [c for c in ("Date", "Close") if c.lower() not in found]
    if missing:
        have = ", ".join(str(c) for c in df.columns) or "none"
        raise ValueError(f"Missing column {' and '.join(missing)} (columns found: {have}). The first line must be "
                         f"a header naming Date and Close, and optionally Volume.")
    return {k: found[k] for k in ("date", "close", "volume") if k in found}


FIRST_YEAR, LAST_YEAR = 1678, 2261  # the dates a nanosecond timestamp holds
MAX_PRICE, MIN_PRICE = 1e12, 1e-8  # prices outside these are a unit or export error, not a market


def _parse_dates(cells: pd.Series, notes: list[str], today: pd.Timestamp | None = None) -> pd.Series:
    """Dates as naive datetime64[ns], one per day; errors name the file lines and what to do.

    Rejected: missing or unreadable dates, years outside 1678-2261, dates after ``today``,
    mixed time zones. Dates like 03/04/2020 are read month first unless that leaves the file
    unsorted and day first sorts it (a note then says so).
    """
    empty = cells.str.lower().isin(MISSING)
    if empty.any():
        raise ValueError(f"Date is missing on {_lines(cells.index[empty])}.")
    years = pd.to_numeric(cells.str.extract(r"((?<!\d)\d{4}(?!\d))")[0], errors="coerce")
    out = (years < FIRST_YEAR) | (years > LAST_YEAR)
    if out.any():
        first = cells.index[out][0]
        raise ValueError(f"Date {short_cell(cells[first])} on line {first + 2} is outside the years {FIRST_YEAR} to "
                         f"{LAST_YEAR}{_all_of(cells.index[out])}; check the year.")
    _check_time_zones(cells)
    dates = _to_dates(cells, dayfirst=False)
    bad = dates.isna()
    if bad.any():
        first = cells.index[bad][0]
        raise ValueError(f"Date {short_cell(cells[first])} on line {first + 2} is not a date{_all_of(cells.index[bad])}; "
                         f"use YYYY-MM-DD.")
    if not _monotone(dates) and cells.str.contains(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}").all():
        dayfirst = _to_dates(cells, dayfirst=True)
        if not dayfirst.isna().any() and _monotone(dayfirst):
            notes.append("The dates were read day first (31/12/2020): read month first they were out of order.")
            dates = dayfirst
    today = pd.Timestamp.now().normalize() if today is None else today
    future = dates > today + pd.Timedelta(days=1)
    if future.any():
        first = cells.index[future][0]
        raise ValueError(f"Date {short_cell(cells[first])} on line {first + 2} is in the future{_all_of(cells.index[future])}; "
                         f"prices can only be known up to today.")
    return dates


def _to_dates(cells: pd.Series, dayfirst: bool) -> pd.Series:
    """pd.to_datetime of the cells (NaT where unreadable), time zones dropped, in nanoseconds."""
    dates = pd.to_datetime(cells, errors="coerce", format="mixed", dayfirst=dayfirst)
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    return dates.dt.as_unit("ns")


def _monotone(dates: pd.Series) -> bool:
    """Oldest first or newest first, throughout."""
    return bool(dates.is_monotonic_increasing or dates.is_monotonic_decreasing)


def _check_time_zones(cells: pd.Series) -> None:
    """Reject a file whose dates carry different UTC offsets (converting would move some to another day)."""
    zones = cells.str.extract(r"(Z|[+\-]\d{2}:?\d{2})$")[0].fillna("none")
    if zones.nunique() > 1:
        first = zones.index[zones != zones.iloc[0]][0]
        raise ValueError(f"The dates mix time zones: line 2 has {zones.iloc[0]!r}, line {first + 2} has "
                         f"{zones[first]!r}. Export every date in one time zone (or as plain YYYY-MM-DD days).")


def short_cell(text: str, limit: int = 40) -> str:
    """A cell quoted for a message, cut to ``limit`` characters."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _parse_numbers(cells: pd.Series, name: str, positive: bool) -> pd.Series:
    """Floats; errors for missing, non-numeric, non-finite, and non-positive (or negative) values."""
    empty = cells.str.lower().isin(MISSING)
    if empty.any():
        raise ValueError(f"{name} is missing (empty or NaN) on {_lines(cells.index[empty])}: gaps are not filled "
                         f"automatically; fill or remove those days.")
    values = pd.to_numeric(cells, errors="coerce")
    bad = values.isna()
    if bad.any():
        first = cells.index[bad][0]
        raise ValueError(f"{name} {short_cell(cells[first])} on line {first + 2} is not a number{_all_of(cells.index[bad])}; "
                         f"use plain numbers like 1234.5 without thousands separators.")
    inf = ~np.isfinite(values)
    if inf.any():
        raise ValueError(f"{name} is not a finite number on {_lines(cells.index[inf])}.")
    if positive:
        extreme = (values > MAX_PRICE) | (values < MIN_PRICE) & (values > 0)
        if extreme.any():
            first = cells.index[extreme][0]
            raise ValueError(f"{name} {short_cell(cells[first])} on line {first + 2} is outside {MIN_PRICE:g} to "
                             f"{MAX_PRICE:g}{_all_of(cells.index[extreme])}: check the units of the export.")
    elif (values > 1e18).any():
        raise ValueError(f"{name} is larger than 1e18 on {_lines(cells.index[values > 1e18])}: check the export.")
    low = values <= 0 if positive else values < 0
    if low.any():
        first = cells.index[low][0]
        rule = "positive" if positive else "zero or more"
        raise ValueError(f"{name} must be {rule}: {cells[first][:40]} on line {first + 2}{_all_of(cells.index[low])}.")
    return values.astype(np.float64)


def _check_order(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Oldest-first frame: reverse a strictly newest-first file; reject duplicates and unsorted dates."""
    dates = frame["Date"]
    days = dates.dt.normalize()
    dup = days.duplicated(keep=False)
    if dup.any():
        day = days[dup].iloc[0]
        rows = frame.index[days == day]
        raise ValueError(f"The day {day.date()} has more than one row ({_lines(rows)}); this page needs daily prices: "
                         f"keep one row per day (the day's close).")
    step = dates.diff().iloc[1:]
    if len(frame) > 1 and (step < pd.Timedelta(0)).all():
        notes.append("The dates were newest-first; the rows were reversed to oldest-first.")
        return frame.iloc[::-1]
    back = step < pd.Timedelta(0)
    if back.any():
        i = int(np.flatnonzero(back.to_numpy())[0]) + 1  # position of the first row earlier than its predecessor
        prev, cur = frame.index[i - 1], frame.index[i]
        raise ValueError(f"Dates must be in order (oldest first or newest first): {dates[cur].date()} on line "
                         f"{cur + 2} comes after {dates[prev].date()} on line {prev + 2}. Sort the file by Date.")
    return frame


def _check_moves(frame: pd.DataFrame) -> None:
    """Reject prices that never move up or never move down: every day would get one label."""
    moves = np.sign(np.diff(frame["Close"].to_numpy()))
    if len(moves) and ((moves > 0).sum() == 0 or (moves < 0).sum() == 0):
        what = "never changes" if (moves == 0).all() else "never goes " + ("up" if (moves > 0).sum() == 0 else "down")
        raise ValueError(f"Close {what} from line 2 to line {frame.index[-1] + 2}: every day would get the same label, "
                         "so any model would score 100% by always saying it. Upload real prices.")


def parse_price_csv(data: bytes | str, min_rows: int | None = None, max_bytes: int = MAX_BYTES) -> pd.DataFrame:
    """Parse an uploaded CSV into a frame Date (datetime64), Close, [Volume], oldest first, index 0..n-1.

    ``min_rows`` is the fewest price rows the chosen features need (default: minimum_rows() of
    the default FeatureConfig, horizon and split). Raises ValueError naming the problem.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray)):
        raise ValueError(f"expected the uploaded file's bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise ValueError(f"The file is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:g} MB. "
                         f"Upload daily prices only (Date, Close, optionally Volume).")
    notes: list[str] = []
    text = _decode(bytes(data), notes)
    if not text.strip():
        raise ValueError("The file is empty.")
    df = _read_table(text)
    cols = _columns(df)
    df = df[list(cols.values())]
    df = df[(df != "").any(axis=1)]  # blank lines; the index still counts them, so line numbers stay right
    if df.empty:
        raise ValueError("The file has a header but no data rows.")
    frame = pd.DataFrame({"Date": _parse_dates(df[cols["date"]], notes),
                          "Close": _parse_numbers(df[cols["close"]], "Close", positive=True)})
    if "volume" in cols:
        frame["Volume"] = _parse_numbers(df[cols["volume"]], "Volume", positive=False)
    frame = _check_order(frame, notes)
    _check_moves(frame)
    need = minimum_rows() if min_rows is None else int(min_rows)
    if len(frame) < need:
        raise ValueError(f"The file has {len(frame)} rows of prices; at least {need} are needed for these settings "
                         f"(feature lookback, horizon, purge gaps and 20 rows in each split). Upload a longer "
                         f"history or choose shorter feature windows.")
    frame = frame.reset_index(drop=True)
    frame.attrs["notes"] = notes
    return frame
