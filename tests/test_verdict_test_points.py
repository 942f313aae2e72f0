"""The paired verdict accounts for how many test points a difference is, not only for the seed spread."""
import numpy as np
import pytest

from kdviz.experiments import compare, live
from kdviz.experiments.protocol import last
from kdviz.experiments.stats import NO_DIFFERENCE, TOO_FEW, paired, sign_test, verdict_sentence
from kdviz.train import RunSnapshot

SEEDS, ROWS = 3, 45  # a 150-row CSV split 70/30


def _hits(n: int, right: float, seed: int) -> np.ndarray:
    """(SEEDS, n) per-point correctness, about ``right`` of it True."""
    return np.random.default_rng(seed).random((SEEDS, n)) < right


def _one_point_worse():
    """Baselines and KD students on 45 test points: KD loses the same single point on every seed."""
    base = _hits(ROWS, 0.8, 0)
    base[:, 0] = True
    kd = base.copy()
    kd[:, 0] = False
    return base, kd


def test_one_test_point_on_45_rows_is_too_few_to_tell():
    base, kd = _one_point_worse()
    a, b = base.mean(1), kd.mean(1)
    seeds_only = paired(a, b)
    assert seeds_only.seeds_agree and seeds_only.direction == "worse"  # -2.2 +- 0.0 points: the seeds alone say worse
    for effect in (paired(a, b, hits_a=base, hits_b=kd), paired(a, b, n_test=ROWS)):
        assert not effect.clear and effect.direction == TOO_FEW
        assert effect.points.p == pytest.approx(0.25)  # 3 discordant points, all one way: 2 / 2**3
        sentence = verdict_sentence(effect, "KD vs baseline")
        assert "too few test points to tell" in sentence and "-2.2 ± 0.0 points" in sentence


def test_compare_reads_one_test_point_as_too_few_on_its_table_and_takeaway():
    base, kd = _one_point_worse()
    acc = np.concatenate([base.mean(1), kd.mean(1)])
    scene = compare.CompareScene(["baseline", "kd"], SEEDS, ["a", "b", "c"], "cpu", 0.9, 0.0)
    snap = compare.CompareSnapshot(1.0, 100, scene, RunSnapshot(100, {}, ["ok"] * 6, []), 1.0,
                                   final={"accuracy": acc, "fidelity": np.ones(6), "kl_to_teacher": np.zeros(6),
                                          "recall": np.full((6, 3), 0.5)},
                                   ms_per_step={"baseline": 1.0, "kd": 1.0}, hits=np.concatenate([base, kd]))
    rows = compare.summarise(snap, omit=-1)
    assert rows[1].verdict == TOO_FEW
    text = compare.takeaway(rows)
    assert "Too few test points to tell" in text and "Worse" not in text
    assert compare.table(rows)[1]["verdict"] == TOO_FEW


def test_a_large_consistent_difference_gets_a_clear_verdict():
    base = _hits(600, 0.7, 1)
    kd = base | _hits(600, 0.35, 2)  # about +10 points on every seed, never a point lost
    effect = paired(base.mean(1), kd.mean(1), hits_a=base, hits_b=kd)
    assert effect.clear and effect.direction == "better" and effect.points.losses == 0
    assert effect.points.p < 1e-10
    assert "the same sign on every seed" in verdict_sentence(effect, "KD vs baseline")
    assert paired(base.mean(1), kd.mean(1), n_test=600).direction == "better"
    worse = paired(kd.mean(1), base.mean(1), hits_a=kd, hits_b=base)
    assert worse.direction == "worse"


def test_identical_predictions_say_no_difference_in_words():
    base = _hits(ROWS, 0.8, 3)
    effect = paired(base.mean(1), base.mean(1), hits_a=base, hits_b=base.copy())
    assert effect.direction == NO_DIFFERENCE and not effect.clear
    sentence = verdict_sentence(effect, "KD vs baseline")
    assert "no difference" in sentence and "same prediction on every test point" in sentence
    assert "+0.0" in sentence and "p =" not in sentence
    s = live.Summary(kd_acc=base.mean(1), base_acc=base.mean(1), kd_recall=None, base_recall=None, kd_fidelity=0.9,
                     base_fidelity=0.9, teacher_acc=0.9, diverged=[], kd_hits=base, base_hits=base)
    assert "no difference" in live.verdict(s)


def test_the_same_accuracy_reached_by_different_points_is_within_noise_not_identical():
    base = _hits(ROWS, 0.8, 4)
    base[:, 0], base[:, 1] = False, True
    kd = base.copy()
    kd[:, 0], kd[:, 1] = True, False  # on every seed one point won and one lost: the same accuracy
    effect = paired(base.mean(1), kd.mean(1), hits_a=base, hits_b=kd)
    assert not effect.diffs.any() and not effect.no_difference
    assert effect.direction == "within noise" and effect.points.wins == effect.points.losses == SEEDS


def test_seeds_that_disagree_on_many_test_points_are_within_noise_not_too_few():
    base = _hits(600, 0.8, 5)
    kd = base.copy()
    kd[0, :2] = ~base[0, :2]  # a couple of predictions differ, both ways across seeds
    kd[1, 2:4] = ~base[1, 2:4]
    effect = paired(base.mean(1), kd.mean(1), hits_a=base, hits_b=kd)
    assert not effect.seeds_agree and effect.direction == "within noise"
    assert "within the seed spread" in verdict_sentence(effect, "FitNets vs baseline")


def test_the_sign_test_is_exact_and_symmetric():
    assert sign_test(0, 0) == 1.0
    assert sign_test(6, 0) == pytest.approx(2 / 2 ** 6)
    assert sign_test(5, 0) > 0.05 >= sign_test(6, 0)  # six points one way is the least a sign test can tell
    assert sign_test(3, 7) == pytest.approx(sign_test(7, 3))
    with pytest.raises(ValueError, match="seeds, test points"):
        paired([0.5, 0.6], [0.5, 0.6], hits_a=np.ones((2, 4), bool), hits_b=np.ones((3, 4), bool))


def test_a_finished_compare_run_carries_each_students_test_points():
    cfg = compare.CompareConfig(methods="kd", steps=50, seeds=2)
    snap = last(compare.run(cfg))
    assert snap.hits.shape == (4, 600) and snap.hits.dtype == bool  # 2,000 points, 30% test
    np.testing.assert_allclose(snap.hits.mean(1), snap.final["accuracy"], atol=1e-6)  # metrics.accuracy's count
    rows = compare.summarise(snap, cfg.omit)
    assert rows[1].effect.points is not None and rows[1].effect.points.n_test == 600
