"""Digits dataset (stratified split, train-only standardisation, raw images) and the generic transforms."""
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from kdviz.data import make_dataset, names
from kdviz.data.digits import build_digits, stratified_split
from kdviz.data.registry import Dataset
from kdviz.data.transforms import UNLABELLED, few_labels, flip_labels, omit_class, standardise
from kdviz.device import available_devices

RAW = load_digits()


@pytest.fixture(scope="module")
def digits():
    return make_dataset("digits", seed=3)


# ---------------------------------------------------------------- digits
def test_registered_with_shapes_and_class_names(digits):
    assert "digits" in names()
    assert digits.n_features == 64 and digits.n_classes == 10
    assert digits.class_names == [str(d) for d in range(10)]
    sizes = [len(digits.y_train), len(digits.y_val), len(digits.y_test)]
    assert sum(sizes) == 1797
    assert digits.x_train.dtype == torch.float32 and digits.y_train.dtype == torch.int64
    assert digits.info["images_test"].shape == (sizes[2], 8, 8)


def test_splits_partition_the_images_and_keep_their_labels(digits):
    i = digits.info
    allidx = np.concatenate([i["index_train"], i["index_val"], i["index_test"]])
    assert np.array_equal(np.sort(allidx), np.arange(1797))  # disjoint and complete
    for split, idx in (("train", i["index_train"]), ("val", i["index_val"]), ("test", i["index_test"])):
        assert np.array_equal(getattr(digits, f"y_{split}").numpy(), RAW.target[idx])
    np.testing.assert_array_equal(i["images_test"], RAW.images[i["index_test"]])


def test_split_is_stratified_per_class(digits):
    counts = np.bincount(RAW.target)
    test_counts = np.bincount(digits.y_test.numpy(), minlength=10)
    val_counts = np.bincount(digits.y_val.numpy(), minlength=10)
    expected_test = np.round(counts * 0.3).astype(int)
    assert np.array_equal(test_counts, expected_test)
    assert np.array_equal(val_counts, np.round((counts - expected_test) * 0.15).astype(int))


def test_standardised_with_train_statistics_only(digits):
    i = digits.info
    scaler = StandardScaler().fit(RAW.data[i["index_train"]])  # independent oracle: zero-variance pixels scale 1
    for split in ("train", "val", "test"):
        want = scaler.transform(RAW.data[i[f"index_{split}"]])
        np.testing.assert_allclose(getattr(digits, f"x_{split}").numpy(), want, atol=1e-5)
    # the shown test image is the same example as the test row
    flat = i["images_test"].reshape(-1, 64)
    np.testing.assert_allclose((flat - i["mean"]) / i["std"], digits.x_test.numpy(), atol=1e-5)


def test_seeded_and_options():
    a, b, c = build_digits(seed=1), build_digits(seed=1), build_digits(seed=2)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not np.array_equal(a.info["index_test"], c.info["index_test"])
    no_val = build_digits(val_ratio=0.0, train_ratio=0.5)
    assert no_val.x_val is None and no_val.y_val is None
    assert len(no_val.y_test) == int(np.round(np.bincount(RAW.target) * 0.5).sum())


@pytest.mark.parametrize("kw, msg", [({"train_ratio": 1.0}, "train ratio"), ({"train_ratio": 0.0}, "train ratio"),
                                     ({"val_ratio": 1.0}, "validation ratio"),
                                     ({"val_ratio": -0.1}, "validation ratio")])
def test_bad_ratios_raise(kw, msg):
    with pytest.raises(ValueError, match=msg):
        build_digits(**kw)


def test_stratified_split_reports_empty_split():
    with pytest.raises(ValueError, match="empty split"):
        stratified_split(np.array([0, 0, 1, 1]), 0.9, 0.0, seed=0)  # round(2 * 0.1) = 0 test points


# ---------------------------------------------------------------- transforms on any Dataset
def toy(n_per_class=(30, 20, 10), seed=0) -> Dataset:
    """A small 3-class Dataset with a distinct x per row (row index in column 0) to track rows."""
    y = np.concatenate([np.full(k, c) for c, k in enumerate(n_per_class)])
    rng = np.random.default_rng(seed)
    x = np.stack([np.arange(len(y)), rng.normal(size=len(y))], axis=1).astype(np.float32)
    t = torch.from_numpy
    return Dataset("toy", t(x), t(y), t(x[:5]), t(y[:5]), ["a", "b", "c"], x_val=t(x[:4]), y_val=t(y[:4]))


def test_standardise_matches_scaler_and_uses_train_only():
    rng = np.random.default_rng(0)
    train, other = rng.normal(3, 2, (50, 3)), rng.normal(-5, 9, (20, 3))
    train[:, 2] = 7.0  # constant feature -> 0, not a division by zero
    (a, b), mean, std = standardise(train, other)
    sc = StandardScaler().fit(train)
    np.testing.assert_allclose(a, sc.transform(train), atol=1e-5)
    np.testing.assert_allclose(b, sc.transform(other), atol=1e-5)
    assert std[2] == 1.0 and np.allclose(mean, train.mean(0))


def test_omit_class_removes_only_that_class_from_train():
    ds = toy()
    out = omit_class(ds, 1)
    assert (out.y_train != 1).all() and len(out.y_train) == 40
    kept = out.x_train[:, 0].long()
    assert torch.equal(ds.y_train[kept], out.y_train)  # surviving rows keep their labels
    assert torch.equal(out.y_test, ds.y_test) and torch.equal(out.y_val, ds.y_val)
    assert len(ds.y_train) == 60 and out.info["omitted_class"] == 1  # input untouched
    for bad in (3, -1, 1.5, "a"):
        with pytest.raises(ValueError, match="class to omit"):
            omit_class(ds, bad)


def test_few_labels_keeps_n_per_class_and_marks_the_rest():
    ds = toy()
    out = few_labels(ds, 12, seed=5)
    y, y0 = out.y_train.numpy(), ds.y_train.numpy()
    assert np.array_equal(np.bincount(y[y >= 0], minlength=3), [12, 12, 10])  # class c has only 10
    assert np.array_equal(y[y >= 0], y0[y >= 0]) and (y[y < 0] == UNLABELLED).all()
    assert torch.equal(out.x_train, ds.x_train) and out.info["n_labelled"] == 34
    assert torch.equal(few_labels(ds, 12, seed=5).y_train, out.y_train)
    assert not torch.equal(few_labels(ds, 12, seed=6).y_train, out.y_train)
    with pytest.raises(ValueError, match="labels per class"):
        few_labels(ds, 0)


def test_flip_labels_flips_exactly_the_fraction_to_other_classes():
    ds = toy((400, 400, 400))
    out = flip_labels(ds, 0.3, seed=1)
    y, y0 = out.y_train.numpy(), ds.y_train.numpy()
    changed = y != y0
    assert changed.sum() == 360 and np.array_equal(changed, out.info["flipped"])
    assert torch.equal(out.y_test, ds.y_test) and torch.equal(out.y_val, ds.y_val)
    # symmetric noise: from each true class the wrong labels split about evenly between the other two
    for c in range(3):
        dest = np.bincount(y[changed & (y0 == c)], minlength=3)
        assert dest[c] == 0 and abs(dest[(c + 1) % 3] - dest[(c + 2) % 3]) < 0.35 * dest.sum()
    assert torch.equal(flip_labels(ds, 0.0).y_train, ds.y_train)
    with pytest.raises(ValueError, match="between 0 and 1"):
        flip_labels(ds, 1.5)


def test_flip_labels_leaves_unlabelled_points_alone():
    ds = few_labels(toy(), 5, seed=0)
    out = flip_labels(ds, 1.0, seed=0)
    y0, y = ds.y_train.numpy(), out.y_train.numpy()
    assert np.array_equal(y == UNLABELLED, y0 == UNLABELLED)
    assert (y[y0 >= 0] != y0[y0 >= 0]).all()


@pytest.mark.parametrize("device", available_devices())
def test_transforms_keep_the_dataset_on_its_device(device):
    ds = toy().to(device)
    ref = toy()
    for out, want in ((omit_class(ds, 0), omit_class(ref, 0)), (few_labels(ds, 3), few_labels(ref, 3)),
                      (flip_labels(ds, 0.5), flip_labels(ref, 0.5))):
        assert out.x_train.device.type == out.y_train.device.type == torch.device(device).type
        assert torch.equal(out.y_train.cpu(), want.y_train)  # same numbers on every device
