"""The corrected statements: each number a page prints checked against an independent computation."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from kdviz import misstatements as M
from kdviz import softening as S
from kdviz import softening_curves as W
from kdviz.experiments.beyond import ema_lag, ema_lag_sentence
from kdviz.paradigms.mean_teacher import ema_decay, ema_update


@pytest.mark.parametrize("steps, decay", [(800, 0.999), (800, 0.99), (50, 0.9), (3000, 0.999)])
def test_ema_lag_matches_a_simulated_teacher(steps, decay):
    """The student's weight walks 1, 2, ..., t; the EMA teacher (ema_update, the decay that trains) ends at t - lag."""
    teacher = torch.zeros(1, dtype=torch.float64)
    for t in range(steps):
        ema_update([teacher], [torch.full((1,), float(t + 1), dtype=torch.float64)], ema_decay(t, decay))
    assert ema_lag(steps, decay) == pytest.approx(steps - float(teacher), rel=1e-9)


def test_ema_lag_is_half_the_steps_early_and_d_over_one_minus_d_late():
    assert ema_lag(800, 0.999) == pytest.approx(399.5)  # the plain average of 800 iterates, not 1000 steps
    assert ema_lag(5000, 0.99) == pytest.approx(0.99 / 0.01, rel=1e-6)
    text = ema_lag_sentence([0.99, 0.999], [ema_lag(800, 0.99), ema_lag(800, 0.999)], 800)
    assert "400 steps" in text and "99 steps" in text and "1000" not in text


@pytest.mark.parametrize("z, v, T", [((0.0, 100.0), (100.0, 0.0), 0.1), ((1e4, -1e4), (-1e4, 1e4), 1.0),
                                     ((1e4, -1e4, 3.0), (-5.0, 1e4, 0.0), 0.1), ((500.0, -500.0), (-500.0, 500.0), 4.0)])
def test_misstatement_table_is_finite_at_extreme_logits(z, v, T):
    checks = M.check_all(z, v, T)
    for c in checks:
        assert math.isfinite(c.claimed) and math.isfinite(c.actual), c.claim
    for row in M.to_rows(checks):
        assert "nan" not in str(row.values()) and "inf" not in str(row.values())
    logp = F.log_softmax(torch.tensor(z, dtype=torch.float64) / T, -1)
    logq = F.log_softmax(torch.tensor(v, dtype=torch.float64) / T, -1)
    direction = checks[1]  # the claimed sum is KL(q || p), torch's the reverse: oracle from log-softmax
    assert direction.claimed == pytest.approx(float((logq.exp() * (logq - logp)).sum()), rel=1e-9)
    assert direction.actual == pytest.approx(float((logp.exp() * (logp - logq)).sum()), rel=1e-9)


def test_high_t_claim_uses_a_temperature_large_against_the_spread():
    """For logits of +-500 the centred limit holds; a fixed T = 1000 would call it false."""
    z, v = (500.0, -500.0, 0.0), (-480.0, 500.0, -20.0)
    check = M.check_all(z, v, 4.0)[4]
    limit = float(S.logit_matching(torch.tensor(z, dtype=torch.float64), torch.tensor(v, dtype=torch.float64)))
    assert check.holds and check.actual == pytest.approx(limit, rel=1e-3)
    fixed = 1000.0 ** 2 * float(S.kl_teacher_student(torch.tensor(z, dtype=torch.float64),
                                                      torch.tensor(v, dtype=torch.float64), 1000.0))
    assert abs(fixed - limit) / limit > 1e-2  # what the fixed T gave: the limit not yet reached


def test_seed_text_claims_alpha_and_mutual_information():
    checks = {c.claim: c for c in M.check_all([2.0, 1.0, 0.5], [5.0, 3.0, -1.0], 4.0)}
    alpha = checks["alpha = number of classes / distillation importance"]
    assert not alpha.holds and alpha.claimed == 3 and alpha.actual == 1
    y = torch.tensor([0])
    z, v = torch.tensor([[2.0, 1.0, 0.5]], dtype=torch.float64), torch.tensor([[5.0, 3.0, -1.0]], dtype=torch.float64)
    at_half = 0.5 * F.cross_entropy(z, y) + 0.5 * 16 * F.kl_div(F.log_softmax(z / 4, -1), F.softmax(v / 4, -1),
                                                                 reduction="batchmean")
    assert f"{float(at_half):.4g} at 0.5" in alpha.truth
    mi = checks["Student = argmin I(teacher output; student output)"]
    assert not mi.holds and mi.actual == 0 and mi.claimed > 0
    assert "I = 0 nats" in mi.truth and f"I = {math.log(3):.3g}" in mi.truth
    assert M.predicted_mutual_information(torch.tensor([0, 1, 2]), torch.tensor([0, 0, 0]), 3) == 0
    assert M.predicted_mutual_information(torch.tensor([0, 1, 2]), torch.tensor([2, 0, 1]), 3) == pytest.approx(math.log(3))


@pytest.mark.parametrize("T, float32_error", [(20.0, 1e-6), (1000.0, 1e-3)])
def test_displayed_kl_is_float64_where_float32_loses_it(T, float32_error):
    """float32 T^2 KL is off by > 1e-6 (float32 resolves 6e-8) at T = 20 and by > 1e-3 at T = 1000; the pages' sweeps are exact."""
    z, v = [2.0, 1.0, 0.5, -1.0, 0.0], [5.0, 3.0, -1.0, -2.0, 0.0]
    exact = T * T * float(F.kl_div(F.log_softmax(torch.tensor(z, dtype=torch.float64) / T, -1),
                                   F.log_softmax(torch.tensor(v, dtype=torch.float64) / T, -1),
                                   reduction="sum", log_target=True))
    f32 = T * T * float(S.kl_teacher_student(torch.tensor(z), torch.tensor(v), T))
    assert abs(f32 - exact) / exact > float32_error
    shown = W.gradient_sweep(torch.tensor(z), torch.tensor(v), [T]).loss_scaled[0]  # float32 input, as a page may pass
    assert shown == pytest.approx(exact, rel=1e-9)
    grad32 = S.soft_gradient(torch.tensor(z), torch.tensor(v), T).double()  # gradients stay accurate in float32
    assert torch.allclose(grad32, torch.from_numpy(W.autograd_soft_gradient(z, v, T)), rtol=1e-3, atol=1e-7)


def test_high_t_gradient_limit_is_reached_once_t_exceeds_the_spread():
    z, v = [2.0, 1.0, 0.5, -1.0, 0.0], [5.0, 3.0, -1.0, -2.0, 0.0]
    spread = W.logit_spread(z, v)
    far = W.gradient_sweep(z, v, [1e4 * spread]).norm_scaled[0]
    assert far == pytest.approx(W.high_t_gradient_norm(z, v), rel=1e-3)
    assert spread == pytest.approx(4.0)  # v centred: 5 - mean 1


def test_a_mean_that_rounds_to_zero_is_written_plus_zero():
    from kdviz.experiments.stats import paired
    assert paired([0.5, 0.5, 0.5], [0.5004, 0.4998, 0.4994]).text().startswith("+0.0 ±")


def test_transfer_calls_a_difference_clear_only_beyond_the_test_days_noise():
    """+0.9 ± 0.8 points on 500 test days (noise ±4.5) is not "a clear difference"; +9 ± 1 is."""
    from kdviz.experiments.market.transfer import TransferRow, verdict
    small = TransferRow(3, 60, np.array([0.509, 0.518, 0.502]), np.array([0.5, 0.5, 0.5]), 0.5, 0.52, 500)
    big = TransferRow(6, 120, np.array([0.59, 0.60, 0.58]), np.array([0.5, 0.5, 0.5]), 0.5, 0.52, 500)
    lines = verdict([small, big])
    assert "within the seed spread or the noise" in lines[0] and "a clear difference" in lines[1]
    assert lines[0].startswith("3 months") and "No model beats" not in lines[-1]


def test_a_failed_run_is_not_reported_within_the_seed_spread():
    from kdviz.experiments.live import Summary, verdict
    s = Summary(np.array([0.2, 0.21, 0.2]), np.array([0.7, 0.72, 0.71]), None, None, 0.3, 0.9, 0.95,
                ["KD student, seed 0: accuracy 20.0% is chance level (1/5 = 20%)"])
    text = verdict(s)
    assert "did not learn: lower the learning rate" in text and "seed spread" not in text
