"""The language-model distillation losses against a float64 oracle written here independently (NumPy, one position
at a time), their gradients against the closed forms, their limits and their refusals."""
import math

import numpy as np
import pytest
import torch

from kdviz.lm.losses import forward_kl, jsd, labels_loss, masked_mean, reverse_kl, top_k_kl

RTOL = 1e-10  # float64 throughout: two code paths of the same sums differ by a few ulps


def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def kl(a, b):
    """KL(a || b) of two probability vectors, terms with a_i = 0 left out."""
    return sum(ai * math.log(ai / bi) for ai, bi in zip(a, b) if ai > 0)


def oracle(kind, z, v, T=1.0, beta=0.5, k=None, mode=None, y=None, mask=None):
    """The loss averaged over kept positions, computed one position at a time."""
    B, L, V = z.shape
    values, kept = [], []
    for b in range(B):
        for t in range(L):
            if mask is not None and not mask[b, t]:
                continue
            p, q = softmax(z[b, t] / T), softmax(v[b, t] / T)
            if kind == "labels":
                d = -math.log(softmax(z[b, t])[y[b, t]])
            elif kind == "forward":
                d = T * T * kl(q, p)
            elif kind == "reverse":
                d = T * T * kl(p, q)
            elif kind == "jsd":
                m = beta * q + (1 - beta) * p
                d = T * T * (beta * kl(q, m) + (1 - beta) * kl(p, m))
            else:
                top = np.argsort(-q, kind="stable")[:k]
                if mode == "renormalise":
                    qt = q[top] / q[top].sum()
                    d = T * T * sum(qi * math.log(qi / p[i]) for qi, i in zip(qt, top))
                elif k == V:  # no rest: the plain KL
                    d = T * T * kl(q, p)
                else:
                    qq = np.append(q[top], 1 - q[top].sum())
                    pp = np.append(p[top], 1 - p[top].sum())
                    d = T * T * kl(qq, pp)
            values.append(d)
    return float(np.mean(values)) if values else 0.0


@pytest.fixture
def logits():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(2, 5, 7, generator=g, dtype=torch.float64) * 2
    v = torch.randn(2, 5, 7, generator=g, dtype=torch.float64) * 3
    y = torch.randint(0, 7, (2, 5), generator=g)
    mask = torch.rand(2, 5, generator=g) > 0.3
    return z, v, y, mask


@pytest.mark.parametrize("T", [1.0, 2.0, 8.0])
def test_each_loss_matches_the_oracle(logits, T):
    z, v, y, mask = logits
    a, b, m = z.numpy(), v.numpy(), mask.numpy()
    assert labels_loss(z, y, mask).item() == pytest.approx(oracle("labels", a, b, y=y.numpy(), mask=m), rel=RTOL)
    assert forward_kl(z, v, T, mask).item() == pytest.approx(oracle("forward", a, b, T, mask=m), rel=RTOL)
    assert reverse_kl(z, v, T, mask).item() == pytest.approx(oracle("reverse", a, b, T, mask=m), rel=RTOL)
    for beta in (0.1, 0.5, 0.9):
        assert jsd(z, v, beta, T, mask).item() == pytest.approx(oracle("jsd", a, b, T, beta, mask=m), rel=RTOL)
    for k in (1, 3, 7):
        for mode in ("renormalise", "lump"):
            assert top_k_kl(z, v, k, T, mode, mask).item() == pytest.approx(
                oracle("top", a, b, T, k=k, mode=mode, mask=m), rel=1e-9, abs=1e-12)


def test_forward_and_reverse_kl_are_different_directions(logits):
    z, v, _, _ = logits
    assert forward_kl(z, v).item() != pytest.approx(reverse_kl(z, v).item(), rel=1e-3)
    assert forward_kl(z, v).item() == pytest.approx(reverse_kl(v, z).item(), rel=RTOL)


def test_gradients_are_the_closed_forms(logits):
    """d(T^2 KL(q||p))/dz = T (p - q) / n and d(T^2 KL(p||q))/dz = T p (log p - log q - KL(p||q)) / n per position."""
    z, v, _, _ = logits
    n, T = z.shape[0] * z.shape[1], 3.0
    for loss, closed in (
            (forward_kl, lambda p, q: T * (p - q) / n),
            (reverse_kl, lambda p, q: T * p * (p.log() - q.log() - (p * (p.log() - q.log())).sum(-1, keepdim=True)) / n)):
        zz = z.clone().requires_grad_()
        loss(zz, v, T).backward()
        p, q = torch.softmax(z / T, -1), torch.softmax(v / T, -1)
        torch.testing.assert_close(zz.grad, closed(p, q), rtol=1e-9, atol=1e-12)


def test_jsd_tends_to_forward_and_reverse_kl_at_its_ends(logits):
    z, v, _, _ = logits
    for eps in (1e-9, 1e-10):  # the ends converge like eps times the chi-square of p and q (large where q is tiny)
        assert jsd(z, v, eps).item() / eps == pytest.approx(forward_kl(z, v).item(), rel=1e-4)
        assert jsd(z, v, 1 - eps).item() / (1 - (1 - eps)) == pytest.approx(reverse_kl(z, v).item(), rel=1e-4)


def test_top_k_with_every_token_is_the_full_forward_kl(logits):
    z, v, _, _ = logits
    full = forward_kl(z, v, 2.0).item()
    for mode in ("renormalise", "lump"):
        assert top_k_kl(z, v, 7, 2.0, mode).item() == pytest.approx(full, rel=1e-12)


def test_lumped_top_k_never_exceeds_the_full_kl(logits):
    """Merging bins can only lose information (the data-processing inequality)."""
    z, v, _, _ = logits
    for k in range(1, 7):
        assert top_k_kl(z, v, k, 1.0, "lump").item() <= forward_kl(z, v).item() + 1e-12


def test_equal_distributions_give_zero_and_a_zero_gradient():
    z = torch.zeros(1, 3, 5, dtype=torch.float64, requires_grad=True)
    total = forward_kl(z, z.detach()) + reverse_kl(z, z.detach()) + jsd(z, z.detach()) + top_k_kl(z, z.detach(), 2, mode="lump")
    total.backward()
    assert total.item() == pytest.approx(0.0, abs=1e-15)
    assert z.grad.abs().max().item() < 1e-15


def test_no_kept_position_gives_zero_not_nan(logits):
    z, v, y, _ = logits
    none = torch.zeros(2, 5, dtype=torch.bool)
    assert labels_loss(z, y, none).item() == 0.0 and forward_kl(z, v, 1.0, none).item() == 0.0
    assert masked_mean(torch.ones(2, 5), none).item() == 0.0


def test_extreme_logits_stay_finite_in_float32():
    z = torch.tensor([[[1e4, -1e4, 0.0]]], requires_grad=True)
    v = torch.tensor([[[-1e4, 1e4, 0.0]]])
    losses = [forward_kl(z, v), reverse_kl(z, v), jsd(z, v), top_k_kl(z, v, 1, mode="lump"), top_k_kl(z, v, 2)]
    sum(losses).backward()
    assert all(torch.isfinite(x) for x in losses) and torch.isfinite(z.grad).all()


@pytest.mark.parametrize("call, words", [
    (lambda z, v: jsd(z, v, 0.0), "beta must lie strictly between 0 and 1"),
    (lambda z, v: jsd(z, v, float("nan")), "beta must lie strictly between 0 and 1"),
    (lambda z, v: top_k_kl(z, v, 0), "k must be from 1 to the vocabulary's 7 tokens"),
    (lambda z, v: top_k_kl(z, v, 8), "k must be from 1 to the vocabulary's 7 tokens"),
    (lambda z, v: top_k_kl(z, v, 2, mode="drop"), "top-k mode must be one of renormalise, lump"),
    (lambda z, v: forward_kl(z, v, 0.0), "temperature must be a positive number"),
])
def test_bad_settings_are_refused_in_words(logits, call, words):
    z, v, _, _ = logits
    with pytest.raises(ValueError, match=words):
        call(z, v)
