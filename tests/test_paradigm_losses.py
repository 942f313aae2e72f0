"""The paradigms' losses against independent oracles: naive float64 loops, torch.nn.functional, autograd."""
import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

from kdviz import softening as S
from kdviz.paradigms import NOTES, attention, born_again, dkd, fitnet, mean_teacher, multi_teacher, mutual, rkd, similarity
from kdviz.paradigms.attention import attention_loss
from kdviz.paradigms.born_again import born_again_targets
from kdviz.paradigms.dkd import dkd_loss
from kdviz.paradigms.fitnet import HintRegressor, fitnet_loss
from kdviz.paradigms.mean_teacher import consistency_loss, ema_decay, ema_update, sigmoid_rampup
from kdviz.paradigms.multi_teacher import RULES, combine_teachers
from kdviz.paradigms.mutual import cohort_peers
from kdviz.paradigms.rkd import pairwise_distances, rkd_angle_loss, rkd_distance_loss, rkd_loss
from kdviz.paradigms.similarity import similarity_loss
from kdviz.paradigms.targets import soft_target_objective
from kdviz.device import available_devices

DT = torch.float64


def soft_target_loss(z, log_target, T):
    """T^2 KL(r || p^T): the soft part of soft_target_objective (alpha = 0), whatever the labels."""
    y = torch.zeros(z.shape[:-1], dtype=torch.long)
    return soft_target_objective(z, y, log_target, T if not isinstance(T, torch.Tensor) else T.reshape(-1), 0.0)


def mutual_same_batch(z, y, T=1.0, weight=1.0):
    """mutual_loss for a cohort that shares one batch: peer j's logits on member k's batch are z[j]."""
    k = z.shape[0]
    return mutual.mutual_loss(z, z.unsqueeze(1).expand(k, *z.shape), y.expand(k, -1), cohort_peers([0] * k), T, weight)


def rnd(seed, *shape, scale=1.0):
    """Seeded float64 normal tensor."""
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=DT) * scale


def labels(seed, b, c, k=None):
    """Seeded integer labels of shape (B,) or (K, B)."""
    return torch.randint(0, c, (b,) if k is None else (k, b), generator=torch.Generator().manual_seed(seed))


def orthogonal(seed, d):
    """A random d x d orthogonal matrix (QR of a Gaussian matrix)."""
    q, r = torch.linalg.qr(rnd(seed, d, d))
    return q * torch.sign(torch.diagonal(r))


def softmax_np(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def kl_np(a, b):
    """KL(a || b) for probability vectors, naive."""
    return float(sum(ai * math.log(ai / bi) for ai, bi in zip(a, b) if ai > 0))


def huber_np(x):
    return 0.5 * x * x if abs(x) < 1 else abs(x) - 0.5


# ---------------------------------------------------------------------------------------------- DKD
def dkd_naive(z, v, y, T, alpha, beta):
    """DKD by the paper's definitions, one sample at a time, in float64 NumPy."""
    total = 0.0
    for zb, vb, t in zip(z.numpy(), v.numpy(), y.numpy()):
        p, q = softmax_np(zb / T), softmax_np(vb / T)
        tckd = kl_np([q[t], 1 - q[t]], [p[t], 1 - p[t]])
        rest = [i for i in range(len(p)) if i != t]
        nckd = kl_np(q[rest] / q[rest].sum(), p[rest] / p[rest].sum())
        total += T * T * (alpha * tckd + beta * nckd)
    return total / len(y)


@pytest.mark.parametrize("T,alpha,beta", [(4.0, 1.0, 8.0), (1.0, 0.5, 2.0), (10.0, 0.0, 1.0)])
def test_dkd_matches_naive_loop(T, alpha, beta):
    z, v, y = rnd(0, 7, 5, scale=3), rnd(1, 7, 5, scale=3), labels(2, 7, 5)
    got = dkd_loss(z, v, y, T, alpha, beta)
    assert got.shape == () and got.item() == pytest.approx(dkd_naive(z, v, y, T, alpha, beta), rel=1e-10)


def test_dkd_defaults_and_zero_when_student_equals_teacher():
    z, y = rnd(3, 6, 4, scale=2), labels(4, 6, 4)
    assert dkd_loss(z, z.clone(), y).abs().item() < 1e-12
    v = rnd(5, 6, 4, scale=2)
    assert dkd_loss(z, v, y).item() == pytest.approx(dkd_naive(z, v, y, 4.0, 1.0, 8.0), rel=1e-10)


def test_dkd_gradcheck():
    z, v, y = rnd(6, 3, 4).requires_grad_(), rnd(7, 3, 4), labels(8, 3, 4)
    assert gradcheck(lambda a: dkd_loss(a, v, y, 2.0, 1.0, 8.0), (z,))


# ----------------------------------------------------------------------------- population semantics
def _members(fn, student, teacher, k):
    return torch.stack([fn(student[i], teacher) for i in range(k)])


POPULATION_CASES = {
    "dkd": (lambda s, t: dkd_loss(s, t, labels(9, 6, 5), 3.0), (6, 5), (6, 5)),
    "soft_target": (lambda s, t: soft_target_loss(s, F.log_softmax(t, -1), 2.0), (6, 5), (6, 5)),
    "fitnet": (lambda s, t: fitnet_loss(s, t), (6, 4), (6, 4)),
    "attention": (attention_loss, (6, 7), (6, 3)),
    "rkd": (rkd_loss, (6, 3), (6, 5)),
    "similarity": (similarity_loss, (6, 3), (6, 5)),
    "consistency": (consistency_loss, (6, 5), (6, 5)),
}


@pytest.mark.parametrize("name", POPULATION_CASES)
def test_population_equals_members_one_by_one_and_teacher_broadcasts(name):
    fn, s_shape, t_shape = POPULATION_CASES[name]
    k = 3
    s, t = rnd(10, k, *s_shape), rnd(11, *t_shape)
    batched = fn(s, t)  # teacher (B, D) broadcast over K members
    assert batched.shape == (k,)
    assert torch.allclose(batched, _members(fn, s, t, k), rtol=1e-12, atol=1e-14)
    assert torch.allclose(fn(s, t.expand(k, *t_shape)), batched, rtol=1e-12, atol=1e-14)
    assert torch.isfinite(batched).all() and (batched >= 0).all()


@pytest.mark.parametrize("device", available_devices())
def test_losses_stay_on_the_input_device(device):
    s, t = rnd(12, 2, 5, 4).to(device), rnd(13, 5, 4).to(device)
    y = labels(14, 5, 4).to(device)
    for out in (dkd_loss(s, t, y), rkd_loss(s, t), attention_loss(s, t), similarity_loss(s, t),
                mutual_same_batch(s, y), consistency_loss(s, t), fitnet_loss(s, t)):
        assert out.device.type == torch.device(device).type and out.shape == (2,)


@pytest.mark.parametrize("name", ["soft_target", "fitnet", "attention", "rkd", "similarity", "consistency"])
def test_losses_batch_under_vmap(name):
    fn, s_shape, t_shape = POPULATION_CASES[name]
    s, t = rnd(18, 3, *s_shape), rnd(19, *t_shape)
    assert torch.allclose(torch.func.vmap(lambda a: fn(a, t))(s), fn(s, t), rtol=1e-12, atol=1e-14)


def test_per_member_hyperparameters_equal_separate_runs():
    k, s, t, y = 3, rnd(15, 3, 6, 5), rnd(16, 6, 5), labels(17, 6, 5)
    T, a, b = torch.tensor([1.0, 2.0, 4.0]), torch.tensor([1.0, 0.5, 0.0]), torch.tensor([8.0, 1.0, 2.0])
    got = dkd_loss(s, t, y, T, a, b)
    want = torch.stack([dkd_loss(s[i], t, y, T[i].item(), a[i].item(), b[i].item()) for i in range(k)])
    assert torch.allclose(got, want, rtol=1e-12)
    wd, wa = torch.tensor([1.0, 0.0, 25.0]), torch.tensor([0.0, 2.0, 50.0])
    got = rkd_loss(s, t, wd, wa)
    want = torch.stack([rkd_loss(s[i], t, wd[i].item(), wa[i].item()) for i in range(k)])
    assert torch.allclose(got, want, rtol=1e-12)
    lt = F.log_softmax(t / T.reshape(3, 1, 1), -1)  # (K, B, C) targets at each member's T
    got = soft_target_loss(s, lt, T.reshape(3, 1, 1))
    assert torch.allclose(got, torch.stack([S.kd_loss(s[i], t, y, T[i].item(), 0.0).soft for i in range(k)]))


# ------------------------------------------------------------------------------------------ FitNets
def test_fitnet_matches_nn_linear_and_mse():
    hs, ht = rnd(20, 3, 8, 6), rnd(21, 8, 4)
    reg = HintRegressor(6, 4, seeds=[5, 6, 7]).double()
    got = fitnet_loss(hs, ht, reg.weight, reg.bias)
    for i in range(3):
        lin = torch.nn.Linear(6, 4).double()
        with torch.no_grad():
            lin.weight.copy_(reg.weight[i].T)
            lin.bias.copy_(reg.bias[i, 0])
        assert got[i].item() == pytest.approx(F.mse_loss(lin(hs[i]), ht).item(), rel=1e-12)


def test_hint_regressor_members_match_single_regressors_and_linear_init():
    stacked = HintRegressor(5, 3, seeds=[11, 12])
    for i, seed in enumerate([11, 12]):
        single = HintRegressor(5, 3, seeds=seed)
        assert single.weight.shape == (5, 3) and single.bias.shape == (3,)
        assert torch.equal(stacked.weight[i], single.weight) and torch.equal(stacked.bias[i, 0], single.bias)
    bound = 1 / math.sqrt(5)
    assert stacked.weight.abs().max() <= bound and stacked.bias.abs().max() <= bound
    assert stacked.weight.std() > 0.3 * bound  # really drawn, not zeros
    assert not torch.equal(stacked.weight[0], stacked.weight[1])
    h = rnd(22, 2, 4, 5).float()
    assert stacked(h).shape == (2, 4, 3)


def test_fitnet_zero_when_regressed_student_equals_teacher_and_gradcheck():
    hs = rnd(23, 2, 5, 4)
    reg = HintRegressor(4, 3, seeds=[0, 1]).double()
    with torch.no_grad():
        ht = reg(hs)  # (K, B, Ht)
    assert fitnet_loss(hs, ht, reg.weight, reg.bias).abs().max() < 1e-14
    w, b = reg.weight.detach().clone().requires_grad_(), reg.bias.detach().clone().requires_grad_()
    x = hs.clone().requires_grad_()
    assert gradcheck(lambda a, ww, bb: fitnet_loss(a, rnd(24, 5, 3), ww, bb), (x, w, b))


# ------------------------------------------------------------------------------ attention matching
def attention_naive(hs, ht):
    """Energy maps pooled over the windows [floor(iL/W), ceil((i+1)L/W)), normalised, squared L2; batch mean."""
    w = min(hs.shape[1], ht.shape[1])

    def amap(h):
        e = h ** 2
        n = len(e)
        pooled = np.array([e[math.floor(i * n / w):math.ceil((i + 1) * n / w)].mean() for i in range(w)])
        norm = math.sqrt((pooled ** 2).sum())
        return pooled / norm if norm > 0 else pooled

    return np.mean([((amap(a) - amap(b)) ** 2).sum() for a, b in zip(hs.numpy(), ht.numpy())])


@pytest.mark.parametrize("ws,wt", [(5, 5), (7, 3), (4, 10), (9, 6)])
def test_attention_loss_matches_naive_pooling(ws, wt):
    hs, ht = rnd(30, 6, ws), rnd(31, 6, wt)
    assert attention_loss(hs, ht).item() == pytest.approx(attention_naive(hs, ht), rel=1e-10)


def test_attention_invariances_and_range():
    ht = rnd(32, 5, 4)
    scale = rnd(33, 5, 1).abs() + 0.1  # a positive scale per sample
    sign = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=DT)
    assert attention_loss(ht * scale * sign, ht).abs().item() < 1e-14
    assert attention_loss(ht.repeat_interleave(3, dim=-1), ht).abs().item() < 1e-14  # width 12 vs 4
    hot = torch.eye(4, dtype=DT)  # disjoint one-hot energies: orthogonal unit maps, distance^2 = 2
    assert attention_loss(hot, hot.roll(1, -1)).item() == pytest.approx(2.0)
    assert 0 < attention_loss(rnd(34, 5, 4), ht).item() <= 2


def test_attention_dead_layer_is_finite_and_gradcheck():
    hs = torch.zeros(3, 4, dtype=DT, requires_grad=True)
    loss = attention_loss(hs, rnd(35, 3, 4))
    loss.backward()
    assert loss.item() == pytest.approx(1.0) and torch.isfinite(hs.grad).all()
    x = rnd(36, 3, 6).requires_grad_()
    assert gradcheck(lambda a: attention_loss(a, rnd(37, 3, 4)), (x,))


# ---------------------------------------------------------------------------------------------- RKD
def rkd_naive(s, t):
    """RKD distance and angle losses by definition with Python loops (float64)."""
    s, t = s.numpy(), t.numpy()
    b = len(s)
    pairs = [(i, j) for i in range(b) for j in range(b) if i != j]

    def psi_d(e):
        d = {p: np.linalg.norm(e[p[0]] - e[p[1]]) for p in pairs}
        mu = sum(d.values()) / len(d)
        return {p: x / mu for p, x in d.items()}

    def cos(e, i, j, k):
        a, c = e[i] - e[j], e[k] - e[j]
        return a @ c / (np.linalg.norm(a) * np.linalg.norm(c))

    ds, dt = psi_d(s), psi_d(t)
    dist = np.mean([huber_np(ds[p] - dt[p]) for p in pairs])
    triplets = [x for x in itertools.permutations(range(b), 3)]
    angle = np.mean([huber_np(cos(s, i, j, k) - cos(t, i, j, k)) for i, j, k in triplets])
    return dist, angle


@pytest.mark.parametrize("outlier", [0.0, 20.0])  # an outlier makes |psi_s - psi_t| > 1: the linear Huber branch
def test_rkd_matches_naive_loops(outlier):
    s, t = rnd(40, 6, 3), rnd(41, 6, 5)
    s[0] += outlier
    dist, angle = rkd_naive(s, t)
    assert rkd_distance_loss(s, t).item() == pytest.approx(dist, rel=1e-10)
    assert rkd_angle_loss(s, t).item() == pytest.approx(angle, rel=1e-10)
    assert rkd_loss(s, t).item() == pytest.approx(25 * dist + 50 * angle, rel=1e-10)


def test_pairwise_distances_match_cdist_with_exact_zero_diagonal():
    e = rnd(42, 2, 7, 3, scale=100) + 1e3  # far from the origin: centring keeps the Gram form accurate
    d = pairwise_distances(e)
    assert torch.allclose(d, torch.cdist(e, e), rtol=1e-10) and (torch.diagonal(d, dim1=-2, dim2=-1) == 0).all()
    d32 = pairwise_distances(e.float())
    off = ~torch.eye(7, dtype=torch.bool)
    assert ((d32.double() - d).abs()[:, off] / d[:, off]).max() < 1e-5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rkd_invariant_to_scale_rotation_and_shift(seed):
    s, t = rnd(50 + seed, 7, 4), rnd(60 + seed, 7, 3)
    moved = 3.7 * s @ orthogonal(70 + seed, 4) + rnd(80 + seed, 1, 4) * 10
    for fn in (rkd_distance_loss, rkd_angle_loss, similarity_loss):
        if fn is not similarity_loss:  # SP is invariant to rotation and global scale, not to shift
            assert fn(moved, t).item() == pytest.approx(fn(s, t).item(), rel=1e-9, abs=1e-12)
    rotated = 0.2 * s @ orthogonal(90 + seed, 4)
    assert similarity_loss(rotated, t).item() == pytest.approx(similarity_loss(s, t).item(), rel=1e-9)


def test_rkd_zero_when_student_is_a_transformed_teacher_even_in_another_width():
    t = rnd(91, 8, 3)
    padded = torch.cat([t, torch.zeros(8, 2, dtype=DT)], -1)  # teacher in 5-D
    s = 0.01 * padded @ orthogonal(92, 5) - 4.0
    assert rkd_loss(s, t).abs().item() < 1e-10
    assert similarity_loss(padded @ orthogonal(93, 5) * 7, t).abs().item() < 1e-12
    assert rkd_loss(rnd(94, 8, 5), t).item() > 1e-3  # and not zero for an unrelated student


def test_rkd_gradcheck_and_finite_gradients_with_duplicate_points():
    s = rnd(95, 4, 3).requires_grad_()
    t = rnd(96, 4, 2)
    assert gradcheck(lambda a: rkd_distance_loss(a, t), (s,))
    assert gradcheck(lambda a: rkd_angle_loss(a, t), (s,))
    dup = torch.cat([rnd(97, 3, 3), rnd(97, 3, 3)[:1]]).requires_grad_()  # sample 3 repeats sample 0
    rkd_loss(dup, t).backward()
    assert torch.isfinite(dup.grad).all()


# ---------------------------------------------------------------------------- similarity-preserving
def test_similarity_matches_naive_loop_and_gradcheck():
    hs, ht = rnd(100, 5, 3), rnd(101, 5, 7)

    def gnorm(h):
        g = h @ h.T
        return np.array([row / np.linalg.norm(row) for row in g])

    want = ((gnorm(hs.numpy()) - gnorm(ht.numpy())) ** 2).sum() / 25
    assert similarity_loss(hs, ht).item() == pytest.approx(want, rel=1e-10)
    assert similarity_loss(ht, ht.clone()).item() == 0
    x = hs.clone().requires_grad_()
    assert gradcheck(lambda a: similarity_loss(a, ht), (x,))


# ----------------------------------------------------------------------------------- multi-teacher
def test_combination_rules_match_their_definitions():
    v, T = rnd(110, 3, 6, 4, scale=2), 2.0
    q = F.softmax(v / T, -1)  # (M, B, C)
    avg = combine_teachers(v, "avg_prob", T)
    assert torch.allclose(avg.log_probs.exp(), q.mean(0))
    assert torch.allclose(avg.weights, torch.full((3, 6), 1 / 3, dtype=DT))
    assert torch.allclose(combine_teachers(v, "avg_logit", T).log_probs, F.log_softmax(v.mean(0) / T, -1))
    p1 = F.softmax(v, -1)
    for conf, c in (("max_prob", p1.max(-1).values), ("neg_entropy", (p1 * p1.log()).sum(-1))):
        mix = combine_teachers(v, "confidence", T, sharpness=3.0, confidence=conf)
        w = torch.exp(3.0 * c) / torch.exp(3.0 * c).sum(0)  # (M, B)
        assert torch.allclose(mix.weights, w)
        assert torch.allclose(mix.log_probs.exp(), (w.unsqueeze(-1) * q).sum(0))
        assert torch.allclose(mix.log_probs.exp().sum(-1), torch.ones(6, dtype=DT))


def test_confidence_sharpness_limits_and_single_teacher():
    v = rnd(111, 3, 6, 4, scale=2)
    flat = combine_teachers(v, "confidence", 1.0, sharpness=0.0)
    assert torch.allclose(flat.log_probs, combine_teachers(v, "avg_prob").log_probs)
    sharp = combine_teachers(v, "confidence", 1.0, sharpness=1e4)
    best = F.softmax(v, -1).max(-1).values.argmax(0)  # most confident teacher per sample
    assert torch.equal(sharp.dominant, best)
    assert torch.allclose(sharp.log_probs, F.log_softmax(v, -1)[best, torch.arange(6)], atol=1e-9)
    for rule in RULES:
        one = combine_teachers(v[:1], rule, 3.0)
        assert torch.allclose(one.log_probs, F.log_softmax(v[0] / 3.0, -1)) and (one.dominant == 0).all()


def test_dominant_teacher_hand_computed():
    v = torch.tensor([[[5.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]]], dtype=DT)  # teacher 0 sure of class 0
    mix = combine_teachers(v, "avg_prob")
    assert mix.log_probs.argmax(-1).item() == 0 and mix.dominant.item() == 0
    v2 = torch.tensor([[[1.0, 0.0, 0.0]], [[0.0, 0.0, 6.0]]], dtype=DT)  # teacher 1 dominates class 2
    assert combine_teachers(v2, "avg_prob").dominant.item() == 1


def test_soft_target_loss_equals_kd_soft_term_and_kl_div():
    z, v, y, T = rnd(112, 5, 4, scale=2), rnd(113, 5, 4, scale=2), labels(114, 5, 4), 3.0
    got = soft_target_loss(z, F.log_softmax(v / T, -1), T)
    ref = T * T * F.kl_div(F.log_softmax(z / T, -1), F.softmax(v / T, -1), reduction="batchmean")
    assert got.item() == pytest.approx(ref.item(), rel=1e-12)
    assert got.item() == pytest.approx(S.kd_loss(z, v, y, T, 0.0).total.item(), rel=1e-12)
    assert soft_target_loss(z, F.log_softmax(z / T, -1), T).abs().item() < 1e-14


def test_born_again_targets():
    gens = [rnd(115 + i, 4, 3, scale=2) for i in range(3)]
    assert torch.allclose(born_again_targets(gens, T=2.0), F.log_softmax(gens[-1] / 2.0, -1))
    ens = born_again_targets(gens, T=2.0, ensemble=True).exp()
    assert torch.allclose(ens, torch.stack([F.softmax(g / 2.0, -1) for g in gens]).mean(0))


# ---------------------------------------------------------------------------------- mutual learning
def test_mutual_loss_matches_naive_kl_div_loop():
    z, y, T = rnd(120, 4, 5, 3, scale=2), labels(121, 5, 3), 2.0
    got = mutual_same_batch(z, y, T, weight=0.7)
    for k in range(4):
        ce = F.cross_entropy(z[k], y)
        kl = np.mean([F.kl_div(F.log_softmax(z[k] / T, -1), F.softmax(z[j] / T, -1), reduction="batchmean").item()
                      for j in range(4) if j != k])
        assert got[k].item() == pytest.approx(ce.item() + 0.7 * T * T * kl, rel=1e-10)


def test_mutual_gradient_is_own_only_and_analytic():
    k, b = 3, 4
    z, y = rnd(122, k, b, 5).requires_grad_(), labels(123, b, 5)
    mutual_same_batch(z, y)[1].backward()
    assert z.grad[0].abs().max() == 0 and z.grad[2].abs().max() == 0  # peers are detached targets
    p = F.softmax(z.detach(), -1)
    peers = (p[0] + p[2]) / 2
    want = ((p[1] - F.one_hot(y, 5)) + (p[1] - peers)) / b  # d(CE + mean_j KL(p_j||p_1)) / dz_1
    assert torch.allclose(z.grad[1], want, atol=1e-12)
    same = rnd(124, b, 5).expand(k, b, 5)
    ce = mutual_same_batch(same, y, weight=0.0)
    assert (mutual_same_batch(same, y) - ce).abs().max() < 1e-14  # identical peers: no mimicry


# -------------------------------------------------------------------------------------- mean teacher
def test_ema_update_formula_for_modules_stacks_and_per_member_decay():
    s, t = torch.nn.Linear(3, 2).double(), torch.nn.Linear(3, 2).double()
    before = [p.detach().clone() for p in t.parameters()]
    ema_update(t, s, 0.9)
    for old, new, st in zip(before, t.parameters(), s.parameters()):
        assert torch.allclose(new, 0.9 * old + 0.1 * st)
    tw, sw = rnd(130, 3, 4, 2), rnd(131, 3, 4, 2)  # stacked (K, in, out)
    decay = torch.tensor([0.0, 0.5, 1.0], dtype=DT)
    expect = decay.reshape(3, 1, 1) * tw + (1 - decay.reshape(3, 1, 1)) * sw
    ema_update([tw], [sw], decay)
    assert torch.allclose(tw, expect) and torch.equal(tw[0], sw[0])


def test_ema_decay_schedules_and_rampup():
    assert [ema_decay(s, 0.999) for s in (0, 1, 9)] == [0.0, 0.5, 0.9]
    assert ema_decay(10 ** 6, 0.999) == 0.999
    assert (ema_decay(99, rampup_steps=100), ema_decay(100, rampup_steps=100)) == (0.99, 0.999)
    assert sigmoid_rampup(0, 10) == pytest.approx(math.exp(-5)) and sigmoid_rampup(10, 10) == 1.0
    assert sigmoid_rampup(5, 10) == pytest.approx(math.exp(-5 * 0.25)) and sigmoid_rampup(3, 0) == 1.0


def test_consistency_loss_oracles_and_detached_target():
    z, zt = rnd(132, 5, 4), rnd(133, 5, 4).requires_grad_()
    mse = consistency_loss(z, zt)
    assert mse.item() == pytest.approx(F.mse_loss(F.softmax(z, -1), F.softmax(zt, -1)).item(), rel=1e-12)
    kl = consistency_loss(z, zt, "kl")
    assert kl.item() == pytest.approx(F.kl_div(F.log_softmax(z, -1), F.softmax(zt, -1), reduction="batchmean").item())
    assert not mse.requires_grad and not kl.requires_grad  # nothing flows into the teacher


# --------------------------------------------------------------------------------------- validation
ERRORS = [
    (lambda: rkd_angle_loss(rnd(0, 2, 3), rnd(1, 2, 3)), "at least 3"),
    (lambda: rkd_loss(rnd(0, 2, 3), rnd(1, 2, 3)), "at least 3"),
    (lambda: rkd_distance_loss(rnd(0, 1, 3), rnd(1, 1, 3)), "at least 2"),
    (lambda: attention_loss(rnd(0, 0, 3), rnd(1, 0, 3)), "batch is empty"),
    (lambda: similarity_loss(rnd(0, 4, 3), rnd(1, 5, 3)), "different batch sizes"),
    (lambda: similarity_loss(rnd(0, 4, 3), rnd(1, 2, 4, 3)), "population dimension"),
    (lambda: fitnet_loss(rnd(0, 3, 4, 3), rnd(1, 2, 4, 3)), "3 members"),
    (lambda: fitnet_loss(rnd(0, 4, 3), rnd(1, 4, 5)), "differ in width"),
    (lambda: fitnet_loss(rnd(0, 2, 4, 3), rnd(1, 4, 5), rnd(2, 3, 5)), "regressor weight"),
    (lambda: attention_loss(rnd(0, 4), rnd(1, 4)), "shape"),
    (lambda: dkd_loss(rnd(0, 4, 3), rnd(1, 4, 5), labels(0, 4, 3)), "classes"),
    (lambda: dkd_loss(rnd(0, 4, 3), rnd(1, 4, 3), labels(0, 5, 3)), "labels"),
    (lambda: dkd_loss(rnd(0, 4, 3), rnd(1, 4, 3), labels(0, 4, 3), beta=-1), "NCKD"),
    (lambda: dkd_loss(rnd(0, 2, 4, 3), rnd(1, 4, 3), labels(0, 4, 3), T=torch.ones(3)), "one per member"),
    (lambda: combine_teachers(rnd(0, 2, 4, 3), "median"), "combination rule"),
    (lambda: combine_teachers(rnd(0, 0, 4, 3)), "teachers >= 1"),
    (lambda: combine_teachers(rnd(0, 2, 4, 3), "confidence", sharpness=-1.0), "sharpness"),
    (lambda: combine_teachers(rnd(0, 2, 4, 3), "confidence", confidence="margin"), "confidence score"),
    (lambda: cohort_peers([0]), "at least 2 students per cohort"),
    (lambda: mutual.mutual_loss(rnd(0, 2, 4, 3), rnd(1, 2, 4, 3), labels(0, 4, 3), cohort_peers([0, 0])),
     "peer logits must have shape"),
    (lambda: born_again_targets([]), "at least one"),
    (lambda: consistency_loss(rnd(0, 4, 3), rnd(1, 4, 3), "l1"), "kind"),
    (lambda: ema_update([rnd(0, 2)], [rnd(1, 3)], 0.9), "differs"),
    (lambda: ema_update([rnd(0, 2)], [rnd(1, 2)], 1.5), r"\[0, 1\]"),
    (lambda: ema_decay(-1), "step"),
    (lambda: HintRegressor(0, 3), "positive"),
]


@pytest.mark.parametrize("call,match", ERRORS)
def test_bad_input_raises_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_nan_from_a_diverging_member_stays_in_its_own_loss():
    s, t = rnd(140, 3, 6, 4), rnd(141, 6, 4)
    s[1, 2, 0] = float("nan")
    for fn in (rkd_loss, attention_loss, similarity_loss, fitnet_loss):
        out = fn(s, t)
        assert torch.isnan(out[1]) and torch.isfinite(out[[0, 2]]).all()


# ---------------------------------------------------------------------------------- notes and docs
MODULES = (attention, born_again, dkd, fitnet, mean_teacher, multi_teacher, mutual, rkd, similarity)


def test_every_note_holds_balanced_latex_and_names_a_documented_function():
    for key, note in NOTES.items():
        assert note.key == key and note.name and note.transfers.strip() and note.formula.strip()
        f = note.formula
        assert f.count("{") == f.count("}") and f.count(r"\left") == f.count(r"\right") and "$" not in f
        assert note.function.__doc__ and note.function_name.startswith("kdviz.")
        assert note.colour.startswith("#") and len(note.colour) == 7


def test_every_public_function_of_a_paradigm_has_a_docstring():
    for module in MODULES:
        for name, obj in vars(module).items():
            if callable(obj) and not name.startswith("_") and getattr(obj, "__module__", "") == module.__name__:
                assert obj.__doc__ and obj.__doc__.strip(), f"{module.__name__}.{name}"
