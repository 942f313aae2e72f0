"""Teachers on disk: trained once, loaded by any later process with the same weights; uploads never stored."""
import torch

from kdviz.data import make_dataset
from kdviz.data.registry import Dataset
from kdviz.train import TeacherConfig, clear_teacher_cache, teacher_store, train_ensemble, train_teacher
from kdviz.train import teacher as teacher_module

CFG = TeacherConfig(hidden=(8,), steps=20, early_stopping=False)


def _refuse_training(*args, **kwargs):
    raise AssertionError("trained although the disk store holds this teacher")


def test_a_stored_teacher_is_loaded_not_trained(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))
    ds = make_dataset("blobs", n=200, seed=3)
    clear_teacher_cache()
    first = train_teacher(ds, CFG)
    assert len(list((tmp_path / "teachers").glob("teacher-*.pt"))) == 1
    clear_teacher_cache()  # a new process: nothing in memory
    monkeypatch.setattr(teacher_module, "_fit", _refuse_training)
    again = train_teacher(ds, CFG)
    assert again is not first and torch.equal(again.layers[0].weight, first.layers[0].weight)
    assert again.info["best_step"] == first.info["best_step"] and again.info["test_acc"] == first.info["test_acc"]
    assert not again.training


def test_an_ensemble_round_trips_with_its_info(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))
    ds = make_dataset("moons", n=200, seed=1)
    cfg = TeacherConfig(hidden=(8,), steps=20, early_stopping=False, members=2)
    clear_teacher_cache()
    first = train_ensemble(ds, cfg)
    clear_teacher_cache()
    monkeypatch.setattr(teacher_module, "_fit", _refuse_training)
    again = train_ensemble(ds, cfg)
    x = ds.x_test[:5]
    assert torch.equal(again(x), first(x)) and list(again.info["best_step"]) == list(first.info["best_step"])


def test_a_teacher_of_unregistered_data_never_touches_the_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))
    base = make_dataset("blobs", n=200, seed=3)
    upload = Dataset("csv:abc123", base.x_train, base.y_train, base.x_test, base.y_test, list(base.class_names))
    assert not teacher_store.storable(upload) and teacher_store.storable(base)
    clear_teacher_cache()
    train_teacher(upload, CFG)
    assert not (tmp_path / "teachers").exists()


def test_a_damaged_file_is_trained_again(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))
    ds = make_dataset("blobs", n=200, seed=4)
    clear_teacher_cache()
    first = train_teacher(ds, CFG)
    (path,) = (tmp_path / "teachers").glob("teacher-*.pt")
    path.write_bytes(b"not a teacher")
    clear_teacher_cache()
    again = train_teacher(ds, CFG)
    assert torch.equal(again.layers[0].weight, first.layers[0].weight)
