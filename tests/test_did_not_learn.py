"""One rule for "did not learn" (kdviz.experiments.learned), used by every page, the command line and the sweep.

The rule on constructed held-out predictions (collapsed, chance, majority-only, NaN, healthy);
Live's collapsed students flagged in the verdict and on the page; a sweep at a learning rate of
1e6 writes a failed status; the first-load defaults of the pages are not flagged.
"""
import dataclasses
import math

import numpy as np
import pytest
import torch

from kdviz.experiments import grid, learned, live
from kdviz.experiments.protocol import last

C, PER_CLASS = 5, 40
Y = torch.arange(C).repeat_interleave(PER_CLASS)  # (200,) balanced held-out labels


def logits_for(pred: torch.Tensor) -> torch.Tensor:
    """(N, C) logits whose top-1 class is ``pred`` (N,), with margin 3."""
    return 3.0 * torch.nn.functional.one_hot(pred, C).double()


def healthy_predictions(wrong_every: int = 10) -> torch.Tensor:
    """The labels with every ``wrong_every``-th one shifted to the next class (90% accuracy)."""
    pred = Y.clone()
    pred[::wrong_every] = (pred[::wrong_every] + 1) % C
    return pred


def why(pred_or_logits, seen=None, **kw):
    z = pred_or_logits if pred_or_logits.is_floating_point() else logits_for(pred_or_logits)
    return learned.failures(z[None], Y, seen, **kw)[0]


def test_a_healthy_student_passes():
    assert why(healthy_predictions()) is None


def test_a_student_that_collapsed_seen_classes_is_flagged_though_far_above_chance():
    pred = torch.where(Y < 2, Y, torch.zeros_like(Y))  # right on classes 0 and 1, answers 0 for the rest
    pred[Y == 3] = 3
    reason = why(pred)  # accuracy 60%, three times chance
    assert reason.startswith("did not learn:") and "class 2 or class 4" in reason and "0 of 80" in reason


def test_recall_zero_on_a_class_the_student_never_saw_is_no_failure():
    pred = healthy_predictions()
    pred[Y == 3] = 2  # the omitted class: never right
    seen = np.array([True, True, True, False, True])
    assert why(pred, seen) is None
    assert "class 3" in why(pred)  # the same predictions, had it trained on class 3


def test_a_student_at_chance_or_answering_the_majority_class_is_flagged():
    rng = torch.Generator().manual_seed(0)
    assert "no better than always answering" in why(torch.randint(0, C, (len(Y),), generator=rng))
    assert "no better than always answering" in why(torch.zeros_like(Y))
    assert why(torch.zeros_like(Y), learnable=False) is None  # a market: the majority class is what models reach


def test_the_margin_is_the_binomial_noise_of_the_held_out_set():
    m, n = 0.2, len(Y)
    bar = m + learned.NOISE_SDS * math.sqrt(m * (1 - m) / n)
    recall, support = np.full(C, 0.5), np.full(C, PER_CLASS)
    assert learned.did_not_learn(bar - 1e-3, recall, support) is not None
    assert learned.did_not_learn(bar + 1e-3, recall, support) is None


def test_non_finite_outputs_and_an_exploding_loss_are_flagged():
    z = logits_for(healthy_predictions())
    z[0, 0] = float("nan")
    assert "not finite" in why(z, learnable=False)
    assert "grew from 1.61 to 40" in why(healthy_predictions(), loss=np.array([[1.61, 3.0, 40.0]]))
    assert why(healthy_predictions(), loss=np.array([[1.6, 0.4]])) is None
    assert why(healthy_predictions(), status=["diverged at step 3: loss is nan"]).startswith("diverged")


@pytest.fixture
def too_fast(monkeypatch):
    """Live's students at a learning rate of 3: at these small settings some collapse onto a few classes
    without diverging (far above chance, so an accuracy-only rule passes them)."""
    real = live.MemberConfig
    monkeypatch.setattr(live, "MemberConfig", lambda *a, **k: real(*a, **{**k, "lr": 3.0}))


LIVE_SMALL = live.LiveConfig(n=400, steps=100, seeds=2)


def test_live_flags_collapsed_students_and_does_not_judge(too_fast):
    snap = last(live.run(LIVE_SMALL))
    s = live.summarise(snap, LIVE_SMALL.omit)
    flagged = [line for line in s.diverged if "did not learn:" in line]
    assert flagged, s.diverged
    assert "Not judged" in live.verdict(s) and "within the seed spread" not in live.verdict(s)


def test_the_live_page_names_the_students_that_did_not_learn(too_fast, page_test, tmp_path, monkeypatch):
    from kdviz.experiments import cache

    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))
    cache.warm([("live", LIVE_SMALL)])  # the collapsed run, as the page shows a stored result
    at = page_test("app_pages/live.py", n="400", steps="100", seeds="2")
    assert not at.exception
    assert any("did not learn:" in w.value for w in at.warning)
    assert any("Not judged" in m.value for m in at.markdown)


def test_a_sweep_at_a_learning_rate_of_a_million_writes_a_failed_status():
    cells = [grid.Cell("blobs", 0, 3, 60, lr, 64, "16", "32", "kd", 4.0, 0.1, 0) for lr in (1e6, 0.01)]
    rows = grid.train_cells([dataclasses.asdict(c) for c in cells])
    assert rows[0]["status"] != "ok" and rows[1]["status"] == "ok"


def test_the_defaults_of_live_and_compare_are_not_flagged():
    """The first-load runs of two pages at their defaults (the rest: see each page's first-load tests)."""
    from kdviz.experiments import compare

    assert all(w is None for w in last(live.run(live.LiveConfig())).failed)
    snap = last(compare.run(compare.CompareConfig()))
    assert all(w is None for w in snap.failed)


def test_a_claim_whose_students_did_not_learn_is_not_judged(diverging):
    from kdviz.experiments import claims, findings

    diverging(claims)
    cfg = claims.ClaimsConfig(claim="hinton", dataset="blobs", steps=50, seeds=2)
    finding = last(claims.run(cfg))
    assert len(finding.failed) >= 2 and finding.failed[0].startswith("baseline student (T = 20")
    assert findings.verdict(cfg, finding).startswith("Not judged")
