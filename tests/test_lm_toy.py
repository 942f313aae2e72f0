"""The bell curve fitted to two peaks: forward KL matches the mixture's moments (the closed-form optimum), reverse KL
keeps one peak, JSD(beta) moves from one to the other with beta."""
import pytest
import torch

from kdviz.lm.toy import GRID, fit, teacher_probs


def test_forward_kl_matches_the_mixtures_mean_and_variance():
    q = teacher_probs(4.0, 0.7)
    mean = float((q * GRID).sum())
    sd = float((q * (GRID - mean) ** 2).sum().sqrt())
    f = fit("forward KL", 4.0, 0.7, start=0.5, steps=1500)
    assert f.mu == pytest.approx(mean, abs=0.02) and f.sigma == pytest.approx(sd, rel=0.02)
    assert sd == pytest.approx((2.0 ** 2 + 0.7 ** 2) ** 0.5, rel=1e-3)  # the mixture's spread, by hand


def test_reverse_kl_settles_on_one_peak():
    f = fit("reverse KL", 4.0, 0.7, start=1.0)
    assert f.mu == pytest.approx(2.0, abs=0.05) and f.sigma == pytest.approx(0.7, rel=0.05)
    assert f.loss == pytest.approx(0.6931, abs=0.01)  # KL(one peak || both) = log 2 for peaks far apart
    mirrored = fit("reverse KL", 4.0, 0.7, start=-1.0)
    assert mirrored.mu == pytest.approx(-2.0, abs=0.05)


def test_jsd_moves_from_covering_to_seeking_as_beta_grows():
    low, high = fit("JSD", beta=0.05), fit("JSD", beta=0.95)
    assert low.sigma > 1.5 and high.sigma < 1.0 and abs(high.mu) > abs(low.mu)


def test_one_peak_is_fitted_exactly_by_every_divergence():
    for name in ("forward KL", "reverse KL", "JSD"):
        f = fit(name, gap=0.0, width=0.7, start=0.5)
        assert f.mu == pytest.approx(0.0, abs=0.02) and f.sigma == pytest.approx(0.7, rel=0.02)
        assert f.loss == pytest.approx(0.0, abs=1e-4)


@pytest.mark.parametrize("kwargs", [dict(width=0.0), dict(gap=float("nan")), dict(gap=20.0)])
def test_bad_peaks_are_refused_in_words(kwargs):
    with pytest.raises(ValueError, match="the peaks need a gap from 0 to 8 and a width from 0 to 3"):
        fit("forward KL", **kwargs)


def test_probabilities_are_distributions():
    f = fit("JSD", steps=10)
    assert float(f.probs.sum()) == pytest.approx(1.0) and float(teacher_probs().sum()) == pytest.approx(1.0)
    assert torch.all(f.probs >= 0)
