"""Damaged or foreign files in the cache folder: every load is a miss (logged, file deleted), never a crash.

Each kind of stored thing (a page's first-load result, a teacher, an ensemble of teachers) is
replaced by a pickle of another type, torch.save({'a': 1}), a truncated file and random bytes;
the page or the run that needs it then works and the bad file is gone.
"""
import io
import logging
import pickle

import numpy as np
import pytest
import torch

from kdviz.data import make_dataset
from kdviz.experiments import cache, live
from kdviz.experiments.protocol import Phase, last
from kdviz.models import MLP, Population
from kdviz.train import TeacherConfig, clear_teacher_cache, teacher_store, train_ensemble, train_teacher

FAST = live.LiveConfig(n=400, steps=50, seeds=2)
TEACHER = TeacherConfig(hidden=(8,), steps=20, early_stopping=False)


def _torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


BAD = {
    "a pickle of a dict": pickle.dumps({"a": 1}),
    "a pickle of another snapshot class": pickle.dumps(Phase("teacher", 1.0, "x")),
    "torch.save({'a': 1})": _torch_bytes({"a": 1}),
    "a truncated file": pickle.dumps({"x": np.arange(1000)})[:300],
    "random bytes": np.random.default_rng(0).bytes(4096),
    "an empty file": b"",
}


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))
    clear_teacher_cache()
    yield tmp_path
    clear_teacher_cache()


@pytest.mark.parametrize("content", BAD.values(), ids=BAD.keys())
def test_a_bad_stored_result_is_a_logged_miss_and_is_deleted(empty_cache, content, caplog):
    path = empty_cache / cache.key("live", FAST)
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="kdviz.storage"):
        assert cache.load("live", FAST) is None
    assert not path.exists()
    assert len([r for r in caplog.records if str(path) in r.getMessage()]) == 1


@pytest.mark.parametrize("kind", ["a pickle of a dict", "random bytes"])
def test_the_live_page_opens_over_a_bad_stored_result_and_drops_it(empty_cache, page_test, kind):
    path = empty_cache / cache.key("live", FAST)
    path.write_bytes(BAD[kind])
    at = page_test("app_pages/live.py", n="400", steps="50", seeds="2")
    assert not at.exception
    assert not any("Computed ahead" in s.value for s in at.success)
    assert not path.exists()


def test_a_bad_stored_result_is_computed_again_by_the_warm_up(empty_cache):
    path = empty_cache / cache.key("live", FAST)
    path.write_bytes(BAD["a pickle of a dict"])
    assert cache.warm([("live", FAST)]) == ["live"]
    assert isinstance(cache.load("live", FAST), live.LiveSnapshot)


def _stored_teacher_file(folder, kind: str):
    (path,) = (folder / "teachers").glob(f"{kind}-*.pt")
    return path


@pytest.mark.parametrize("content", BAD.values(), ids=BAD.keys())
def test_a_bad_stored_teacher_is_trained_again_and_replaced(empty_cache, content):
    ds = make_dataset("blobs", n=200, seed=3)
    first = train_teacher(ds, TEACHER)
    path = _stored_teacher_file(empty_cache, "teacher")
    path.write_bytes(content)
    clear_teacher_cache()  # another process: nothing in memory
    again = train_teacher(ds, TEACHER)
    assert isinstance(again, MLP)
    x = ds.x_test[:8]
    torch.testing.assert_close(again(x), first(x), rtol=0, atol=0)  # the same code trained twice
    # the bad file was replaced by a good one, which a fresh process loads
    assert isinstance(teacher_store.load(("teacher",) + _key_tail(ds, TEACHER), torch.device("cpu")), MLP)


def _key_tail(ds, cfg):
    from kdviz.train.teacher import dataset_key
    return (dataset_key(ds), cfg, "cpu")


def test_a_bad_stored_ensemble_is_trained_again(empty_cache):
    ds = make_dataset("moons", n=200, seed=1)
    cfg = TeacherConfig(hidden=(8,), steps=20, early_stopping=False, members=2)
    train_ensemble(ds, cfg)
    _stored_teacher_file(empty_cache, "ensemble").write_bytes(_torch_bytes({"a": 1}))
    clear_teacher_cache()
    assert isinstance(train_ensemble(ds, cfg), Population)


def test_a_bad_teacher_is_never_kept_in_memory_after_its_file_is_gone(empty_cache):
    """A foreign object loaded once must not stay in the process's teacher cache: deleting the folder (or
    the file) would not help until the process ends."""
    ds = make_dataset("blobs", n=200, seed=3)
    train_teacher(ds, TEACHER)
    _stored_teacher_file(empty_cache, "teacher").write_bytes(_torch_bytes({"a": 1}))
    clear_teacher_cache()
    assert isinstance(train_teacher(ds, TEACHER), MLP)
    for p in (empty_cache / "teachers").glob("*"):
        p.unlink()
    assert isinstance(train_teacher(ds, TEACHER), MLP)


def test_live_starts_over_a_bad_stored_teacher(empty_cache):
    """The run behind Start: its teacher's file holds torch.save({'a': 1}); the run trains the teacher again."""
    cfg = live.LiveConfig(n=400, steps=20, seeds=1)
    live.teacher(cfg, "cpu")
    path = _stored_teacher_file(empty_cache, "teacher")
    path.write_bytes(_torch_bytes({"a": 1}))
    clear_teacher_cache()
    snap = last(live.run(cfg))
    assert isinstance(snap, live.LiveSnapshot) and snap.final is not None
    with open(path, "rb") as f:  # the bad file was replaced by the retrained teacher's record
        record = torch.load(f, weights_only=True)
    assert set(record) == {"arrays", "info"}
