"""Hostile CSVs get one clear message each; numbers spelt differently are one class; the preview never raises;
a stored upload is shared by its owners and deleted only when the last one leaves, in any process."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kdviz.data import csv as csv_data
from kdviz.data.registry import split_standardise

ROOT = Path(__file__).resolve().parents[1]


def rows(labels, features: int = 2, seed: int = 0) -> str:
    """A CSV with ``features`` random columns and the given label cells, one row each."""
    rng = np.random.default_rng(seed)
    head = ",".join(f"x{j}" for j in range(features)) + ",label\n"
    return head + "".join(",".join(f"{v:.5f}" for v in rng.normal(size=features)) + f",{c}\n" for c in labels)


def message(data: bytes | str, label=None) -> str:
    with pytest.raises(ValueError) as err:
        csv_data.read_table(data.encode() if isinstance(data, str) else data, label)
    return str(err.value)


# ----------------------------------------------------------------------------- labels
def test_labels_equal_as_numbers_are_one_class_and_a_note_says_so():
    t = csv_data.read_table(rows(["1", "1.0", "1.00", "2", "1e0", "2.0"] * 4).encode())
    assert t.class_names == ["1", "2"]
    assert np.array_equal(np.bincount(t.y), [16, 8])
    assert t.notes == ["The labels '1', '1.0', '1.00' and '1e0' are the same number, so they are one class, '1'.",
                       "The labels '2' and '2.0' are the same number, so they are one class, '2'."]


def test_non_integer_numbers_merge_by_value_and_distinct_numbers_stay_apart():
    t = csv_data.read_table(rows(["0.5", "0.50", "-0", "0.0", "12345678901234567890", "12345678901234567891"] * 4)
                            .encode())
    # 12345678901234567890 and ...891 are one float64, but they are different numbers: two classes
    assert t.class_names == ["0", "0.5", "12345678901234567890", "12345678901234567891"]
    assert np.array_equal(np.bincount(t.y), [8, 8, 4, 4])


def test_text_labels_are_kept_as_written_and_cut_in_messages():
    odd = ['"a, ""b""\nc"', "<b>x</b> *md* $x$"]
    t = csv_data.read_table(rows(odd * 4).encode())
    assert t.class_names == ["<b>x</b> *md* $x$", 'a, "b"\nc'] and t.notes == []
    long = "z" * 5000
    said = message(rows(["a"] * 4 + [long] * 3 + ["b"] * 4))
    assert said.startswith("Class 'zzzz") and len(said) < 300


# ----------------------------------------------------------------------------- feature magnitude
def test_values_beyond_what_the_statistics_hold_are_refused_naming_line_and_column():
    text = rows(["a", "b"] * 5, features=3).splitlines()
    text[4] = "0.5,1e308,0.25,b"
    said = message("\n".join(text) + "\n")
    assert said.startswith("Line 5, column 'x1': '1e308' is too large for the statistics")


def test_the_magnitude_bound_keeps_standardisation_and_the_projection_finite():
    big = csv_data.MAX_MAGNITUDE
    n = csv_data.MAX_ROWS
    x = np.where(np.arange(n)[:, None] % 2 == 0, big, -big) * np.array([[1.0, 0.5, -1.0]])  # (N, 3) at the bound
    x[::3, 1] = big
    ds = split_standardise("t", x, np.arange(n) % 2, ["a", "b"], 0.7, 0)
    assert np.isfinite(ds.x_train.numpy()).all() and np.isfinite(ds.x_test.numpy()).all()
    points, said = csv_data.projection(x[:5000])
    assert points is not None and np.isfinite(points).all() and "PCA" in said
    # ten times the bound: the sum of squares in the std would pass the largest double
    with np.errstate(over="ignore"):
        assert not np.isfinite(np.std(np.where(np.arange(n) % 2 == 0, 10 * big, -10 * big)))


@pytest.mark.parametrize("x", [
    np.full((10, 3), np.nan),
    np.array([[1e308, 1.0, 2.0], [1e308, 2.0, 1.0], [-1e308, 0.0, 0.0], [1e308, 5.0, 1.0]]),
    np.array([[np.inf, 1.0, 2.0], [0.0, 2.0, 1.0], [1.0, 0.0, 0.0]]),
    np.ones((1, 5)),
    np.ones((20, 4)),  # every column constant: no variance to share
    np.zeros((0, 3)),
])
def test_the_projection_never_raises_and_says_why_in_words(x):
    points, said = csv_data.projection(x)
    assert points is None and said.startswith("No picture:")


# ----------------------------------------------------------------------------- one clear message each
@pytest.mark.parametrize("data, expected", [
    (b",,,\n,,\n", "The file holds no values (only separators and blank lines)"),
    (b"x1,x2,label\n1,2,a\n", "The file has 1 data row: a classifier needs at least two classes of 4 rows each"),
    (rows(["a", "b"] * 300).encode() + b"1,2,\x00a\n", "The file is not text"),
    (b"x1,x2,label\n\"" + b"9" * 200_000 + b"\",1,a\n", "Line 2 cannot be read as CSV"),
    (("x,label\n" + "".join(f"{i},{i}\n" for i in range(10_000))).encode(), "has 10,000 distinct values"),
    (("q" * 100_000 + ",q" * 2 + ",label\n1,2,3,a\n").encode(), "appears twice"),
])
def test_each_hostile_file_gets_one_message(data, expected):
    said = message(data)
    assert expected in said and len(said) < 400 and "\n" not in said


def test_old_mac_line_ends_are_read_like_any_other():
    t = csv_data.read_table(rows(["a", "b"] * 6).replace("\n", "\r").encode())
    assert t.x.shape == (12, 2) and t.class_names == ["a", "b"]


def test_an_unknown_label_among_many_columns_lists_a_few():
    said = message(",".join(f"f{i}" for i in range(60)) + ",y\n" + ",".join(["1"] * 61) + "\n", label="nope")
    assert "There is no column 'nope'; the columns are 'f0', 'f1'" in said and "and 51 more" in said


# ----------------------------------------------------------------------------- owners of a stored file
def table(seed: int = 3):
    return csv_data.read_table(rows(["a", "b"] * 6, seed=seed).encode())


@pytest.fixture
def uploads(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_data, "UPLOAD_DIR", tmp_path)
    return tmp_path


def test_one_file_for_two_owners_is_deleted_only_when_the_last_leaves_in_any_process(uploads):
    name = csv_data.store(table(), "sessionA")
    assert csv_data.store(table(), "sessionB") == name
    assert csv_data.owners(name) == {"sessionA", "sessionB"}
    csv_data.remove(name, "sessionA")
    # B's run in a worker process loads the file by name, then B's session ends in that process
    script = ("from kdviz.data import csv, make_dataset; d = make_dataset(%r, seed=0); "
              "assert d.x_train.shape[1] == 2, d; csv.remove(%r, 'sessionB')" % (name, name))
    env = {**os.environ, "KDVIZ_UPLOADS": str(uploads), "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not csv_data.path_of(name).exists() and csv_data.owners(name) == set()
    with pytest.raises(ValueError, match="no longer on the server"):
        csv_data.load(name)
    assert sorted(p.name for p in uploads.iterdir()) == [".lock"]  # nothing of the upload is left


def test_storing_the_same_file_twice_is_one_owner_and_leaks_nothing(uploads):
    name = csv_data.store(table(), "sessionA")
    assert csv_data.store(table(), "sessionA") == name
    assert csv_data.owners(name) == {"sessionA"}
    csv_data.remove(name, "sessionA")
    assert not csv_data.path_of(name).exists()
    csv_data.remove(name, "sessionA")  # a second release of a gone file is harmless
    assert sorted(p.name for p in uploads.iterdir()) == [".lock"]


def test_a_release_of_an_owner_that_never_stored_it_keeps_the_file(uploads):
    name = csv_data.store(table(), "sessionA")
    csv_data.remove(name, "stranger")
    assert csv_data.load(name).x.shape == (12, 2)
    with pytest.raises(ValueError, match="not an owner name"):
        csv_data.store(table(), "../escape")


def test_sessions_on_the_page_share_an_upload_until_the_last_one_ends(uploads):
    from ui import upload

    a, b = upload._Uploads(), upload._Uploads()
    name = a.keep(table())
    assert a.keep(table()) == name and b.keep(table()) == name  # a rerun of A's page stores it again
    upload._forget(a, grace=0)  # what Streamlit calls when A's session is released
    assert csv_data.load(name).class_names == ["a", "b"]  # B's queued run still finds its data
    upload._forget(b, grace=0)
    assert not csv_data.path_of(name).exists()


def test_a_dropped_connection_keeps_the_upload_for_the_reconnection_window(uploads):
    from ui import upload

    first = upload._reclaim("reconnects")
    name = first.keep(table())
    upload._forget(first, grace=60)  # the websocket dropped
    timer, _ = upload._LEAVING["reconnects"]
    assert upload._reclaim("reconnects") is first  # it came back: same uploads, the drop cancelled
    timer.join(timeout=10)
    assert not timer.is_alive() and csv_data.owners(name) == {"reconnects"}

    upload._forget(first, grace=0.05)  # dropped again, and never back
    timer, _ = upload._LEAVING["reconnects"]
    timer.join(timeout=30)
    assert not timer.is_alive() and not csv_data.path_of(name).exists()
    assert "reconnects" not in upload._LEAVING
