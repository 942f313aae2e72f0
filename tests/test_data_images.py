"""Real image sets: the IDX reader on files the test writes (gzipped, plain, each malformed case named), the folder
layouts of Debian, torchvision and Keras, the datasets' splits and scaling, and Debian's real Fashion-MNIST."""
import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from kdviz.data import make_dataset, spec
from kdviz.data.idx import IdxError, read_idx
from kdviz.data.image_files import FASHION, FILES, ImagesInvalid, ImagesMissing, load

DEBIAN = Path("/usr/share/datasets/fashion-mnist")


def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    """An IDX file written independently of the reader: magic, big-endian sizes, big-endian values."""
    dtype = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}[code]
    head = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", s) for s in array.shape)
    return head + array.astype(dtype).tobytes()


def write_set(folder: Path, n_train: int = 40, n_test: int = 20, gz: bool = True, size: int = 28, seed: int = 0,
              labels_train: np.ndarray | None = None) -> dict:
    """Four IDX files of a small random labelled image set in ``folder``; returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {"train_images": rng.integers(0, 256, (n_train, size, size)), "test_images": rng.integers(0, 256, (n_test, size, size)),
              "train_labels": np.arange(n_train) % 10 if labels_train is None else labels_train,
              "test_labels": np.arange(n_test) % 10}
    folder.mkdir(parents=True, exist_ok=True)
    for part, stem in FILES.items():
        data = idx_bytes(np.asarray(arrays[part]))
        (folder / (stem + ".gz" if gz else stem)).write_bytes(gzip.compress(data) if gz else data)
    return arrays


@pytest.mark.parametrize("gz", [True, False])
def test_the_reader_returns_what_was_written_gzipped_or_plain(tmp_path, gz):
    values = np.arange(2 * 3 * 4, dtype=np.int64).reshape(2, 3, 4) * 7 % 256
    data = idx_bytes(values)
    path = tmp_path / "x.idx"
    path.write_bytes(gzip.compress(data) if gz else data)
    got = read_idx(path)
    assert got.shape == (2, 3, 4) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, values)


def test_the_reader_decodes_big_endian_ints_and_floats(tmp_path):
    ints, floats = np.array([1, -2, 70000]), np.array([[0.5, -1.25]])
    (tmp_path / "i").write_bytes(idx_bytes(ints, 0x0C))
    (tmp_path / "f").write_bytes(idx_bytes(floats, 0x0D))
    np.testing.assert_array_equal(read_idx(tmp_path / "i"), ints)
    np.testing.assert_array_equal(read_idx(tmp_path / "f"), floats)


@pytest.mark.parametrize("content, words", [
    (b"PK\x03\x04rest", "not an IDX file"),
    (b"", "not an IDX file"),
    (bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 0]), "unknown IDX type code 0x42"),
    (bytes([0, 0, 8, 3, 0, 0]), "truncated header"),
    (bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]), "truncated: its header says 5 values"),
    (bytes([0, 0, 8, 1, 0, 0, 0, 1, 1, 2]), "1 bytes beyond"),
    (b"\x1f\x8b\x08\x00broken gzip", "cannot be read"),
])
def test_a_malformed_file_gets_a_message_naming_it(tmp_path, content, words):
    path = tmp_path / "bad-images-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(IdxError) as e:
        read_idx(path)
    assert str(path) in str(e.value) and words in str(e.value)


@pytest.mark.parametrize("layout", ["flat", "torchvision", "keras"])
def test_each_download_layout_is_found(tmp_path, monkeypatch, layout):
    sub = {"flat": "", "torchvision": "FashionMNIST/raw", "keras": "fashion-mnist"}[layout]
    written = write_set(tmp_path / sub, gz=layout != "torchvision")
    monkeypatch.setenv("KDVIZ_FASHION_MNIST", str(tmp_path))
    got = load("fashion_mnist")
    np.testing.assert_array_equal(got.x_train, written["train_images"])
    np.testing.assert_array_equal(got.y_test, written["test_labels"])
    assert got.origin == str(tmp_path / sub).rstrip("/")


def test_keras_mnist_npz_is_read(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    x_tr, x_te = rng.integers(0, 256, (30, 28, 28), dtype=np.uint8), rng.integers(0, 256, (10, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=x_tr, y_train=np.arange(30) % 10, x_test=x_te, y_test=np.arange(10))
    monkeypatch.setenv("KDVIZ_MNIST", str(tmp_path))
    got = load("mnist")
    np.testing.assert_array_equal(got.x_test, x_te)


def test_a_missing_set_says_in_one_line_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_FASHION_MNIST", str(tmp_path / "nowhere"))
    with pytest.raises(ImagesMissing) as e:
        make_dataset("fashion_mnist")
    message = str(e.value)
    assert "\n" not in message and "apt-get install dataset-fashion-mnist" in message and "KDVIZ_FASHION_MNIST" in message


def test_labels_and_images_of_different_counts_name_both_files(tmp_path, monkeypatch):
    write_set(tmp_path, n_train=40, labels_train=np.arange(39) % 10)
    monkeypatch.setenv("KDVIZ_FASHION_MNIST", str(tmp_path))
    with pytest.raises(ImagesInvalid) as e:
        load("fashion_mnist")
    assert "40 images but 39 labels" in str(e.value)
    assert "train-images-idx3-ubyte.gz" in str(e.value) and "train-labels-idx1-ubyte.gz" in str(e.value)


def test_labels_out_of_range_are_refused(tmp_path, monkeypatch):
    write_set(tmp_path, n_train=20, labels_train=np.full(20, 12))
    monkeypatch.setenv("KDVIZ_FASHION_MNIST", str(tmp_path))
    with pytest.raises(ImagesInvalid, match="labels must be 0 to 9, found 12 to 12"):
        load("fashion_mnist")


def test_a_changed_file_is_read_again(tmp_path, monkeypatch):
    write_set(tmp_path, seed=0)
    monkeypatch.setenv("KDVIZ_FASHION_MNIST", str(tmp_path))
    first = load("fashion_mnist").x_train.copy()
    written = write_set(tmp_path, seed=1, n_train=50)
    second = load("fashion_mnist").x_train
    assert second.shape[0] == 50 and not np.array_equal(first[:1], second[:1])
    np.testing.assert_array_equal(second, written["train_images"])


def test_the_dataset_keeps_the_official_split_scaled_with_one_mean_and_std(tmp_path, monkeypatch):
    written = write_set(tmp_path, n_train=120, n_test=30)
    monkeypatch.setenv("KDVIZ_FASHION_MNIST", str(tmp_path))
    ds = make_dataset("fashion_mnist", val_ratio=0.25)
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (90, 30, 30)
    assert ds.n_features == 784 and ds.class_names[0] == "T-shirt/top" and ds.n_classes == spec("fashion_mnist").classes
    pixels = written["train_images"][ds.info["index_train"]].reshape(90, -1) / 255.0
    expected = (pixels - pixels.mean()) / pixels.std()  # float64 oracle
    np.testing.assert_allclose(ds.x_train.numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(ds.info["images_test"], written["test_images"])
    assert set(ds.info["index_train"]).isdisjoint(ds.info["index_val"])


def test_a_subset_is_stratified_seeded_and_reproducible(tmp_path, monkeypatch):
    write_set(tmp_path, n_train=200, n_test=50)
    monkeypatch.setenv("KDVIZ_FASHION_MNIST", str(tmp_path))
    a = make_dataset("fashion_mnist", n=100, seed=3, val_ratio=0.0, test_n=20)
    b = make_dataset("fashion_mnist", n=100, seed=3, val_ratio=0.0, test_n=20)
    c = make_dataset("fashion_mnist", n=100, seed=4, val_ratio=0.0, test_n=20)
    assert len(a.y_train) == 100 and len(a.y_test) == 20 and a.x_val is None
    assert np.bincount(a.y_train.numpy(), minlength=10).tolist() == [10] * 10
    np.testing.assert_array_equal(a.info["index_train"], b.info["index_train"])
    assert not np.array_equal(a.info["index_train"], c.info["index_train"])


def test_debians_fashion_mnist_is_the_real_set(monkeypatch):
    if not DEBIAN.is_dir() and os.environ.get("KDVIZ_REQUIRE_BROWSER") != "1":  # CI installs it: there it must be
        pytest.skip("Debian's dataset-fashion-mnist is not installed: sudo apt-get install dataset-fashion-mnist")
    monkeypatch.delenv("KDVIZ_FASHION_MNIST", raising=False)
    raw = load("fashion_mnist")
    assert raw.x_train.shape == (60000, 28, 28) and raw.x_test.shape == (10000, 28, 28)
    assert np.bincount(raw.y_train).tolist() == [6000] * 10 and np.bincount(raw.y_test).tolist() == [1000] * 10
    assert raw.origin == str(DEBIAN) and FASHION.class_names[9] == "Ankle boot"
