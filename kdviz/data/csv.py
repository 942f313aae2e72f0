"""Your own classification data: a CSV file checked line by line, kept as a dataset the experiments can use.

``read_table(data, label)`` turns the bytes of an uploaded (or local) CSV into a Table: numeric
feature columns and one label column (the last by default). Every problem becomes one ValueError
that names the line or the column and says what to do: an empty file, a header alone, a binary
file, UTF-16 or another non-UTF-8 encoding, duplicated header names, ragged lines, missing or
non-numeric cells, NaN and infinities, constant columns, one class, too many classes, and files
beyond the server's budget (MAX_FEATURES columns, MAX_ROWS rows, MAX_BYTES bytes).

``store(table)`` writes the checked arrays to the upload folder under a name "csv:<digest>";
that name is a dataset like any other (``kdviz.data.make_dataset("csv:…")``, in any process),
and ``remove(name)`` deletes the file again (the page does when its session ends).
``projection(x)`` gives the 2-D picture of wider data (PCA), with a sentence saying so.
"""
from __future__ import annotations

import codecs
import csv as csvlib
import hashlib
import io
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kdviz.data.registry import DatasetSpec, add_resolver

PREFIX = "csv"  # dataset names of uploads: "csv:<digest>"
MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000
MAX_FEATURES = 64
MAX_CLASSES = 20
MIN_PER_CLASS = 4  # rows a class needs so that both the train and the test split hold some
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
    class_names: list[str]  # (C,) the label values as written in the file, sorted
    label: str  # the label column's name

    @property
    def digest(self) -> str:
        """A short content hash: the same table always gets the same dataset name."""
        h = hashlib.sha256(self.x.tobytes() + self.y.tobytes() + "\x00".join(self.class_names).encode())
        return h.hexdigest()[:16]

    def describe(self) -> str:
        """"1,234 rows, 5 features, 3 classes (label column 'species')"."""
        return (f"{len(self.y):,} rows, {self.x.shape[1]} features, {len(self.class_names)} classes "
                f"(label column {self.label!r})")


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
    if b"\x00" in data[:4096]:
        raise ValueError("The file is not text (it holds binary bytes: a spreadsheet, an archive or an image "
                         "named .csv?). Export the table from your program as CSV and upload that file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ValueError(f"Line {line} is not UTF-8 text (byte 0x{data[err.start]:02x}; the file may be "
                         f"Latin-1 or Windows-1252): {SAVE_AS}.") from None


def _rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header names, [(line number, cells)]) with blank lines skipped; delimiter , ; or tab."""
    first = text.lstrip("\n").split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    lines = [(n, row) for n, row in enumerate(csvlib.reader(io.StringIO(text), delimiter=delimiter), 1)
             if any(c.strip() for c in row)]
    header = [c.strip() for c in lines[0][1]]
    return header, lines[1:]


def _check_header(header: list[str], label: str | None) -> int:
    """The label column's index after checking the header names."""
    if len(header) < 2:
        raise ValueError("The header line has one column: a CSV needs at least one feature column and a label "
                         "column, separated by commas.")
    for i, name in enumerate(header):
        if not name:
            raise ValueError(f"Column {i + 1} has no name in the header line (line 1): give every column a name.")
        if name in header[:i]:
            raise ValueError(f"The header name {name!r} appears twice (columns {header.index(name) + 1} and "
                             f"{i + 1}): give each column its own name.")
    if label is None or label == "":
        return len(header) - 1
    if label not in header:
        raise ValueError(f"There is no column {label!r}; the columns are {', '.join(map(repr, header))}.")
    return header.index(label)


def _number(cell: str, line: int, column: str) -> float:
    """One feature cell as a finite number, or a ValueError naming the line and the column."""
    s = cell.strip()
    if s == "" or s.lower() in ("na", "n/a", "null", "none", "?"):
        raise ValueError(f"Line {line}, column {column!r}: the cell is missing ({s!r}). Fill it in or drop the "
                         "row; kdviz does not guess missing values.")
    try:
        v = float(s)
    except ValueError:
        raise ValueError(f"Line {line}, column {column!r}: {s[:40]!r} is not a number. Features must be numeric: "
                         "encode categories as numbers (one column per category) or drop the column, or choose "
                         "it as the label column.") from None
    if not math.isfinite(v):
        raise ValueError(f"Line {line}, column {column!r}: {s!r} is not a finite number. Replace NaN and "
                         "infinite values, or drop the row.")
    return v


def _labels(values: list[str], lines: list[int], label: str) -> tuple[np.ndarray, list[str]]:
    """(y (N,) int64, class names sorted numerically when they are numbers) with the class-count checks."""
    for v, line in zip(values, lines):
        if v == "":
            raise ValueError(f"Line {line}: the label ({label!r}) is missing. Every row needs a class.")
    distinct = sorted(set(values), key=lambda s: (0, float(s), s) if _is_number(s) else (1, 0.0, s))
    if len(distinct) < 2:
        raise ValueError(f"The label column {label!r} holds one class ({distinct[0][:40]!r}) only: a classifier "
                         "needs rows of at least two classes.")
    if len(distinct) > MAX_CLASSES:
        raise ValueError(f"The label column {label!r} has {len(distinct):,} distinct values; kdviz classifies into "
                         f"at most {MAX_CLASSES} classes. Is it the right column (a continuous value or an id)? "
                         "Choose the label column, or group the values into classes.")
    index = {c: i for i, c in enumerate(distinct)}
    y = np.array([index[v] for v in values], dtype=np.int64)
    counts = np.bincount(y, minlength=len(distinct))
    for c, k in zip(distinct, counts):
        if k < MIN_PER_CLASS:
            raise ValueError(f"Class {c[:40]!r} has {k} row{'s' if k != 1 else ''}: each class needs at least "
                             f"{MIN_PER_CLASS} so that training and testing both see it. Add rows or merge it.")
    return y, distinct


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def read_table(data: bytes, label: str | None = None) -> Table:
    """Check a CSV's bytes and return its Table; ValueError with a message naming the line or column.

    label: the label column's name (default: the last column); every other column is a feature.
    """
    header, rows = _rows(_text(data))
    target = _check_header(header, label)
    if not rows:
        raise ValueError("The file holds a header line (line 1) and no data rows: add one line per example "
                         "below it.")
    if len(rows) > MAX_ROWS:
        raise ValueError(f"The file has {len(rows):,} data rows: this server trains on at most {MAX_ROWS:,}. "
                         "Upload a random sample of the rows.")
    features = [name for i, name in enumerate(header) if i != target]
    if len(features) > MAX_FEATURES:
        raise ValueError(f"The file has {len(features)} feature columns: this server trains on at most "
                         f"{MAX_FEATURES}. Drop columns or reduce them (PCA) first.")
    x = np.empty((len(rows), len(features)))
    values, lines = [], []
    for r, (line, cells) in enumerate(rows):
        if len(cells) != len(header):
            raise ValueError(f"Line {line} has {len(cells)} fields where the header has {len(header)}: check its "
                             "commas and quotes.")
        x[r] = [_number(c, line, name) for i, (c, name) in enumerate(zip(cells, header)) if i != target]
        values.append(cells[target].strip())
        lines.append(line)
    for j, name in enumerate(features):
        if np.all(x[:, j] == x[0, j]):
            raise ValueError(f"Column {name!r} holds the same value ({x[0, j]:g}) on every row: it tells the "
                             "classes nothing. Drop the column.")
    y, classes = _labels(values, lines, header[target])
    return Table(x, y, features, classes, header[target])


# ----------------------------------------------------------------------------- a table as a dataset
def path_of(name: str) -> Path:
    """The file that holds the uploaded dataset ``name`` ("csv:<digest>")."""
    prefix, _, digest = name.partition(":")
    if prefix != PREFIX or not digest.isalnum():
        raise ValueError(f"{name!r} is not the name of an uploaded CSV dataset")
    return UPLOAD_DIR / f"{digest}.npz"


def store(table: Table) -> str:
    """Keep ``table`` in the upload folder and return its dataset name "csv:<digest>"."""
    name = f"{PREFIX}:{table.digest}"
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    path = path_of(name)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, x=table.x, y=table.y, features=np.array(table.feature_names), classes=np.array(table.class_names),
             label=np.array(table.label))
    tmp.replace(path)
    return name


def load(name: str) -> Table:
    """The stored Table of dataset ``name``; ValueError when it is gone (its session ended)."""
    path = path_of(name)
    if not path.exists():
        raise ValueError("The uploaded CSV is no longer on the server (its session ended): upload it again.")
    with np.load(path) as f:
        return Table(f["x"], f["y"], [str(s) for s in f["features"]], [str(s) for s in f["classes"]],
                     str(f["label"]))


def remove(name: str) -> None:
    """Delete the stored file of dataset ``name`` (nothing of the upload stays on the server)."""
    path_of(name).unlink(missing_ok=True)


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


def projection(x: np.ndarray) -> tuple[np.ndarray, str]:
    """(points (N, 2), a sentence): the data itself when it has 2 features, else its first two principal components."""
    if x.shape[1] == 2:
        return x, "The data's two features, as they are."
    if x.shape[1] == 1:
        return np.column_stack([x[:, 0], np.zeros(len(x))]), "The data's one feature (the vertical axis is empty)."
    from sklearn.decomposition import PCA

    z = (x - x.mean(0)) / np.where(x.std(0) > 1e-12, x.std(0), 1.0)
    pca = PCA(n_components=2, random_state=0).fit(z)
    share = pca.explained_variance_ratio_
    return pca.transform(z), (f"A 2-D projection of the {x.shape[1]} standardised features (PCA): the two axes "
                              f"hold {share[0]:.0%} and {share[1]:.0%} of the variance. Classes that overlap here "
                              "may still be separable in the full space.")
