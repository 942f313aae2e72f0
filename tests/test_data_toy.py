"""Toy 2-D datasets: shapes, classes, seeding, the rules that define each set, bad options, no network."""
import socket

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import datasets as skd

from kdviz.data import make_dataset, names, spec
from kdviz.data import toy

TOYS = {"blobs": 5, "moons": 2, "circles": 2, "spiral": 3, "xor": 2, "checkerboard": 2}


def test_every_toy_set_is_registered_generators_first_with_its_spec():
    assert list(names())[:len(TOYS)] == list(TOYS) == names("toy")
    for name, classes in TOYS.items():
        s = spec(name)
        x, y, class_names = s.build(n=50, noise=0.1, seed=0)
        assert s.classes == classes == len(class_names) and s.two_d and x.shape[1] == s.features
    with pytest.raises(ValueError, match="unknown dataset 'nope'"):
        spec("nope")


@pytest.mark.parametrize("name,classes", TOYS.items())
def test_shapes_labels_and_class_names(name, classes):
    x, y, class_names = toy.__dict__[name](n=101, noise=0.1, seed=3)
    assert x.shape == (101, 2) and y.shape == (101,)
    assert np.isfinite(x).all() and y.dtype == np.int64
    assert len(class_names) == classes and set(np.unique(y)) == set(range(classes))


@pytest.mark.parametrize("name", TOYS)
def test_same_seed_same_points_other_seed_other_points(name):
    fn = toy.__dict__[name]
    a, b, c = fn(n=60, noise=0.1, seed=1), fn(n=60, noise=0.1, seed=1), fn(n=60, noise=0.1, seed=2)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("name", TOYS)
def test_generated_without_network(name, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a toy dataset tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    ds = make_dataset(name, n=50, noise=0.1, seed=0)
    assert ds.n_features == 2 and len(ds.x_train) + len(ds.x_test) == 50


def test_moons_and_circles_are_sklearns():
    x, y, _ = toy.moons(n=80, noise=0.2, seed=5)
    xr, yr = skd.make_moons(n_samples=80, noise=0.2, random_state=5)
    assert np.array_equal(x, xr) and np.array_equal(y, yr)
    x, y, _ = toy.circles(n=80, noise=0.05, seed=5, factor=0.3)
    xr, yr = skd.make_circles(n_samples=80, noise=0.05, factor=0.3, random_state=5)
    assert np.array_equal(x, xr) and np.array_equal(y, yr)


def test_xor_and_checkerboard_labels_follow_their_rule_without_noise():
    x, y, _ = toy.xor(n=500, noise=0.0, seed=0)
    assert np.array_equal(y, (np.sign(x[:, 0]) == np.sign(x[:, 1])).astype(int))
    x, y, _ = toy.checkerboard(n=500, noise=0.0, seed=0, tiles=3)
    assert np.array_equal(y, (np.floor(x[:, 0] * 3) + np.floor(x[:, 1] * 3)).astype(int) % 2)


def test_spiral_arms_are_balanced_and_inside_the_unit_disc_without_noise():
    x, y, names_ = toy.spiral(n=301, noise=0.0, seed=0, arms=4)
    assert np.bincount(y).tolist() == [76, 75, 75, 75] and names_ == ["arm 0", "arm 1", "arm 2", "arm 3"]
    r = np.hypot(x[:, 0], x[:, 1])
    assert r.min() >= 0.05 - 1e-12 and r.max() <= 1.0 + 1e-12


def test_blob_centres_are_uniform_in_the_square_and_drawn_from_the_seed():
    x, y, _ = toy.blobs(n=1000, noise=0.0, seed=4, classes=5, spread=0.01)
    means = np.stack([x[y == c].mean(0) for c in range(5)])
    expected = np.random.default_rng(4).uniform(-2.0, 2.0, size=(5, 2))
    assert np.allclose(means, expected, atol=0.01)
    other = np.stack([toy.blobs(n=1000, noise=0.0, seed=5, spread=0.01)[0][:5]])
    assert not np.allclose(other, x[:5])
    assert np.bincount(y).tolist() == [200] * 5


def test_blob_spread_sets_the_standard_deviation():
    x, y, _ = toy.blobs(n=5000, noise=0.0, seed=0, classes=2, spread=0.7)
    centred = np.concatenate([x[y == c] - x[y == c].mean(0) for c in range(2)])
    assert abs(centred.std() - 0.7) < 0.03


@pytest.mark.parametrize("call,message", [
    (lambda: toy.moons(n=9), "between 10"),
    (lambda: toy.moons(n=10.5), "whole number"),
    (lambda: toy.xor(n=50, noise=-0.1), "noise must be a finite number >= 0"),
    (lambda: toy.xor(n=50, noise=float("nan")), "noise"),
    (lambda: toy.blobs(n=50, classes=1), "number of classes"),
    (lambda: toy.blobs(n=50, spread=0.0), "spread"),
    (lambda: toy.spiral(n=50, arms=1), "spiral arms"),
    (lambda: toy.checkerboard(n=50, tiles=1), "tiles"),
    (lambda: toy.circles(n=50, factor=1.5), "factor"),
])
def test_bad_options_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_make_dataset_splits_and_standardises_a_toy_set():
    ds = make_dataset("blobs", n=400, noise=0.1, seed=0, train_ratio=0.75, classes=4)
    assert len(ds.x_train) == 300 and ds.n_classes == 4 and ds.class_names[0] == "class 0"
    assert np.allclose(ds.x_train.mean(0).numpy(), 0, atol=1e-5)
    assert np.allclose(ds.x_train.std(0, unbiased=False).numpy(), 1, atol=1e-4)


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(sorted(TOYS)), n=st.integers(10, 400), seed=st.integers(0, 2**31 - 1),
       noise=st.floats(0.0, 1.0))
def test_any_valid_request_gives_n_labelled_points(name, n, seed, noise):
    x, y, class_names = toy.__dict__[name](n=n, noise=noise, seed=seed)
    assert x.shape == (n, 2) and np.isfinite(x).all()
    assert y.min() >= 0 and y.max() < len(class_names)
