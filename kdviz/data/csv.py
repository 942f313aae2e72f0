"""Your own classification data: a CSV file checked line by line, kept as a dataset the experiments can use.

``read_table(data, label)`` turns the bytes of an uploaded (or local) CSV into a Table: numeric
feature columns and one label column (the last by default). Every problem becomes one ValueError
that names the line or the column and says what to do: an empty file, a header alone, a binary
file, UTF-16 or another non-UTF-8 encoding, duplicated header names, ragged lines, missing or
non-numeric cells, NaN and infinities, constant columns, one class, too many classes, and files
beyond the server's budget (MAX_FEATURES columns, MAX_ROWS rows, MAX_BYTES bytes).

Labels that are equal as numbers ("1", "1.0", "1.00", "1e0") are one class, named by the
number ("1"; "0.5" for "0.50"); the Table's ``notes`` say which spellings were merged. Any other
label, a non-integer number included, is a class of its own (too many distinct values are refused:
a continuous column is not a label).

``store(table, owner)`` writes the checked arrays to the upload folder under a name "csv:<digest>"
and records ``owner`` as one of its users; that name is a dataset like any other
(``kdviz.data.make_dataset("csv:…")``, in any process). Equal tables share one file, so
``remove(name, owner)`` only drops ``owner``: the file is deleted when its last owner is gone.
``projection(x)`` gives the 2-D picture of wider data (PCA), with a sentence saying so, and never
raises: what it cannot draw, it says in words.
"""
from __future__ import annotations

import codecs
import csv as csvlib
import fcntl
import hashlib
import io
import math
import os
import re
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from kdviz.data.registry import DatasetSpec, add_resolver

PREFIX = "csv"  # dataset names of uploads: "csv:<digest>"
MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000
MAX_FEATURES = 64
MAX_CLASSES = 20
MIN_PER_CLASS = 4  # rows a class needs so that both the train and the test split hold some
# The largest feature magnitude the statistics can hold. Features are standardised (and the preview
# projected) in float64 from the column mean and std: numpy's std sums N squared deviations, each
# up to (2B)^2 for values in [-B, B], so N (2B)^2 must stay below the largest double, ~1.8e308;
# with N = MAX_ROWS that is B < 0.5 sqrt(1.8e308 / 1e5) = 2.1e151, rounded down to a power of ten.
# (The sum behind the mean, N B, is far below the limit then.) Standardised values are z-scores,
# at most sqrt(N) ~ 316 in size, so the float32 tensors the models train on never overflow.
MAX_MAGNITUDE = 10.0 ** math.floor(math.log10(0.5 * math.sqrt(sys.float_info.max / MAX_ROWS)))
UPLOAD_DIR = Path(os.environ.get("KDVIZ_UPLOADS", Path(tempfile.gettempdir()) / "kdviz-uploads"))
BOMS = {codecs.BOM_UTF32_LE: "UTF-32", codecs.BOM_UTF32_BE: "UTF-32", codecs.BOM_UTF16_LE: "UTF-16",
        codecs.BOM_UTF16_BE: "UTF-16"}
SAVE_AS = "save it as \"CSV UTF-8 (comma delimited)\" and upload it again"


@dataclass
class Table:
    """A checked classification table: numeric features and integer labels, with their names."""

    x: np.ndarray  # (N, D) float64 features
    y: np.ndarray  # (N,) int64 labels in [0, C)
    feature_names: list[str]  # (D,)
    class_names: list[str]  # (C,) the label values as written in the file (numbers as numbers), sorted
    label: str  # the label column's name
    notes: list[str] = field(default_factory=list)  # what reading changed, in sentences (merged labels)

    @property
    def digest(self) -> str:
        """A short content hash: the same table always gets the same dataset name."""
        names = "\x00".join([*self.class_names, "\x01", *self.feature_names, "\x01", self.label])
        h = hashlib.sha256(self.x.tobytes() + self.y.tobytes() + names.encode())
        return h.hexdigest()[:16]

    def describe(self) -> str:
        """"1,234 rows, 5 features, 3 classes (label column 'species')"."""
        return (f"{len(self.y):,} rows, {self.x.shape[1]} features, {len(self.class_names)} classes "
                f"(label column {_quoted(self.label)})")


# ----------------------------------------------------------------------------- reading and checking
def _text(data: bytes) -> str:
    """The file as text: UTF-8 (with or without a BOM), or a ValueError saying what the bytes are."""
    if len(data) == 0 or not data.strip():
        raise ValueError("The file is empty: upload a CSV with a header line and one line per example.")
    if len(data) > MAX_BYTES:
        raise ValueError(f"The file has {len(data) / 2**20:.0f} MB: this server reads at most "
                         f"{MAX_BYTES // 2**20} MB. Upload a sample of the rows.")
    for bom, name in BOMS.items():
        if data.startswith(bom):
            raise ValueError(f"The file is {name} text: {SAVE_AS}.")
    if b"\x00" in data:
        raise ValueError("The file is not text (it holds binary bytes: a spreadsheet, an archive or an image "
                         "named .csv?). Export the table from your program as CSV and upload that file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ValueError(f"Line {line} is not UTF-8 text (byte 0x{data[err.start]:02x}; the file may be "
                         f"Latin-1 or Windows-1252): {SAVE_AS}.") from None


def _rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header names, [(line number, cells)]) with blank lines skipped; delimiter , ; or tab.

    Line ends may be \\n, \\r\\n or \\r alone; a line the csv reader cannot split is a ValueError."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first = text.lstrip("\n").split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csvlib.reader(io.StringIO(text), delimiter=delimiter)
    lines = []  # (the line a row starts on, its cells)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csvlib.Error as err:
            raise ValueError(f"Line {start} cannot be read as CSV ({err}): check its quotes (a quote that is "
                             "opened and never closed makes the rest of the file one cell).") from None
        if any(c.strip() for c in row):
            lines.append((start, row))
    if not lines:
        raise ValueError("The file holds no values (only separators and blank lines): upload a CSV with a header "
                         "line and one line per example.")
    header = [c.strip() for c in lines[0][1]]
    return header, lines[1:]


def _quoted(text: str, limit: int = 40) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _check_header(header: list[str], label: str | None) -> int:
    """The label column's index after checking the header names."""
    if len(header) < 2:
        raise ValueError("The header line has one column: a CSV needs at least one feature column and a label "
                         "column, separated by commas.")
    first: dict[str, int] = {}  # name -> its column (a dict: a header of a million names is checked in one pass)
    for i, name in enumerate(header):
        if not name:
            raise ValueError(f"Column {i + 1} has no name in the header line (line 1): give every column a name.")
        if name in first:
            raise ValueError(f"The header name {_quoted(name)} appears twice (columns {first[name] + 1} and "
                             f"{i + 1}): give each column its own name.")
        first[name] = i
    if label is None or label == "":
        return len(header) - 1
    if label not in header:
        more = f" and {len(header) - 10} more" if len(header) > 10 else ""
        raise ValueError(f"There is no column {_quoted(label)}; the columns are "
                         f"{', '.join(_quoted(h) for h in header[:10])}{more}.")
    return header.index(label)


def _number(cell: str, line: int, column: str) -> float:
    """One feature cell as a finite number the statistics can hold (|v| <= MAX_MAGNITUDE), or a ValueError
    naming the line and the column."""
    s = cell.strip()
    column = _quoted(column)
    if s == "" or s.lower() in ("na", "n/a", "null", "none", "?"):
        raise ValueError(f"Line {line}, column {column}: the cell is missing ({s!r}). Fill it in or drop the "
                         "row; kdviz does not guess missing values.")
    try:
        v = float(s)
    except ValueError:
        raise ValueError(f"Line {line}, column {column}: {_quoted(s)} is not a number. Features must be numeric: "
                         "encode categories as numbers (one column per category) or drop the column, or choose "
                         "it as the label column.") from None
    if not math.isfinite(v):
        raise ValueError(f"Line {line}, column {column}: {_quoted(s)} is not a finite number. Replace NaN and "
                         "infinite values, or drop the row.")
    if abs(v) > MAX_MAGNITUDE:
        raise ValueError(f"Line {line}, column {column}: {_quoted(s)} is too large for the statistics (a feature's "
                         f"size must stay within {MAX_MAGNITUDE:.0e}). Rescale the column (other units, or its "
                         "logarithm).")
    return v


def _class_of(value: str) -> tuple[tuple, str]:
    """(sort key, class name) of one label value: a number is named by its value ("1.0" and "1e0" -> "1",
    "0.50" -> "0.5"), compared exactly (Decimal, so 12345678901234567890 and ...891 stay apart); text as written."""
    try:
        d = Decimal(value)
    except InvalidOperation:
        d = None
    if d is None or not d.is_finite() or not -30 < d.adjusted() < 30:  # text, NaN, or a number no one labels with
        return (1, Decimal(0), value), value
    d = d.normalize() if d else Decimal(0)  # "-0" and "0.0" are 0
    return (0, d, ""), format(d, "f")


def _labels(values: list[str], lines: list[int], label: str) -> tuple[np.ndarray, list[str], list[str]]:
    """(y (N,) int64, class names sorted numerically when they are numbers, notes) with the class-count checks.

    Spellings of one number are one class; a note names the spellings merged."""
    for v, line in zip(values, lines):
        if v == "":
            raise ValueError(f"Line {line}: the label ({_quoted(label)}) is missing. Every row needs a class.")
    spellings: dict[str, list[str]] = {}  # class name -> the values written for it
    keys: dict[str, tuple] = {}  # class name -> its sort key
    of: dict[str, str] = {}  # value as written -> class name
    for v in sorted(set(values)):
        key, name = _class_of(v)
        of[v], keys[name] = name, key
        spellings.setdefault(name, []).append(v)
    distinct = sorted(keys, key=keys.__getitem__)
    if len(distinct) < 2:
        raise ValueError(f"The label column {_quoted(label)} holds one class ({_quoted(distinct[0])}) only: a "
                         "classifier needs rows of at least two classes.")
    if len(distinct) > MAX_CLASSES:
        raise ValueError(f"The label column {_quoted(label)} has {len(distinct):,} distinct values; kdviz classifies "
                         f"into at most {MAX_CLASSES} classes. Is it the right column (a continuous value or an id)? "
                         "Choose the label column, or group the values into classes.")
    index = {v: distinct.index(name) for v, name in of.items()}
    y = np.array([index[v] for v in values], dtype=np.int64)
    counts = np.bincount(y, minlength=len(distinct))
    for c, k in zip(distinct, counts):
        if k < MIN_PER_CLASS:
            raise ValueError(f"Class {_quoted(c)} has {k} row{'s' if k != 1 else ''}: each class needs at least "
                             f"{MIN_PER_CLASS} so that training and testing both see it. Add rows or merge it.")
    notes = [f"The labels {_listed([_quoted(v) for v in spellings[c]])} are the same number, so they are one "
             f"class, {_quoted(c)}." for c in distinct if len(spellings[c]) > 1]
    return y, distinct, notes


def _listed(items: list[str], limit: int = 4) -> str:
    """'a', 'a and b', 'a, b and c', 'a, b, c, d and 3 more'."""
    if len(items) > limit:
        return f"{', '.join(items[:limit])} and {len(items) - limit} more"
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def read_table(data: bytes, label: str | None = None) -> Table:
    """Check a CSV's bytes and return its Table; ValueError with a message naming the line or column.

    label: the label column's name (default: the last column); every other column is a feature.
    """
    header, rows = _rows(_text(data))
    if len(header) - 1 > MAX_FEATURES:  # every column but the label's is a feature
        raise ValueError(f"The file has {len(header) - 1:,} feature columns: this server trains on at most "
                         f"{MAX_FEATURES}. Drop columns or reduce them (PCA) first.")
    target = _check_header(header, label)
    if not rows:
        raise ValueError("The file holds a header line (line 1) and no data rows: add one line per example "
                         "below it.")
    if len(rows) > MAX_ROWS:
        raise ValueError(f"The file has {len(rows):,} data rows: this server trains on at most {MAX_ROWS:,}. "
                         "Upload a random sample of the rows.")
    features = [name for i, name in enumerate(header) if i != target]
    x = np.empty((len(rows), len(features)))
    values, lines = [], []
    for r, (line, cells) in enumerate(rows):
        if len(cells) != len(header):
            raise ValueError(f"Line {line} has {len(cells)} fields where the header has {len(header)}: check its "
                             "commas and quotes.")
        x[r] = [_number(c, line, name) for i, (c, name) in enumerate(zip(cells, header)) if i != target]
        values.append(cells[target].strip())
        lines.append(line)
    if len(rows) < 2 * MIN_PER_CLASS:
        raise ValueError(f"The file has {len(rows)} data row{'s' if len(rows) != 1 else ''}: a classifier needs at "
                         f"least two classes of {MIN_PER_CLASS} rows each ({2 * MIN_PER_CLASS} rows). Add rows.")
    for j, name in enumerate(features):
        if np.all(x[:, j] == x[0, j]):
            raise ValueError(f"Column {_quoted(name)} holds the same value ({x[0, j]:g}) on every row: it tells the "
                             "classes nothing. Drop the column.")
    y, classes, notes = _labels(values, lines, header[target])
    return Table(x, y, features, classes, header[target], notes)


# ----------------------------------------------------------------------------- a table as a dataset
def path_of(name: str) -> Path:
    """The file that holds the uploaded dataset ``name`` ("csv:<digest>")."""
    prefix, _, digest = name.partition(":")
    if prefix != PREFIX or not digest.isalnum():
        raise ValueError(f"{name!r} is not the name of an uploaded CSV dataset")
    return UPLOAD_DIR / f"{digest}.npz"


NAME = re.compile(rf"{PREFIX}:[0-9a-f]{{16}}")  # an upload's dataset name: the prefix and Table.digest


def names_upload(value) -> bool:
    """Whether ``value`` is meant as an uploaded CSV's dataset name (it starts with "csv:"), well formed or not."""
    return isinstance(value, str) and value.startswith(f"{PREFIX}:")


def checked_name(value: str) -> str:
    """``value`` if it is an uploaded CSV's dataset name ("csv:" and 16 hexadecimal digits, as the page's link and
    config write it); else a ValueError saying so."""
    if not NAME.fullmatch(value):
        raise ValueError(f"{_quoted(value)} is not the name of an uploaded CSV: expected {PREFIX}: and 16 "
                         "hexadecimal digits, as the page's link and config write it")
    return value


def same_table(table: Table, name: str) -> str:
    """The dataset name of ``table`` when it is the table that dataset ``name`` was made from; else a ValueError
    naming both digests (another file, or the same file read with another label column)."""
    mine = f"{PREFIX}:{table.digest}"
    if mine != name:
        raise ValueError(f"this file is {mine}, but the settings were made from {name}: another table (its rows, "
                         "columns or label column differ), so the run would not be theirs")
    return mine


OWNER = re.compile(r"[A-Za-z0-9_-]{1,64}")  # an owner's name is a file name in the owners' folder


def _owners(path: Path) -> Path:
    """The folder beside a stored file that holds one empty file per owner of it."""
    return path.with_name(f"{path.stem}.owners")


def _owner(owner: str | None) -> str:
    """The owner's file name: ``owner`` checked, or this process (one run of the command line) when None."""
    owner = f"process-{os.getpid()}" if owner is None else owner
    if not OWNER.fullmatch(owner):
        raise ValueError(f"{owner!r} is not an owner name (letters, digits, - and _; at most 64)")
    return owner


@contextmanager
def _locked():
    """Hold the upload folder's lock: owners are added and dropped one at a time, across processes."""
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    with open(UPLOAD_DIR / ".lock", "a") as f:  # never deleted, so every process locks the same file
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def store(table: Table, owner: str | None = None) -> str:
    """Keep ``table`` in the upload folder for ``owner`` and return its dataset name "csv:<digest>".

    owner: who uses the file (a session's id; default: this process). Storing one table again for
    the same owner changes nothing; an equal table stored by another owner shares the file."""
    name = f"{PREFIX}:{table.digest}"
    path, owner = path_of(name), _owner(owner)
    with _locked():
        if not path.exists():  # the name is the content's hash: a file already there holds this table
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
            np.savez(tmp, x=table.x, y=table.y, features=np.array(table.feature_names),
                     classes=np.array(table.class_names), label=np.array(table.label))
            tmp.replace(path)  # whole or absent for a worker reading it meanwhile
        _owners(path).mkdir(exist_ok=True)
        (_owners(path) / owner).touch()
    return name


def owners(name: str) -> set[str]:
    """Who keeps the stored file of dataset ``name`` (empty when it is gone)."""
    folder = _owners(path_of(name))
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def load(name: str) -> Table:
    """The stored Table of dataset ``name``; ValueError when it is gone (its last owner's session ended)."""
    try:
        with np.load(path_of(name)) as f:
            return Table(f["x"], f["y"], [str(s) for s in f["features"]], [str(s) for s in f["classes"]],
                         str(f["label"]))
    except FileNotFoundError:
        raise ValueError("The uploaded CSV is no longer on the server (its session ended): upload it again.") from None


def remove(name: str, owner: str | None = None) -> None:
    """``owner`` no longer uses dataset ``name``; the file is deleted when no owner is left (nothing of
    the upload stays on the server). Removing twice, or for an owner that never stored it, is harmless."""
    path, owner = path_of(name), _owner(owner)
    folder = _owners(path)
    with _locked():
        (folder / owner).unlink(missing_ok=True)
        if not folder.is_dir() or not any(folder.iterdir()):
            path.unlink(missing_ok=True)
            if folder.is_dir():
                folder.rmdir()


def _generator(name: str):
    def build(n: int = 0, noise: float = 0.0, seed: int = 0):
        """The stored table (``n`` and ``noise`` do not apply to recorded data)."""
        t = load(name)
        return t.x, t.y, t.class_names

    return build


def spec_of(name: str) -> DatasetSpec:
    """The DatasetSpec of an uploaded CSV, read from its stored file."""
    t = load(name)
    return DatasetSpec(name, f"Your CSV ({t.describe()})", "table", len(t.class_names), t.x.shape[1],
                       _generator(name), False)


add_resolver(PREFIX, spec_of)


def projection(x: np.ndarray) -> tuple[np.ndarray | None, str]:
    """(points (N, 2), a sentence): the data itself when it has 2 features, else its first two principal
    components; (None, why) when there is no picture to draw (too few rows, values no statistics hold)."""
    x = np.asarray(x, dtype=np.float64)  # (N, D)
    if x.ndim != 2 or len(x) < 2 or x.shape[1] < 1:
        return None, f"No picture: {x.shape[0] if x.ndim == 2 else 0} row(s) of features make no plane."
    if not np.isfinite(x).all() or np.abs(x).max() > MAX_MAGNITUDE:
        return None, (f"No picture: some values are not finite or larger than {MAX_MAGNITUDE:.0e}, beyond what "
                      "the statistics hold.")
    if x.shape[1] == 2:
        return x, "The data's two features, as they are."
    if x.shape[1] == 1:
        return np.column_stack([x[:, 0], np.zeros(len(x))]), "The data's one feature (the vertical axis is empty)."
    from sklearn.decomposition import PCA

    std = x.std(0)  # (D,)
    if not (std > 1e-12).any():
        return None, f"No picture: none of the {x.shape[1]} features varies."
    z = (x - x.mean(0)) / np.where(std > 1e-12, std, 1.0)  # (N, D) standardised
    try:
        with np.errstate(all="ignore"):  # no variance at all gives NaN shares: said in words below
            pca = PCA(n_components=2, random_state=0).fit(z)
            points, share = pca.transform(z), pca.explained_variance_ratio_  # (N, 2), (2,)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as err:
        return None, f"No picture: the projection of the {x.shape[1]} features failed ({str(err)[:120]})."
    if not (np.isfinite(points).all() and np.isfinite(share).all()):
        return None, f"No picture: the projection of the {x.shape[1]} features has no finite values."
    return points, (f"A 2-D projection of the {x.shape[1]} standardised features (PCA): the two axes hold "
                    f"{share[0]:.0%} and {share[1]:.0%} of the variance. Classes that overlap here may still be "
                    "separable in the full space.")
