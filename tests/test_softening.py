"""kdviz.softening against independent oracles: torch.nn.functional, autograd, float64 references."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kdviz import softening as S

DT = torch.float64
temps = st.floats(min_value=0.01, max_value=1e4)
finite = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)


def logit_arrays(n_min=2, n_max=8, rows=3):
    """Hypothesis strategy: (rows, N) float64 logits, adversarial magnitudes up to |1e4|."""
    return st.integers(n_min, n_max).flatmap(lambda n: arrays(np.float64, (rows, n), elements=finite))


def pair(seed=0, b=6, n=5, scale=3.0):
    """Random student/teacher logits and labels in float64."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(b, n, generator=g, dtype=DT) * scale
    v = torch.randn(b, n, generator=g, dtype=DT) * scale
    y = torch.randint(0, n, (b,), generator=g)
    return z, v, y


# ---------------------------------------------------------------- basics vs torch.nn.functional
@given(logit_arrays(), temps)
@settings(max_examples=60, deadline=None)
def test_softmax_matches_functional_and_is_finite(x, T):
    z = torch.from_numpy(x)
    p = S.softmax_t(z, T)
    assert torch.isfinite(p).all()
    assert torch.allclose(p, F.softmax(z / T, -1), atol=1e-12)
    assert torch.allclose(p.sum(-1), torch.ones(z.shape[0], dtype=DT))
    assert torch.isfinite(S.entropy(z, T)).all()


@given(logit_arrays(), logit_arrays(), temps)
@settings(max_examples=60, deadline=None)
def test_kl_equals_kl_div_batchmean_and_is_finite(a, b, T):
    n = min(a.shape[1], b.shape[1])
    z, v = torch.from_numpy(a[:, :n]), torch.from_numpy(b[:, :n])
    kl = S.kl_teacher_student(z, v, T)
    ref = F.kl_div(F.log_softmax(z / T, -1), F.log_softmax(v / T, -1), reduction="none", log_target=True).sum(-1)
    assert torch.isfinite(kl).all() and (kl >= -1e-9).all()
    assert torch.allclose(kl, ref, rtol=1e-9, atol=1e-9)
    assert torch.isfinite(S.kd_loss(z, v, torch.zeros(3, dtype=torch.long), T, 0.3).total)


def test_kl_direction_is_teacher_as_target():
    z, v, _ = pair()
    q, p = F.softmax(v, -1), F.softmax(z, -1)
    forward = (q * (q.log() - p.log())).sum(-1)  # KL(q || p)
    assert torch.allclose(S.kl_teacher_student(z, v), forward)
    assert torch.allclose(S.kl_student_teacher(z, v), (p * (p.log() - q.log())).sum(-1))
    assert not torch.allclose(forward, S.kl_student_teacher(z, v))


def test_entropy_and_cross_entropy_against_references():
    z, v, y = pair(1)
    p = F.softmax(z / 2, -1)
    assert torch.allclose(S.entropy(z, 2.0), -(p * p.log()).sum(-1))
    assert torch.allclose(S.cross_entropy(z, y), F.cross_entropy(z, y, reduction="none"))
    # H(q, p) = KL(q||p) + H(q)
    assert torch.allclose(S.soft_cross_entropy(z, v, 3.0), S.kl_teacher_student(z, v, 3.0) + S.entropy(v, 3.0))


# ---------------------------------------------------------------- the KD loss
@pytest.mark.parametrize("T,alpha", [(1.0, 0.0), (4.0, 0.1), (20.0, 0.5), (0.5, 1.0)])
def test_kd_loss_matches_the_functional_recipe(T, alpha):
    z, v, y = pair(2)
    out = S.kd_loss(z, v, y, T, alpha)
    soft = F.kl_div(F.log_softmax(z / T, -1), F.softmax(v / T, -1), reduction="batchmean") * T * T
    hard = F.cross_entropy(z, y)
    assert torch.allclose(out.soft, soft) and torch.allclose(out.hard, hard)
    assert torch.allclose(out.total, alpha * hard + (1 - alpha) * soft)


def test_reduction_mean_is_the_wrong_batchmean():
    """reduction="mean" also divides by N: the bug this module avoids."""
    z, v, y = pair(3, n=10)
    with pytest.warns(UserWarning):  # torch itself warns that "mean" is not the KL
        wrong = F.kl_div(F.log_softmax(z, -1), F.softmax(v, -1), reduction="mean")
    right = S.kd_loss(z, v, y, 1.0, 0.0).soft
    assert torch.allclose(wrong * 10, right)
    assert not torch.allclose(wrong, right)


# ---------------------------------------------------------------- gradients vs autograd
@given(logit_arrays(n_max=6, rows=2), logit_arrays(n_max=6, rows=2), st.floats(0.05, 1000.0))
@settings(max_examples=60, deadline=None)
def test_soft_gradient_identities_match_autograd(a, b, T):
    n = min(a.shape[1], b.shape[1])
    z = torch.from_numpy(a[:, :n] / 100).requires_grad_(True)  # moderate logits: autograd stays exact
    v = torch.from_numpy(b[:, :n] / 100)
    kl = S.kl_teacher_student(z, v, T).sum()
    (g,) = torch.autograd.grad(kl, z)
    assert torch.allclose(S.soft_gradient(z.detach(), v, T, t_squared=False), g, atol=1e-10, rtol=1e-6)
    (g2,) = torch.autograd.grad(T * T * S.kl_teacher_student(z, v, T).sum(), z)
    assert torch.allclose(S.soft_gradient(z.detach(), v, T, t_squared=True), g2, atol=1e-10, rtol=1e-6)


def test_t_squared_times_difference_is_not_the_gradient():
    z, v, _ = pair(4)
    z.requires_grad_(True)
    T = 4.0
    (g,) = torch.autograd.grad(T * T * S.kl_teacher_student(z, v, T).sum(), z)
    wrong = T * T * (F.softmax(z / T, -1) - F.softmax(v / T, -1))
    assert torch.allclose(g, wrong / T)  # the truth is T (p - q)
    assert not torch.allclose(g, wrong)


def test_gradient_norm_without_t_squared_falls_and_with_it_stays_order_one():
    z, v, _ = pair(5, b=1, n=10, scale=4.0)
    ts = [1.0, 4.0, 16.0, 64.0, 256.0]
    plain = [S.soft_gradient(z, v, T, t_squared=False).norm().item() for T in ts]
    scaled = [S.soft_gradient(z, v, T, t_squared=True).norm().item() for T in ts]
    assert all(a > b for a, b in zip(plain, plain[1:]))  # shrinks like 1/T^2
    assert plain[-1] / plain[0] < 1e-3
    assert 0.05 < min(scaled) and max(scaled) < 10  # stays O(1)
    # and converges to the logit-matching gradient (z~ - v~) / N
    limit = (S.centre(z) - S.centre(v)) / 10
    assert torch.allclose(S.soft_gradient(z, v, 1e4), limit, atol=1e-3)


# ---------------------------------------------------------------- limits
def test_high_temperature_limit_is_centred_logit_matching():
    z, v, _ = pair(6, scale=4.0)
    errs = [S.logit_matching_error(z, v, T).max().item() for T in (20.0, 100.0, 1000.0)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 0.01
    exact = 1e3 ** 2 * S.kl_teacher_student(z, v, 1e3)
    assert torch.allclose(exact, S.logit_matching(z, v), rtol=0.01)
    uncentred = ((z - v) ** 2).sum(-1) / (2 * z.shape[-1])
    shifted = z + 5.0  # shift one side: KD and the centred limit do not change, raw matching does
    assert torch.allclose(S.logit_matching(shifted, v), S.logit_matching(z, v))
    assert not torch.allclose(((shifted - v) ** 2).sum(-1) / (2 * z.shape[-1]), uncentred)


def test_logit_matching_error_is_zero_when_logits_agree_up_to_a_shift():
    z = torch.tensor([[1.0, 2.0, 3.0]], dtype=DT)
    assert S.logit_matching_error(z, z + 7, 10.0).item() == 0.0


def test_zero_temperature_limit_with_ties_and_small_t():
    z = torch.tensor([[1.0, 3.0, 3.0, -2.0], [5.0, 0.0, 1.0, 2.0]], dtype=DT)
    lim = S.zero_temperature_limit(z)
    assert torch.equal(lim, torch.tensor([[0, 0.5, 0.5, 0], [1.0, 0, 0, 0]], dtype=DT))
    assert torch.allclose(S.softmax_t(z, 0.01), lim, atol=1e-12)


def test_infinite_temperature_is_uniform_and_ranking_never_changes():
    z, _, _ = pair(7, n=6)
    assert torch.allclose(S.softmax_t(z, 1e4), S.infinite_temperature_limit(z), atol=1e-3)
    order = z.argsort(-1)
    for T in (0.05, 0.5, 1.0, 10.0, 100.0):
        assert torch.equal(S.softmax_t(z, T).argsort(-1), order)


@given(logit_arrays(), st.floats(-1e3, 1e3), temps)
@settings(max_examples=40, deadline=None)
def test_invariance_to_adding_a_constant(x, c, T):
    z = torch.from_numpy(x)
    assert torch.allclose(S.softmax_t(z + c, T), S.softmax_t(z, T), atol=1e-9)
    v = z.flip(-1)
    assert torch.allclose(S.kl_teacher_student(z + c, v, T), S.kl_teacher_student(z, v, T), atol=1e-6, rtol=1e-6)


# ---------------------------------------------------------------- DKD
@given(logit_arrays(n_min=3), logit_arrays(n_min=3), temps, st.data())
@settings(max_examples=60, deadline=None)
def test_dkd_identity(a, b, T, data):
    n = min(a.shape[1], b.shape[1])
    z, v = torch.from_numpy(a[:, :n] / 10), torch.from_numpy(b[:, :n] / 10)
    y = torch.tensor(data.draw(st.lists(st.integers(0, n - 1), min_size=3, max_size=3)))
    d = S.dkd_split(z, v, y, T)
    for part in (d.tckd, d.nckd, d.kd):
        assert torch.isfinite(part).all() and (part > -1e-9).all()
    assert torch.allclose(d.kd, d.tckd + (1 - d.q_target) * d.nckd, rtol=1e-7, atol=1e-9)
    assert torch.allclose(d.kd, S.kl_teacher_student(z, v, T))


def test_dkd_parts_against_a_naive_float64_loop():
    z, v, y = pair(8, b=4, n=5)
    T = 2.5
    d = S.dkd_split(z, v, y, T)
    for i in range(4):
        p, q, t = F.softmax(z[i] / T, -1), F.softmax(v[i] / T, -1), int(y[i])
        bq, bp = torch.stack([q[t], 1 - q[t]]), torch.stack([p[t], 1 - p[t]])
        tckd = (bq * (bq / bp).log()).sum()
        rest = [j for j in range(5) if j != t]
        qh, ph = q[rest] / q[rest].sum(), p[rest] / p[rest].sum()
        nckd = (qh * (qh / ph).log()).sum()
        assert math.isclose(d.tckd[i].item(), tckd.item(), rel_tol=1e-9)
        assert math.isclose(d.nckd[i].item(), nckd.item(), rel_tol=1e-9)


# ---------------------------------------------------------------- extremes and bad input
@pytest.mark.parametrize("T", [0.01, 1.0, 1e4])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_extreme_logits_stay_finite(T, dtype):
    z = torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    v = torch.tensor([[-1e4, 1e4, 0.0], [1e4, 0.0, -1e4]], dtype=dtype)
    y = torch.tensor([0, 2])
    for t in (S.kd_loss(z, v, y, T, 0.5).total, S.entropy(z, T), S.soft_gradient(z, v, T),
              S.logit_matching_error(z, v, T), *vars(S.dkd_split(z, v, y, T)).values()):
        assert torch.isfinite(t).all()


@pytest.mark.parametrize("call,message", [
    (lambda: S.softmax_t([1.0, 2.0], 0), "positive"),
    (lambda: S.softmax_t([1.0, 2.0], -1), "positive"),
    (lambda: S.softmax_t([1.0, 2.0], float("nan")), "positive"),
    (lambda: S.softmax_t([1.0, 2.0], "hot"), "number"),
    (lambda: S.softmax_t([1.0, float("nan")], 1), "NaN"),
    (lambda: S.softmax_t([1.0, float("inf")], 1), "NaN or infinite"),
    (lambda: S.softmax_t([1.0], 1), "at least 2 classes"),
    (lambda: S.kl_teacher_student([[1.0, 2.0]], [[1.0, 2.0, 3.0]]), "differ in shape"),
    (lambda: S.kd_loss([[1.0, 2.0]], [[1.0, 2.0]], [0], 1.0, 1.5), "alpha"),
    (lambda: S.kd_loss([[1.0, 2.0]], [[1.0, 2.0]], [2], 1.0, 0.5), "labels must lie in"),
    (lambda: S.kd_loss([[1.0, 2.0]], [[1.0, 2.0]], [0, 1], 1.0, 0.5), "labels have shape"),
])
def test_bad_input_raises_a_readable_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
