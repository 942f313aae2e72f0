"""Compare paradigms and Beyond one teacher: configs, runs and summaries, without Streamlit."""
import dataclasses

import numpy as np
import pytest

from kdviz.experiments import beyond, compare
from kdviz.experiments.protocol import last
from kdviz.experiments.stats import paired, verdict_sentence
from kdviz.paradigms import NOTES
from kdviz.train import RunSnapshot


def test_parse_methods_keeps_order_and_rejects_unknown_names():
    assert compare.parse_methods("kd, dkd kd") == ("kd", "dkd")
    with pytest.raises(ValueError, match="'foo' is not a method"):
        compare.parse_methods("kd,foo")
    with pytest.raises(ValueError, match="at least 1"):
        compare.parse_methods(" , ")
    with pytest.raises(ValueError, match="leaves one class"):
        compare.validate(compare.CompareConfig(dataset="moons", omit=0))


def _snap(acc, methods=("baseline", "kd", "dkd"), seeds=3):
    k = len(methods) * seeds
    scene = compare.CompareScene(list(methods), seeds, [f"class {i}" for i in range(5)], "cpu", 0.9, 0.0)
    return compare.CompareSnapshot(1.0, 100, scene, RunSnapshot(100, {}, ["ok"] * k, []), 1.0,
                                   final={"accuracy": np.asarray(acc, float), "fidelity": np.ones(k),
                                          "kl_to_teacher": np.zeros(k), "recall": np.zeros((k, 5))},
                                   ms_per_step={m: 1.0 for m in methods})


def test_verdicts_compare_the_paired_gain_with_its_seed_spread():
    rows = compare.summarise(_snap([.70, .72, .71, .80, .81, .80, .69, .75, .70]), omit=3)
    assert [r.verdict for r in rows] == ["reference", "better", "within noise"]
    np.testing.assert_allclose(rows[1].gain, [.10, .09, .09])
    assert "KD (Hinton)" in compare.takeaway(rows) and "No difference" in compare.takeaway(rows)
    worse = compare.summarise(_snap([.7, .7, .7, .6, .61, .6, .7, .7, .7]), omit=-1)
    assert worse[1].verdict == "worse" and worse[1].recall_omitted is None


def test_compare_run_trains_every_method_and_reports_them():
    cfg = compare.CompareConfig(methods="kd,mutual,born_again,multi_teacher", steps=60, seeds=2)
    snap = last(compare.run(cfg))
    assert snap.scene.methods == ["baseline", "kd", "mutual", "born_again", "multi_teacher"]
    assert snap.grids.shape == (5, compare.GRID, compare.GRID, 5) and snap.progress == 1.0
    rows = compare.summarise(snap, cfg.omit)
    assert len(compare.table(rows)) == 5 and all(r.ms_per_step > 0 for r in rows)
    # the baseline never sees class 3, so it never predicts it; KD students may
    assert rows[0].recall_omitted == 0.0
    assert NOTES["ema"].function_name == "kdviz.paradigms.mean_teacher.mean_teacher_objective"


def test_the_compare_learning_rate_is_every_students_own():
    run, _, _ = compare.build_run(compare.CompareConfig(methods="kd,dkd", steps=60, seeds=2, lr=0.003), "cpu")
    assert [m.lr for m in run.members] == [0.003] * 6  # baseline, kd and dkd students, 2 seeds each


def test_a_stopped_compare_run_trains_nothing_more():
    snaps = compare.run(compare.CompareConfig(methods="kd", steps=60, seeds=2))
    first = next(snaps)  # the teachers' phase: nothing trained yet
    snaps.close()
    assert first.progress == 0.0


def test_beyond_run_fills_the_four_topics():
    cfg = beyond.BeyondConfig(steps=60, seeds=2, generations=2)
    s = last(beyond.run(cfg))
    assert set(s.results) == set(beyond.TOPICS)
    m = s.results["multi"]
    assert m.acc.shape == (5, 2) and 0.0 <= m.frac_disagree <= 1.0
    for g in m.rule_grids.values():
        np.testing.assert_allclose(g.sum(-1), 1.0, atol=1e-5)
    u = s.results["mutual"]
    assert u.agreement.shape == (2, 2) and np.all(u.agreement <= 1.0)
    e = s.results["ema"]
    assert e.student_acc.shape[:2] == (len(beyond.DECAYS), 2)
    d = e.distance[:, :, -1].mean(1)
    assert d[0] < d[-1]  # a slower EMA lags further behind its student
    assert s.results["born_again"].acc.shape == (3, 2)


def test_agreement_and_verdict_by_hand():
    z = np.zeros((3, 4, 2))
    z[0, :, 0] = z[1, :, 0] = 1  # members 0 and 1 predict class 0 everywhere
    z[2, :2, 0] = 1
    z[2, 2:, 1] = 1  # member 2 agrees on half
    np.testing.assert_allclose(beyond.agreement(z), [0.75, 0.75, 0.5])
    assert "within the seed spread" in verdict_sentence(paired([.5, .6], [.6, .5]), "x")
    assert "same sign" in verdict_sentence(paired([.5, .6], [.61, .7]), "x")


def test_beyond_flags_students_that_did_not_learn_instead_of_judging_them():
    from kdviz.experiments.protocol import last

    cfg = beyond.BeyondConfig(steps=60, seeds=2, generations=1)
    fine = last(beyond.run(cfg)).results
    assert all(r.failed == [] for r in fine.values())
    broken = last(beyond.run(dataclasses.replace(cfg, lr=1e3))).results  # the loss explodes or sits at chance
    for topic, r in broken.items():
        assert r.failed, topic
        assert all(": " in line and "seed" in line for line in r.failed)
        # the status each student carries into the exports says the same as the page's list (beyond.judged)
        assert sum(s != "ok" for s in r.status) == len(r.failed), topic
