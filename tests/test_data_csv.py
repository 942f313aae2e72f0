"""Uploaded CSVs: every listed problem gets its own message naming the line or column; good files become datasets."""
import numpy as np
import pytest

from kdviz.data import csv as csv_data
from kdviz.data import make_dataset, spec


def table(rows: int = 40, header: str = "x1,x2,label", classes=("a", "b")) -> str:
    """A small valid CSV: two random features and a label cycling through ``classes``."""
    rng = np.random.default_rng(0)
    lines = [header] + [f"{rng.normal():.4f},{rng.normal():.4f},{classes[i % len(classes)]}" for i in range(rows)]
    return "\n".join(lines) + "\n"


def message(data: bytes | str, label=None) -> str:
    with pytest.raises(ValueError) as err:
        csv_data.read_table(data.encode() if isinstance(data, str) else data, label)
    return str(err.value)


def test_a_good_file_is_read_with_the_last_column_as_label_and_becomes_a_dataset():
    t = csv_data.read_table(table().encode())
    assert t.x.shape == (40, 2) and t.class_names == ["a", "b"] and t.label == "label"
    assert t.feature_names == ["x1", "x2"] and np.array_equal(np.bincount(t.y), [20, 20])
    name = csv_data.store(t)
    try:
        assert spec(name).classes == 2 and spec(name).two_d and spec(name).kind == "table"
        ds = make_dataset(name, seed=1, train_ratio=0.75)
        assert ds.x_train.shape == (30, 2) and ds.x_test.shape == (10, 2) and ds.class_names == ["a", "b"]
    finally:
        csv_data.remove(name)
    assert not csv_data.path_of(name).exists()
    with pytest.raises(ValueError, match="no longer on the server"):
        spec(name)


def test_a_chosen_label_column_and_numeric_labels_sorted_as_numbers():
    rng = np.random.default_rng(1)
    text = "kind,f1,f2\n" + "".join(f"{[10, 2, 1][i % 3]},{rng.normal()},{rng.normal()}\n" for i in range(30))
    t = csv_data.read_table(text.encode(), label="kind")
    assert t.class_names == ["1", "2", "10"] and t.feature_names == ["f1", "f2"]


def test_semicolons_and_a_utf8_bom_are_accepted():
    t = csv_data.read_table(b"\xef\xbb\xbf" + table().replace(",", ";").encode())
    assert t.x.shape == (40, 2) and t.feature_names[0] == "x1"


@pytest.mark.parametrize("data, expected", [
    (b"", "The file is empty"),
    (b"   \n\n", "The file is empty"),
    (b"x1,x2,label\n", "a header line (line 1) and no data rows"),
    (table(classes=("a",)), "holds one class ('a') only"),
    ("x,label\n" + "".join(f"{i % 7},{i}\n" for i in range(1000)), "has 1,000 distinct values"),
    (table().replace("0.", "zero.", 1), "Line 2, column 'x1': 'zero."),
    ("x1,x2,label\n1,NaN,a\n" + table(header="")[1:], "Line 2, column 'x2': 'NaN' is not a finite number"),
    ("x1,x2,label\n" + table(header="")[1:] + "-inf,1,b\n", "Line 42, column 'x1': '-inf' is not a finite"),
    ("x1,x2,label\n1,,a\n" + table(header="")[1:], "Line 2, column 'x2': the cell is missing"),
    ("x1,c,label\n" + "".join(f"{i},5,{'ab'[i % 2]}\n" for i in range(20)), "Column 'c' holds the same value (5)"),
    (",".join(f"f{i}" for i in range(70)) + ",y\n" + ",".join(["1"] * 71) + "\n", "70 feature columns"),
    ("x,x,label\n1,2,a\n", "The header name 'x' appears twice (columns 1 and 2)"),
    (table().encode("utf-16"), "The file is UTF-16 text"),
    (table().replace("x1", "poids\u00e9").encode("latin-1"), "Line 1 is not UTF-8 text"),
    (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4, "The file is not text"),
    ("x1,x2,label\n1,2\n", "Line 2 has 2 fields where the header has 3"),
    ("x1,x2,label\n" + "1,2,a\n" * 10 + "3,4,b\n", "Class 'b' has 1 row"),
])
def test_each_problem_has_its_own_message(data, expected):
    assert expected in message(data)


def test_more_than_100000_rows_is_beyond_the_server():
    text = "x,label\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(100_001))
    assert message(text) == ("The file has 100,001 data rows: this server trains on at most 100,000. "
                             "Upload a random sample of the rows.")


def test_an_unknown_label_column_lists_the_columns():
    assert "There is no column 'y'; the columns are 'x1', 'x2', 'label'" in message(table(), label="y")


def test_projection_is_the_data_in_2d_and_pca_beyond():
    x = np.random.default_rng(0).normal(size=(100, 5)) * [5, 1, 1, 1, 0.1]
    xy, text = csv_data.projection(x)
    assert xy.shape == (100, 2) and "PCA" in text and "5 standardised features" in text
    same, text2 = csv_data.projection(x[:, :2])
    assert np.array_equal(same, x[:, :2]) and "as they are" in text2


def test_a_sessions_uploads_are_deleted_when_it_ends():
    from ui import upload

    names = upload._Uploads()
    name = names.keep(csv_data.read_table(table().encode()))
    assert csv_data.path_of(name).exists()
    upload._forget(names, grace=0)  # what Streamlit calls when the session's cache entry is released
    assert not csv_data.path_of(name).exists()
