"""Temperature and gradient sweeps, and the misstatement checks, against direct computation."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from kdviz import misstatements as M
from kdviz import softening_curves as W

Z, V = [2.0, 1.0, 0.5, -1.0, 0.0], [5.0, 3.0, -1.0, -2.0, 0.0]


def test_temperature_sweep_matches_softmax_row_by_row():
    s = W.temperature_sweep(Z, [0.1, 1.0, 10.0])
    for T, row in zip(s.T, s.probs):
        assert np.allclose(row, F.softmax(torch.tensor(Z, dtype=torch.float64) / T, -1).numpy())
    assert np.all(np.diff(s.entropy) > 0) and s.max_entropy == pytest.approx(np.log(5))


def test_gradient_sweep_norms_and_limit():
    s = W.gradient_sweep(Z, V, [1.0, 10.0, 1000.0])
    for i, T in enumerate(s.T):
        g = W.autograd_soft_gradient(Z, V, T)
        assert s.norm_scaled[i] == pytest.approx(np.linalg.norm(g), rel=1e-9)
        assert s.norm_plain[i] == pytest.approx(np.linalg.norm(g) / T ** 2, rel=1e-9)
    assert s.limit_error[-1] < 1e-3 < s.limit_error[0]
    assert s.loss_scaled[-1] == pytest.approx(s.limit, rel=1e-3)


def test_vector_inputs_are_validated():
    with pytest.raises(ValueError, match="one vector"):
        W.temperature_sweep([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="differ in shape"):
        W.gradient_sweep([1.0, 2.0], [1.0, 2.0, 3.0])


def test_every_misstatement_fails_on_typical_logits_and_names_its_fix():
    checks = M.check_all(Z, V, 4.0)
    assert len(checks) == 7 and not any(c.holds for c in checks)
    grad = checks[0]
    assert grad.claimed == pytest.approx(4.0 * grad.actual)  # T^2 (p - q) is T times too big
    direction = checks[1]
    p = F.softmax(torch.tensor(Z) / 4, -1).double()
    q = F.softmax(torch.tensor(V) / 4, -1).double()
    assert direction.claimed == pytest.approx(float((q * (q / p).log()).sum()), rel=1e-5)  # it is KL(q||p)
    assert checks[3].claimed * 5 == pytest.approx(checks[3].actual)  # "mean" divides by N = 5


def test_a_claim_can_hold_when_the_numbers_say_so():
    """The uncentred limit agrees when both logit vectors already have the same mean."""
    z, v = [1.0, -1.0, 0.0], [0.5, 0.0, -0.5]
    check = M.check_all(z, v, 4.0)[4]
    assert check.holds and check.claimed == pytest.approx(check.actual, rel=1e-2)
    assert M.argmax_over_temperatures([1.0, 5.0, 2.0]) == [1, 1, 1, 1]


def test_ranking_check_survives_underflow_and_ties():
    z = [8.0, 3.0, 1.5, 0.0, -2.0]  # at T = 0.01 the smallest probabilities underflow to exactly 0
    assert (W.temperature_sweep(z, [0.01]).probs[0] == 0.0).sum() >= 2  # tied zeros: sorting probabilities fails
    assert W.ranking_never_changes(z) and W.ranking_never_changes([3.0, 3.0, 1.0])
