"""The convolutional teacher: its shapes and taps, its training, its disk store, and Compare distilling it into MLPs
(the setting's check, a tiny run, the command line, the budget, the page's choice)."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.testing.v1 import AppTest

from kdviz import cli
from kdviz.data import make_dataset
from kdviz.experiments import budget, compare
from kdviz.experiments.protocol import last
from kdviz.train.conv_net import CHUNK, ConvNet, image_side
from kdviz.train.conv_teacher import ConvRun, ConvTeacherConfig, fit_conv, train_conv_teacher
from kdviz.train.teacher import clear_teacher_cache
from tests.test_data_images import FILES, idx_bytes

ROOT = Path(__file__).resolve().parents[1]
TINY = ConvTeacherConfig(channels=(4, 8), hidden=16, steps=80, eval_every=20, patience=None)


def write_pattern_set(folder: Path, n_train: int = 300, n_test: int = 100, seed: int = 0) -> None:
    """A small 28x28 image set in IDX files whose class k lights rows 2k..2k+3 over noise (learnable by a CNN)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("test", n_test)):
        labels = np.arange(n) % 10
        images = rng.integers(0, 120, (n, 28, 28))
        for i, k in enumerate(labels):
            images[i, 2 * k + 2:2 * k + 6, 4:24] = 255
        for part, array in ((f"{split}_images", images), (f"{split}_labels", labels)):
            (folder / FILES[part]).write_bytes(idx_bytes(array))


@pytest.fixture
def images(tmp_path, monkeypatch):
    """fashion_mnist read from a small pattern set written for the test."""
    write_pattern_set(tmp_path / "images")
    monkeypatch.setenv("KDVIZ_FASHION_MNIST", str(tmp_path / "images"))
    clear_teacher_cache()
    yield make_dataset("fashion_mnist", n=None, seed=0)
    clear_teacher_cache()


def test_the_network_takes_pixel_rows_and_taps_its_dense_layer():
    net = ConvNet(28, 10, (4, 8), 16, seed=3)
    x = torch.randn(5, 784)
    z, taps = net.forward_taps(x)
    assert z.shape == (5, 10) and list(taps) == ["h1"] and taps["h1"].shape == (5, 16)
    assert torch.equal(net(x), z)  # forward is forward_taps's logits (same code twice)
    # h1 feeds the output layer (nn.Linear runs F.linear: the same code, so bitwise)
    assert torch.equal(F.linear(taps["h1"], net.out.weight, net.out.bias), z)
    many = torch.randn(CHUNK + 7, 784)
    with torch.no_grad():
        z_chunks, taps_chunks = net.forward_taps(many)  # evaluated CHUNK images at a time
    z_rows = torch.cat([net(many[i:i + 1]) for i in (0, CHUNK, CHUNK + 6)]).detach()  # one image at a time
    assert torch.allclose(z_chunks[[0, CHUNK, CHUNK + 6]], z_rows, atol=1e-5)
    assert taps_chunks["h1"].shape == (CHUNK + 7, 16)
    again = ConvNet(28, 10, (4, 8), 16, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), again.parameters()))
    with pytest.raises(ValueError, match="784"):
        net(torch.randn(5, 64))
    assert (image_side(784), image_side(64), image_side(2), image_side(100)) == (28, 8, None, None)


def test_training_lowers_the_loss_and_reports_its_test_accuracy(images):
    net = ConvNet(28, 10, TINY.channels, TINY.hidden, seed=0)
    x, y = images.x_train, images.y_train
    before = float(F.cross_entropy(net(x), y).detach())
    run = ConvRun(net, x, y, TINY, torch.device("cpu"))
    run.step(60)
    after = float(F.cross_entropy(run.net.eval()(x), y).detach())
    assert after < 0.5 * before, (before, after)
    teacher = fit_conv(images, TINY, torch.device("cpu"))
    hits = (teacher(images.x_test).argmax(1) == images.y_test).double().mean().item()  # a second path to accuracy
    assert teacher.info["test_acc"] == pytest.approx(hits, abs=1e-6)
    assert teacher.info["status"] == "ok" and 0 < teacher.info["best_step"] <= teacher.info["steps_run"] <= TINY.steps


def test_a_stored_teacher_reloads_with_the_same_logits(images):
    first = train_conv_teacher(images, TINY, "cpu")
    clear_teacher_cache()

    def no_training():
        raise AssertionError("the stored teacher was trained again")

    again = train_conv_teacher(images, TINY, "cpu", hook=no_training)
    assert again is not first and isinstance(again, ConvNet)
    assert torch.equal(again(images.x_test), first(images.x_test))  # same code on the same weights: bitwise
    assert again.info["test_acc"] == first.info["test_acc"]


def test_the_conv_teacher_on_a_non_image_dataset_is_one_line(tmp_path, capsys):
    with pytest.raises(ValueError) as err:
        compare.validate(compare.CompareConfig(dataset="blobs", teacher="conv"))
    assert "\n" not in str(err.value) and "needs an image dataset" in str(err.value)
    assert cli.main(["compare", "--dataset", "blobs", "--teacher", "conv", "--out", str(tmp_path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "needs an image dataset" in lines[0]


@pytest.fixture
def tiny_conv(images, monkeypatch):
    """Compare's convolutional teacher at TINY settings (on the pattern set)."""
    monkeypatch.setattr(compare, "conv_teacher_config", lambda cfg: TINY)
    return images


def test_compare_distils_the_conv_teacher_into_mlp_students(tiny_conv):
    cfg = compare.CompareConfig(dataset="fashion_mnist", teacher="conv", methods="kd,fitnet,similarity", omit=-1,
                                steps=50, seeds=2)
    snap = last(compare.run(cfg))
    teacher = train_conv_teacher(tiny_conv, TINY, "cpu")  # cached: the run's teacher
    z = teacher(tiny_conv.x_test)  # (N_test, C)
    assert snap.scene.teacher == "conv"
    assert snap.scene.teacher_test_acc == pytest.approx((z.argmax(1) == tiny_conv.y_test).double().mean().item(),
                                                        abs=1e-6)
    students, main, _ = compare.build_run(cfg, "cpu")
    assert main is teacher  # the students distil the conv teacher's logits and its dense layer
    assert torch.allclose(students.teacher.test, z, atol=1e-5)
    assert torch.allclose(students.teacher.train_taps["h1"], teacher.forward_taps(students.ds.x_train)[1]["h1"],
                          atol=1e-5)
    rows = compare.summarise(snap, cfg.omit)
    assert [r.method for r in rows] == ["baseline", "kd", "fitnet", "similarity"]
    assert all(r.verdict for r in rows) and rows[0].verdict == "reference"
    text = compare.teacher_text(snap.scene)
    assert "convolutional" in text and f"{snap.scene.teacher_test_acc:.1%}" in text


def test_the_command_line_runs_and_records_the_conv_teacher(tiny_conv, tmp_path):
    code = cli.main(["compare", "--dataset", "fashion_mnist", "--teacher", "conv", "--methods", "kd", "--omit", "-1",
                     "--steps", "50", "--seeds", "2", "--out", str(tmp_path), "--no-figures", "--progress", "none"])
    assert code == 0
    result = json.loads((tmp_path / "results.json").read_text())
    assert result["settings"]["teacher"] == "conv" and result["settings"]["dataset"] == "fashion_mnist"


def test_the_budget_counts_the_conv_teacher():
    mlp = compare.CompareConfig(dataset="fashion_mnist")
    conv = compare.CompareConfig(dataset="fashion_mnist", teacher="conv")
    extra = budget.estimate("compare", conv) - budget.estimate("compare", mlp)
    assert extra == pytest.approx(sum(loop.seconds() for loop in budget.conv_teacher()), rel=1e-9)
    assert extra > budget.conv_teacher()[0].steps * budget.STEP_SECONDS  # more than its Python overhead alone


def test_the_page_offers_the_teacher_and_checks_it():
    at = AppTest.from_file(str(ROOT / "app_pages" / "compare.py"), default_timeout=60)
    at.run()
    choice = [w for w in at.selectbox if w.label == "Teacher"]
    assert len(choice) == 1 and list(choice[0].options) == ["mlp", "conv"] and choice[0].value == "mlp"
    choice[0].select("conv").run()  # the conv teacher on the default blobs
    assert [e.value for e in at.error if "needs an image dataset" in e.value], [e.value for e in at.error]
    linked = AppTest.from_file(str(ROOT / "app_pages" / "compare.py"), default_timeout=60)
    linked.query_params.update(dataset="fashion_mnist", teacher="conv", omit="-1")  # a link to the conv teacher
    linked.run()
    assert not linked.error and [w.value for w in linked.selectbox if w.label == "Teacher"] == ["conv"]
