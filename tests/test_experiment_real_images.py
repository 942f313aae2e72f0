"""The real-image experiments at small settings on a few hundred images, and their sentences on constructed snapshots
(ties, no errors, no difference), the missing-images line, and their cost estimates."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax
from scipy.stats import entropy

from kdviz.data.image_files import FASHION, ImagesMissing, locate
from kdviz.experiments import budget
from kdviz.experiments.dark_knowledge.omitted import OmittedSnapshot, errors
from kdviz.experiments.protocol import Phase, last
from kdviz.experiments.real_images import omitted, seen, teachers, threeway, width
from kdviz.experiments.real_images.page import PARTS, part_run
from kdviz.experiments.real_images.settings import RealConfig

SMALL = dict(n=300, test_n=200, teacher="quick")
needs_images = pytest.mark.skipif(locate(FASHION) is None, reason="Fashion-MNIST is not installed here "
                                  "(sudo apt-get install dataset-fashion-mnist)")
NAMES = list(FASHION.class_names)


@needs_images
def test_seen_keeps_the_teachers_test_logits_with_their_images():
    cfg = seen.SeenConfig(**SMALL)
    snaps = list(seen.run(cfg))
    assert isinstance(snaps[0], Phase)
    snap = snaps[-1]
    ds = cfg.data()
    assert snap.logits.shape == (200, 10) and snap.images.shape == (200, 28, 28) and snap.class_names == NAMES
    np.testing.assert_array_equal(snap.labels, ds.y_test.numpy())
    np.testing.assert_array_equal(snap.images, ds.info["images_test"])
    assert snap.teacher_acc == pytest.approx((snap.logits.argmax(-1) == snap.labels).mean())
    assert snap.teacher_acc > 0.5  # 10 classes: chance is 0.1
    # the most ambiguous images by an independent entropy (SciPy, float64)
    h = entropy(softmax(snap.logits.astype(np.float64), axis=-1), axis=-1)
    np.testing.assert_allclose(seen.uncertainty(snap.logits), h, rtol=1e-6)
    top = seen.ambiguous(snap.logits, 5)
    assert h[top[0]] == pytest.approx(h.max(), rel=1e-6) and np.all(np.diff(h[top]) <= 1e-9)
    assert "Most often taken for" in seen.verdict(cfg, snap) and seen.models(cfg, snap)[0]["test_images"] == 200
    # the teacher learns from every training image, the students from the n-image transfer set
    assert snap.n_train == len(cfg.teacher_data().y_train) > len(ds.y_train) == 300 - round(300 / 12)


def constructed(logits, labels) -> seen.SeenSnapshot:
    """A SeenSnapshot around given logits (N, 10) and labels (N,), blank images."""
    n = len(labels)
    return seen.SeenSnapshot(1.0, "fashion_mnist", NAMES, np.asarray(logits, np.float32), np.asarray(labels),
                             np.zeros((n, 28, 28), np.uint8), float((np.argmax(logits, -1) == labels).mean()),
                             "784-8-8-10", "constructed", 10)


def one_hot_logits(pred) -> np.ndarray:
    """Logits (N, 10) whose argmax is pred (N,)."""
    z = np.zeros((len(pred), 10))
    z[np.arange(len(pred)), pred] = 5.0
    return z


def test_what_a_class_is_taken_for_says_ties_and_never_mistaken_in_words():
    labels = np.array([6, 6, 6, 6, 0, 0, 1])
    pred = np.array([0, 2, 6, 6, 0, 0, 1])  # Shirt taken for T-shirt/top and Pullover once each: a tie
    rows = seen.taken_for(one_hot_logits(pred), labels)
    shirt = next(t for t in rows if t.cls == 6)
    assert (shirt.n, shirt.wrong, shirt.others, shirt.times) == (4, 2, [0, 2], 1)
    words = seen.taken_for_sentence(constructed(one_hot_logits(pred), labels))
    assert "Shirt → T-shirt/top and Pullover (a tie: 1 each of 4)" in words
    assert "Trouser: never mistaken (1 image)" in words
    assert "wrong most often on Shirt (50.0% of its images)" in words
    assert "every test image right" in seen.taken_for_sentence(constructed(one_hot_logits(labels), labels))


def test_equal_logits_are_the_most_ambiguous_and_ties_keep_the_lower_index():
    z = np.zeros((4, 10))
    z[0, 3] = z[3, 1] = 9.0  # images 1 and 2: equal logits, maximal entropy, a tie
    assert list(seen.ambiguous(z, 2)) == [1, 2]
    np.testing.assert_allclose(seen.uncertainty(z)[1], np.log(10), rtol=1e-12)


@needs_images
def test_threeway_counts_errors_per_seed_and_judges_the_pair():
    cfg = threeway.ThreeWayConfig(**SMALL, width=30, steps=100, seeds=2)
    snap = last(threeway.run(cfg))
    assert snap.done and snap.test_count == 200
    for role in threeway.ROLES:
        np.testing.assert_array_equal(snap.errors[role], (~snap.hits[role]).sum(-1))
    rows = threeway.students(cfg, snap)
    assert [r["role"] for r in rows] == ["baseline", "baseline", "kd", "kd"]
    assert all(r["errors"] == round((1 - r["accuracy"]) * 200) for r in rows)
    table = threeway.comparison_rows(cfg, snap, "Fashion-MNIST")
    assert [r["test errors"] for r in table[:3]] == ["67 of 10,000", "146 of 10,000", "74 of 10,000"]
    assert "MNIST" in table[0]["source"] and "Ours (Fashion-MNIST" in table[3]["source"]
    assert "KD over the baseline (test accuracy)" in threeway.verdict(cfg, snap)
    weights, k = threeway.student_weights(cfg, snap, 3)
    assert k == 3 and weights["weight"][0].shape[0] == 4


def test_threeway_with_the_same_predictions_says_no_difference():
    hits = np.ones((2, 50), bool)
    hits[:, :5] = False
    snap = threeway.ThreeWaySnapshot(1.0, 10, 10, "784-8-8-10", "784-16-16-10", 50, 3, {"baseline": np.array([5, 5]),
                                     "kd": np.array([5, 5])}, {"baseline": hits, "kd": hits.copy()},
                                     {"baseline": ["ok"] * 2, "kd": ["ok"] * 2})
    text = threeway.sentence(threeway.ThreeWayConfig(**SMALL, seeds=2), snap)
    assert "5.0 ± 0.0 alone and 5.0 ± 0.0 distilled" in text and "no difference" in text


@needs_images
def test_the_omitted_class_is_never_in_the_transfer_set_and_its_bias_is_chosen_on_validation():
    cfg = omitted.OmittedImagesConfig(**SMALL, omit=6, width=30, steps=100, seeds=2)
    snap = last(omitted.run(cfg))
    assert snap.done and snap.roles == ["baseline", "kd"] and snap.test_logits["kd"].shape == (2, 200, 10)
    assert (snap.y_val == 6).any()  # validation keeps the class: the bias is chosen there
    b = omitted.chosen_bias(snap)
    val = [errors(snap.val_logits["kd"], snap.y_val, 6, x).total.mean() for x in (0.0, b)]
    assert val[1] <= val[0]  # the chosen bias never makes the validation errors worse than none
    rows = omitted.students(cfg, snap)
    assert len(rows) == 4 and rows[0]["errors_on_omitted"] <= (snap.y_test == 6).sum()
    words = omitted.verdict(cfg, snap)
    assert "never saw an image of Shirt" in words or "Not judged" in words


def test_the_omitted_sentence_names_the_class():
    y = np.array([3, 3, 1, 1])
    z = one_hot_logits(np.array([1, 3, 1, 1]))[None].repeat(2, 0).astype(np.float32)  # (2, 4, 10)
    snap = OmittedSnapshot(1.0, 5, 5, 3, ["baseline", "kd"], {"baseline": z, "kd": z}, {"baseline": z, "kd": z}, y, y,
                           {"baseline": ["ok"] * 2, "kd": ["ok"] * 2})
    text = omitted.verdict(omitted.OmittedImagesConfig(**SMALL), snap)
    assert "never saw an image of Dress" in text and "1 of the 2 test images of Dress" in text


@needs_images
def test_the_width_sweep_trains_each_width_at_each_temperature():
    cfg = width.WidthConfig(**SMALL, widths=(8, 16), temperatures=(1.0, 4.0), steps=60, seeds=2)
    snap = last(width.run(cfg))
    assert snap.errors.shape == (2, 2, 2) and snap.baseline.shape == (2, 2) and snap.hits.shape == (2, 2, 2, 200)
    np.testing.assert_array_equal(snap.errors, (~snap.hits).sum(-1))
    rows = width.students(cfg, snap)
    assert len(rows) == 2 * (2 + 1) * 2 and {r["method"] for r in rows} == {"kd", "baseline"}
    assert "**8 units**" in width.verdict(cfg, snap) or "Not judged" in width.verdict(cfg, snap)


def test_the_width_sentence_on_ties_and_equal_errors():
    hits = np.ones((1, 3, 2, 100), bool)
    hits[..., :10] = False  # every T: 10 errors on every seed
    snap = width.WidthSnapshot(1.0, (30,), (2.5, 4.0, 8.0), 100, (~hits).sum(-1), np.array([[12, 12]]), hits,
                               {30: ["ok"] * 8})
    b = width.best(snap, 0)
    assert b["T"] == 2.5 and b["as_good"] == [4.0, 8.0] and b["worse"] == []  # a tie: the lowest T
    assert "the temperature hardly matters here" in width.width_sentence(snap, 0)
    hits2 = hits.copy()
    hits2[0, 2, :, 10:40] = False  # T = 8: 40 errors per seed, clearly worse
    snap2 = width.WidthSnapshot(1.0, (30,), (2.5, 4.0, 8.0), 100, (~hits2).sum(-1), np.array([[12, 12]]), hits2,
                                {30: ["ok"] * 8})
    assert "T = 4 not clearly worse, T = 8 clearly worse" in width.width_sentence(snap2, 0)


def test_missing_images_say_in_one_line_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_FASHION_MNIST", str(tmp_path))
    line = teachers.missing("fashion_mnist")
    assert "\n" not in line and "apt-get install dataset-fashion-mnist" in line and "KDVIZ_FASHION_MNIST" in line
    with pytest.raises(ImagesMissing):
        last(seen.run(seen.SeenConfig(**SMALL)))


def test_bad_settings_are_refused_with_a_message():
    with pytest.raises(ValueError, match="unknown image set"):
        seen.SeenConfig(image_set="cifar")
    with pytest.raises(ValueError, match="unknown teacher size"):
        threeway.ThreeWayConfig(teacher="huge")
    with pytest.raises(ValueError, match="at most 4 widths"):
        width.WidthConfig(widths=(1, 2, 3, 4, 5))


def test_every_tab_has_a_cost_and_the_page_defaults_fit_the_budget():
    for part in PARTS:
        exp, sub = part_run(RealConfig(), part)
        seconds = budget.estimate(exp.name, sub)
        assert seconds is not None and 0 < seconds <= budget.MAX_RUN_SECONDS, (part, seconds)
    full = threeway.ThreeWayConfig(n=0, teacher="full", width=800, steps=20_000)
    assert budget.estimate("real_threeway", full) > budget.MAX_RUN_SECONDS  # the full size runs from the command line


def test_every_real_image_experiment_states_its_verdict_in_exports():
    for exp in (seen.EXPERIMENT, threeway.EXPERIMENT, omitted.EXPERIMENT, width.EXPERIMENT):
        assert exp.verdict is not None and exp.students is not None and exp.page_config is not None, exp.name
