"""Beyond one teacher, the several-teachers topic: every sentence names the teachers as trained in the chosen regime,
what the verdict compares, and where the baseline stands against every distilled student (ties in words)."""
import re

import numpy as np
import pytest

from kdviz.experiments import beyond
from tests.test_app_paradigms import _open, _train


@pytest.fixture(scope="module")
def runs():
    """The several-teachers topic at the page's default settings, in each regime."""
    out = {}
    for regime in beyond.REGIMES:
        cfg = beyond.BeyondConfig(regime=regime)
        out[regime] = beyond.multi_teacher(cfg, beyond.students_data(cfg, "multi", beyond.data(cfg)), "cpu")
    return out


def test_default_regime_names_its_weak_teachers_as_trained(runs):
    m = runs["own"]
    assert beyond.BeyondConfig().regime == "own"
    assert m.teacher_widths == [tuple(h) for h in beyond.WEAK_TEACHERS] and m.teacher_parts == len(beyond.WEAK_TEACHERS)
    said = beyond.teachers_sentence(m)
    (width,) = {h for h in beyond.WEAK_TEACHERS}
    assert said.startswith(f"{len(beyond.WEAK_TEACHERS)} teachers, each with 1 hidden layer of {width[0]} units")
    assert "its own third of the training data" in said
    for other in beyond.TEACHER_WIDTHS:  # the plain regime's committee is not named here
        assert f"of {other[0]} units" not in said
    for a in m.teacher_acc:
        assert f"{a:.0%}" in said
    label = beyond.committee_label(m)
    assert "big" not in label and "largest" not in label  # teacher 1 is one weak teacher among equals here
    assert f"teacher 1 alone (1 hidden layer of {width[0]} units, {m.teacher_acc[0]:.0%} test accuracy)" in label


def test_plain_regime_names_its_unequal_teachers_and_the_largest(runs):
    m = runs["plain"]
    assert m.teacher_widths == [tuple(h) for h in beyond.TEACHER_WIDTHS] and m.teacher_parts == 1
    said = beyond.teachers_sentence(m)
    assert "each trained on all the training data" in said
    assert "teacher 1: 2 hidden layers of 128 units" in said and "teacher 3: 1 hidden layer of 3 units" in said
    assert "the largest" in beyond.committee_label(m)


def test_baseline_sentence_follows_the_run(runs):
    """The sentence matches the counts of correct predictions: at the defaults the baseline beats every distilled
    student (the run the sentence is about); whichever regime, the words agree with the numbers."""
    for regime, m in runs.items():
        correct = np.rint(m.acc.astype(np.float64) * m.n_test).sum(1)
        said = beyond.baseline_sentence(m)
        assert m.n_test == 600 and not m.failed and said
        if correct[0] > correct[1:].max():
            assert "beats every distilled student" in said or "has the highest accuracy" in said
        else:
            assert "beats every" not in said and "highest accuracy" not in said
    own = runs["own"]
    assert np.all(own.acc[0] > own.acc[1:])  # the defaults: the baseline above every distilled student on every seed
    base = f"{np.rint(own.acc[0].astype(np.float64) * own.n_test).sum() / own.acc[0].size / own.n_test:.1%}"
    said = beyond.baseline_sentence(own)
    assert f"**The baseline (labels alone, no KD: {base}) beats every distilled student here**" in said


def made(acc, n_test=100, failed=()) -> beyond.MultiResult:
    """A MultiResult with the given accuracies (roles x seeds) and nothing else the sentences read."""
    acc = np.asarray(acc, dtype=np.float32)
    labels = ["Baseline"] + [f"role {i}" for i in range(1, len(acc))]
    return beyond.MultiResult(None, None, {}, None, [0.7, 0.6], labels, ["baseline"] + ["kd"] * (len(acc) - 1), acc,
                              0.0, failed=list(failed), teacher_widths=[(2,), (2,)], teacher_parts=2, n_test=n_test)


def test_baseline_sentence_handles_ties_and_unclear_gaps_in_words():
    tie = beyond.baseline_sentence(made([[0.80, 0.70], [0.80, 0.70], [0.75, 0.60]]))
    assert "ties *role 1*:" in tie and "no distilled student is above it" in tie
    every = beyond.baseline_sentence(made([[0.80, 0.70], [0.80, 0.70], [0.70, 0.80]]))  # equal totals, other seeds
    assert "ties every distilled student" in every
    unclear = beyond.baseline_sentence(made([[0.80, 0.80], [0.78, 0.81], [0.50, 0.50]]))  # role 1: seeds disagree
    assert "has the highest accuracy here" in unclear and "not clearly for *role 1*" in unclear
    assert "1 correct test prediction fewer" in unclear and "role 2" not in unclear
    clear = beyond.baseline_sentence(made([[0.50, 0.50], [0.90, 0.92], [0.51, 0.49]]))
    assert clear.startswith("Above the baseline (labels alone, no KD: 50.0%) on every seed") and "*role 1*" in clear
    assert "role 2" not in clear
    noisy = beyond.baseline_sentence(made([[0.50, 0.50], [0.55, 0.47], [0.40, 0.40]]))
    assert noisy.startswith("No distilled student beats the baseline") and "2 correct test predictions more" in noisy
    assert beyond.baseline_sentence(made([[0.8, 0.8], [0.1, 0.1]], failed=["role 1, seed 0: diverged"])) == ""


def test_page_names_the_committee_of_its_regime():
    at = _train(_open("beyond.py", steps="100", seeds="2", generations="1"), "beyond")
    assert not at.exception
    text = [md.value for md in at.markdown]
    assert any(t.startswith("3 teachers, each with 1 hidden layer of 2 units") for t in text)
    assert not any("128 units" in t or "128-128" in t or "big teacher" in t for t in text)
    assert any(t.startswith("Students of the committee (averaged probabilities) vs students of teacher 1 alone")
               for t in text)
    assert any(re.search(r"baseline \(labels alone, no KD: \d+\.\d%\)", t) for t in text)
