"""Uploaded price CSVs: what is accepted, and a specific message for each kind of malformed file."""
import numpy as np
import pandas as pd
import pytest

from kdviz.trading.csv_input import MAX_BYTES, parse_price_csv
from kdviz.data.market import build_market_dataset
from kdviz.trading.split import minimum_rows
from kdviz.trading.features import FeatureConfig

N = 400  # default settings need minimum_rows() = 369 rows


def table(n=N, volume=True, header="Date,Close,Volume", sep=","):
    """(lines, dates, closes): a valid file's lines, header first, oldest first."""
    dates = pd.bdate_range("2012-01-02", periods=n)
    closes = np.round(80 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, n))), 4)
    rows = [sep.join([str(d.date()), f"{c:.4f}"] + ([str(1000 + i)] if volume else []))
            for i, (d, c) in enumerate(zip(dates, closes))]
    return [header] + rows, dates, closes


def csv(lines) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def edit(line_no: int, text: str, n=N):
    """A valid file with file line ``line_no`` (1 = header) replaced by ``text``."""
    lines, _, _ = table(n)
    lines[line_no - 1] = text
    return csv(lines)


# ---------------------------------------------------------------- accepted files
def test_valid_file_round_trips():
    lines, dates, closes = table()
    df = parse_price_csv(csv(lines))
    assert list(df.columns) == ["Date", "Close", "Volume"] and len(df) == N
    assert (df["Date"].to_numpy() == dates.to_numpy()).all()
    np.testing.assert_allclose(df["Close"], closes)
    np.testing.assert_allclose(df["Volume"], 1000 + np.arange(N))
    assert df.attrs["notes"] == [] and df.index.tolist() == list(range(N))


def test_tolerated_variations():
    lines, dates, closes = table(volume=False, header="  date ; CLOSE ", sep=";")
    lines = [lines[0] + ";Comment"] + [ln + ";x" for ln in lines[1:]]  # extra column ignored
    lines.insert(5, "")  # a blank line
    text = "\ufeff" + "\r\n".join(lines) + "\r\n"  # BOM and Windows line ends
    df = parse_price_csv(text.encode("utf-8"))
    assert list(df.columns) == ["Date", "Close"] and len(df) == N
    np.testing.assert_allclose(df["Close"], closes)


def test_newest_first_file_is_reversed_with_a_note():
    lines, dates, closes = table()
    df = parse_price_csv(csv([lines[0]] + lines[:0:-1]))
    assert (df["Date"].to_numpy() == dates.to_numpy()).all()
    np.testing.assert_allclose(df["Close"], closes)
    assert "reversed" in df.attrs["notes"][0]


def test_parsed_file_builds_a_market_dataset():
    df = parse_price_csv(csv(table()[0]))
    ds = build_market_dataset(df, "uploaded")
    assert ds.n_features == 13 and len(ds.y_test) >= 20


def test_minimum_rows_follows_the_settings():
    small = FeatureConfig(lags=2, vol_windows=(5,), momentum_windows=(5,), ma_windows=(), volume_window=0)
    need = minimum_rows(small, horizon=1)
    lines, _, _ = table(need)
    assert len(parse_price_csv(csv(lines), min_rows=need)) == need
    with pytest.raises(ValueError, match=f"The file has {need - 1} rows of prices; at least {need} are needed"):
        parse_price_csv(csv(lines[:-1]), min_rows=need)


# ---------------------------------------------------------------- malformed files, one message each
MALFORMED = [
    ("empty", b"", r"^The file is empty\.$"),
    ("only blank lines", b"\n \n\n", r"^The file is empty\.$"),
    ("too big", b"0" * (MAX_BYTES + 1), r"The file is 5\.0 MB; the limit is 5 MB"),
    ("binary (xlsx)", b"PK\x03\x04\x14\x00\x06\x00" + bytes(50), r"not a CSV text file .*binary data"),
    ("ragged row", edit(4, "2012-01-05,80.1,1000,extra"),
     r"could not be read as CSV: Expected 3 fields in line 4, saw 4"),
    ("header only", b"Date,Close\n", r"header but no data rows"),
    ("no close column", csv(["Date,Price"] + table()[0][1:]), r"Missing column Close \(columns found: Date, Price\)"),
    ("no header", csv(table()[0][1:]), r"Missing column Date and Close \(columns found: 2012-01-02"),
    ("repeated column", csv(["Date,Close,close"] + [ln + ",1" for ln in table(volume=False)[0][1:]]),
     r"The column Close appears twice \('Close' and 'close'\)"),
    ("date does not parse", edit(5, "2012-13-45,80,1"), r"Date '2012-13-45' on line 5 is not a date; use YYYY-MM-DD"),
    ("missing date", edit(7, ",80,1"), r"Date is missing on line 7\."),
    ("duplicate date", edit(4, table()[0][2]), r"The day 2012-01-03 has more than one row \(lines 3 and 4\)"),
    ("unsorted dates", edit(6, "2011-06-01,80,1"), r"in order .*2011-06-01 on line 6 comes after 2012-01-05 on line 5"),
    ("non-numeric close", edit(3, "2012-01-03,abc,1"), r"Close 'abc' on line 3 is not a number"),
    ("thousands separator", edit(3, '2012-01-03,"1,234.5",1'), r"Close '1,234.5' on line 3 is not a number.*thousands"),
    ("negative close", edit(9, "2012-01-11,-3.5,1"), r"Close must be positive: -3.5 on line 9"),
    ("zero close", edit(9, "2012-01-11,0,1"), r"Close must be positive: 0 on line 9"),
    ("NaN gap in close", edit(10, "2012-01-12,NaN,1"),
     r"Close is missing \(empty or NaN\) on line 10: gaps are not filled"),
    ("empty close", edit(10, "2012-01-12,,1"), r"Close is missing \(empty or NaN\) on line 10"),
    ("infinite close", edit(10, "2012-01-12,inf,1"), r"Close is not a finite number on line 10"),
    ("negative volume", edit(8, "2012-01-10,80,-5"), r"Volume must be zero or more: -5 on line 8"),
    ("non-numeric volume", edit(8, "2012-01-10,80,lots"), r"Volume 'lots' on line 8 is not a number"),
    ("too few rows", csv(table(50)[0]), r"The file has 50 rows of prices; at least 369 are needed"),
]


@pytest.mark.parametrize("data, pattern", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_file_gets_a_specific_message(data, pattern):
    with pytest.raises(ValueError, match=pattern):
        parse_price_csv(data)


def test_many_bad_rows_are_counted_and_listed():
    lines, _, _ = table()
    for k in (3, 5, 8, 13, 21, 34, 55):
        lines[k - 1] = lines[k - 1].split(",")[0] + ",n/a,1"
    with pytest.raises(ValueError, match=r"on lines 3, 5, 8, 13, 21 and 2 more"):
        parse_price_csv(csv(lines))
    lines, _, _ = table()
    lines[3], lines[6] = "x,1,1", "y,1,1"
    with pytest.raises(ValueError, match=r"Date 'x' on line 4 is not a date \(2 rows in all: lines 4 and 7\)"):
        parse_price_csv(csv(lines))


def test_rejects_non_bytes():
    with pytest.raises(ValueError, match="expected the uploaded file's bytes"):
        parse_price_csv(12345)


# ---------------------------------------------------------------- bad data named before any training
def _rewrite(fn):
    """A valid file with every data line passed through fn(i, date, close, volume) -> line."""
    lines, dates, closes = table()
    return csv([lines[0]] + [fn(i, str(d.date()), f"{c:.4f}", str(1000 + i)) for i, (d, c) in enumerate(zip(dates, closes))])


@pytest.mark.parametrize("name, data, pattern", [
    ("constant prices", _rewrite(lambda i, d, c, v: f"{d},100,{v}"), r"Close never changes .*every day would get the same label"),
    ("past 2262", edit(6, "9997-01-01,80,1000"), r"'9997-01-01' on line 6 is outside the years 1678 to 2261"),
    ("in the future", _rewrite(lambda i, d, c, v: f"{int(d[:4]) + 28}{d[4:]},{c},{v}"), r"on line 2 is in the future"),
    ("several rows a day", edit(4, "2012-01-03 16:00,80,1001"),
     r"The day 2012-01-03 has more than one row \(lines 3 and 4\).*keep one row per day"),
    ("mixed time zones", _rewrite(lambda i, d, c, v: f"{d}T10:00{'+01:00' if i < 5 else '-05:00'},{c},{v}"),
     r"mix time zones: line 2 has '\+01:00', line 7 has '-05:00'"),
    ("huge price", edit(8, "2012-01-11,1e308,1000"), r"Close '1e308' on line 8 is outside 1e-08 to 1e\+12"),
    ("tiny price", edit(8, "2012-01-11,1e-308,1000"), r"Close '1e-308' on line 8 is outside"),
])
def test_bad_data_gets_a_message_naming_the_line(name, data, pattern):
    with pytest.raises(ValueError, match=pattern):
        parse_price_csv(data)


def test_day_first_dates_of_a_sorted_file_are_read_day_first():
    data = _rewrite(lambda i, d, c, v: f"{d[8:10]}/{d[5:7]}/{d[:4]},{c},{v}")
    frame = parse_price_csv(data)
    assert frame["Date"].iloc[0] == pd.Timestamp("2012-01-02") and frame["Date"].is_monotonic_increasing
    assert any("day first" in n for n in frame.attrs["notes"])


def test_utf16_text_is_read_not_called_binary():
    lines, _, closes = table()
    for data in ("\n".join(lines).encode("utf-16"), "\n".join(lines).encode("utf-16-le")):
        frame = parse_price_csv(data)
        assert np.allclose(frame["Close"], closes) and any("UTF-16" in n for n in frame.attrs["notes"])


def test_a_huge_cell_is_cut_in_the_message():
    with pytest.raises(ValueError) as err:
        parse_price_csv(edit(5, "2012-01-06," + "x" * 4_000_000 + ",1000"))
    assert len(str(err.value)) < 400
