"""Every paradigm's analytic gradient (the engine's fast path) against autograd, and the fast path against the
autograd path: float64 gradcheck-style comparisons per member, on random and adversarial inputs; a member of a
mixed population equals the member alone; the two paths agree after 200 steps; runs are deterministic; the RKD
triplet estimator is unbiased; the fast path runs on CUDA with the same code (skipped without a GPU)."""
import copy
import numpy as np
import pytest
import torch

from kdviz.data import make_dataset
from kdviz.device import available_devices
from kdviz.models import Population
from kdviz.paradigms import rkd
from kdviz.paradigms.attention import attention_map
from kdviz.train import METHODS, MemberConfig, PopulationRun, TeacherConfig, train_teacher
from kdviz.train.methods import Batch, MemberConsts, Tables
from test_paradigm_methods import _targets, setup  # noqa: F401  (the same data, teachers and fixture)

pytestmark = pytest.mark.filterwarnings("ignore:grad and param do not obey the gradient layout contract")
ALL = ["baseline", "kd", "dkd", "fitnet", "attention", "rkd", "similarity", "multi_teacher", "born_again", "mutual",
       "ema"]
TAPS = {"fitnet", "attention", "rkd", "similarity"}
RTOL, ATOL = 1e-8, 1e-10  # float64: analytic and autograd gradients agree to rounding


def _run(setup, members, **kw):
    ds, teacher, small = setup
    return PopulationRun(ds, teacher, (8, 6), members, teachers=[teacher, small], targets=_targets(ds, members),
                         batch_size=16, **kw)


def _double(x):
    return None if x is None else x.detach().double()


def _batch64(run: PopulationRun, method: str, adversarial: bool) -> Batch:
    """The next step's batch of ``method``'s members in float64, its logits and taps as fresh leaves.

    Adversarial: logits scaled by 25 (saturated softmaxes, confident students), one sample's last hidden layer
    all zero (a dead ReLU row) and two samples identical (a zero distance for RKD)."""
    b = run.preview(method)
    t = b.tables
    tables = Tables(t.y_train, t.has_unlabelled, _double(t.teacher_fm), _double(t.teacher_train),
                    None if t.teacher_taps is None else {k: _double(v) for k, v in t.teacher_taps.items()},
                    _double(t.minus_one), _double(t.neg_onehot_b), t.onehot_batch)
    rows = b.members.tolist()
    consts = MemberConsts.make([run.members[i].T for i in rows], [run.members[i].alpha for i in rows], run.batch_size,
                               "cpu", torch.float64)
    z = _double(b.logits_fm) * (25.0 if adversarial else 1.0)
    taps = {k: _double(v) for k, v in b.taps_fm.items()}
    if adversarial:
        last = taps[max(taps)]
        last[:, :, 0] = 0.0
        last[:, :, 2] = last[:, :, 1]
    state = copy.deepcopy(b.state)
    if method in ("multi_teacher", "born_again"):  # the float32 target tables renormalised in float64
        state = state.double().log_softmax(1)
    elif method == "attention":  # the teacher's maps from its float64 activations, as the autograd loss makes them
        state.maps = attention_map(tables.teacher_taps["h2"], state.maps.shape[-1])
    elif method == "ema":  # a teacher away from the student, so the consistency term has a gradient
        state.teachers.double()
        with torch.no_grad():
            for p in state.teachers.parameters():
                p.add_(0.3 * torch.randn(p.shape, generator=torch.Generator().manual_seed(1), dtype=p.dtype))
    elif method == "fitnet":
        reg = state.regressor
        for p in reg.parameters():
            p.data = p.data.double().clone()
            p.grad = torch.zeros_like(p.data)
    peers = Population.from_arrays(run.population.arrays()).double()
    return Batch(idx=b.idx, members=b.members, x_fm=_double(b.x_fm), logits_fm=z.requires_grad_(),
                 taps_fm={k: v.requires_grad_() for k, v in taps.items()}, tables=tables, consts=consts,
                 options=b.options, step=b.step + 150, peers=peers, member_seeds=b.member_seeds, state=state,
                 option_table=b.option_table)


@pytest.mark.parametrize("adversarial", [False, True], ids=["random", "adversarial"])
@pytest.mark.parametrize("method", ALL)
def test_analytic_gradient_equals_autograd_in_float64(setup, method, adversarial, monkeypatch):
    monkeypatch.setattr("kdviz.train.hinton.MAX_TABLE", 0)  # KD's float32 target tables are tested in test_train
    members = [MemberConfig(method, T=3.0, alpha=0.2, seed=s, options={"beta": 2.0} if method == "dkd" else {})
               for s in (0, 1, 2)]
    run = _run(setup, members)
    b = _batch64(run, method, adversarial)
    leaves = [b.logits_fm, *b.taps_fm.values()]
    if method == "fitnet":
        leaves += list(b.state.regressor.parameters())
        for p in b.state.regressor.parameters():
            p.requires_grad_(True)
    loss = METHODS[method].loss(b)  # the autograd reference, member by member (K',)
    auto = torch.autograd.grad(loss.sum(), leaves, allow_unused=True)
    with torch.no_grad():
        fast = METHODS[method].grad(b)
    assert fast.loss.dtype == torch.float64
    torch.testing.assert_close(fast.loss, loss.detach(), rtol=RTOL, atol=ATOL)
    torch.testing.assert_close(fast.logits, auto[0], rtol=RTOL, atol=ATOL)
    names = list(b.taps_fm)
    for name, g in zip(names, auto[1:1 + len(names)]):
        mine = (fast.taps or {}).get(name)
        if g is None:
            assert mine is None or torch.count_nonzero(mine) == 0, name
        else:
            assert mine is not None, f"{method} gives no gradient for tap {name}"
            torch.testing.assert_close(mine, g, rtol=RTOL, atol=ATOL)
    if method in TAPS:
        assert fast.taps and torch.count_nonzero(fast.taps["h2"]) > 0
    if method == "fitnet":  # the regressors' gradients, left on .grad for their Adam
        reg = b.state.regressor
        torch.testing.assert_close(reg.weight.grad, auto[-2], rtol=RTOL, atol=ATOL)
        torch.testing.assert_close(reg.bias.grad, auto[-1], rtol=RTOL, atol=ATOL)


def test_backward_adds_tap_gradients_after_the_activation():
    """backward_fm with d loss / d taps equals autograd through forward_fm of a loss on logits and taps."""
    pop = Population((3, 5, 4, 2), [0, 1], "tanh").double()
    x = torch.randn(2, 3, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    w = [torch.randn(2, n, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(n)) for n in (2, 5, 4)]
    z, taps = pop.forward_fm(x, True)
    ((z * w[0]).sum() + (taps["h1"] ** 2 * w[1]).sum() + (taps["h2"] * w[2]).sum()).backward()
    auto = [p.grad.clone() for p in pop.parameters()]
    with torch.no_grad():
        z, cache = pop.forward_cache(x)
        h = pop.cached_taps(cache)
        pop.backward_fm(cache, w[0], {"h1": 2 * h["h1"] * w[1], "h2": w[2]})
    for a, p in zip(auto, pop.parameters()):
        torch.testing.assert_close(p.grad, a)


@pytest.mark.parametrize("method", ALL)
def test_fast_path_equals_the_autograd_path_after_200_steps(setup, method, monkeypatch):
    """In float64: in float32, Adam turns the rounding of gradients that are sums of large cancelling terms
    (RKD's translation invariance) into differences of 0.1 after 200 steps for some seeds; in float64 the
    two paths agree to 1.5e-9 at worst over 20 seed pairs of RKD, and to 1e-14 for every other method."""
    members = [MemberConfig(method, T=3.0, alpha=0.2, seed=s) for s in (0, 1)]
    runs = []
    for fast in (True, False):
        monkeypatch.setattr("kdviz.train.run.FAST_PATH", fast)
        run = _run(setup, members, record_every=50, dtype=torch.float64).step(200)
        assert run._fast == fast and run.population.weight[0].dtype == torch.float64
        runs.append(run)
    for a, b in zip(runs[0].population.parameters(), runs[1].population.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(runs[0].history["loss"][:, 1:], runs[1].history["loss"][:, 1:], rtol=1e-7, atol=1e-9)


def test_a_float64_run_trains_every_method_in_float64_and_matches_float32_early(setup):
    members = [MemberConfig(m, T=2.0, alpha=0.3, seed=s) for m in ALL for s in (0, 1)]
    wide, narrow = (_run(setup, members, record_every=5, dtype=dt).step(5) for dt in (torch.float64, torch.float32))
    assert all(p.dtype == torch.float64 for p in wide.population.parameters()) and wide.logits(wide.ds.x_test).dtype == torch.float64
    assert wide.history["loss"].dtype == np.float64 and np.isfinite(wide.history["loss"][:, 1:]).all()
    for a, b in zip(wide.population.parameters(), narrow.population.parameters()):
        torch.testing.assert_close(a.float(), b, rtol=1e-3, atol=1e-4)  # the same training, to float32 rounding
    with pytest.raises(ValueError, match="float32 or float64"):
        _run(setup, members[:1], dtype=torch.float16)


def test_member_of_a_mixed_population_equals_the_member_alone(setup):
    """Every paradigm in one population (one fast forward and backward): each pair equals its pair trained alone."""
    members = [MemberConfig(m, T=2.0, alpha=0.3, seed=10 * i + s) for i, m in enumerate(ALL) for s in (0, 1)]
    both = _run(setup, members, record_every=100).step(30)
    assert both._fast
    for i, m in enumerate(ALL):
        alone = _run(setup, members[2 * i:2 * i + 2], record_every=100).step(30)
        for a, b in zip(both.population.parameters(), alone.population.parameters()):
            torch.testing.assert_close(a[2 * i:2 * i + 2], b, rtol=1e-4, atol=1e-5, msg=m)


def test_consecutive_method_groups_share_one_pass_and_train_as_interleaved_ones(setup):
    """Members listed method by method are handed out as views sharing one hard-label gradient; the same members
    interleaved go through the gather path; every member ends with the same weights either way."""
    members = [MemberConfig(m, T=2.0, alpha=0.3, seed=10 * i + s) for i, m in enumerate(ALL) for s in (0, 1)]
    order = [2 * i for i in range(len(ALL))] + [2 * i + 1 for i in range(len(ALL))]  # one of each, then again
    grouped = _run(setup, members, record_every=100)
    mixed = _run(setup, [members[k] for k in order], record_every=100)
    assert grouped._spans is not None and mixed._spans is None
    b = grouped.preview()
    slices = [b.slice(lo, hi) for lo, hi in grouped._spans]
    with torch.no_grad():
        first, second = (METHODS["baseline"].grad(g) for g in slices[:2])
    assert first.logits.data_ptr() == b._hard_all.logits.data_ptr()  # the run's buffer, rows 0-1
    assert second.loss.data_ptr() == b._hard_all.loss[2:].data_ptr()  # computed once, shared
    grouped.step(30)
    mixed.step(30)
    for a, c in zip(grouped.population.parameters(), mixed.population.parameters()):
        torch.testing.assert_close(a[order], c, rtol=1e-5, atol=1e-6)


def test_runs_are_deterministic_with_a_seed(setup):
    members = [MemberConfig(m, T=2.0, alpha=0.3, seed=s) for m in ALL for s in (3, 4)]
    a, b = (_run(setup, members, record_every=10).step(40) for _ in range(2))
    for p, q in zip(a.population.parameters(), b.population.parameters()):
        assert torch.equal(p, q)
    np.testing.assert_array_equal(a.history["loss"], b.history["loss"])


def test_rkd_triplets_are_each_members_own_and_distinct():
    ds = make_dataset("blobs", n=120, seed=0)
    teacher = train_teacher(ds, TeacherConfig(hidden=(8,), steps=20, seed=0, early_stopping=False))
    one = PopulationRun(ds, teacher, (6,), [MemberConfig("rkd", seed=7)], batch_size=8)
    two = PopulationRun(ds, teacher, (6,), [MemberConfig("rkd", seed=3), MemberConfig("rkd", seed=7)], batch_size=8)
    for step in (0, 5, rkd.TRIPLET_CHUNK + 1):
        t1, t2 = one.method_state("rkd").at(step), two.method_state("rkd").at(step)
        assert torch.equal(t1[0], t2[1]) and not torch.equal(t2[0], t2[1])
        i, j, k = t1[0].unbind(-1)
        assert bool(((i != j) & (j != k) & (i != k)).all()) and int(t1.max()) < 8
    assert not torch.equal(one.method_state("rkd").at(0), one.method_state("rkd").at(1))


def test_rkd_triplet_estimator_is_unbiased_for_the_exact_angle_loss_and_gradient():
    """The mean over many seeded triplet draws approaches the exact loss and gradient (the exact option)."""
    g = torch.Generator().manual_seed(0)
    s = torch.randn(2, 7, 5, dtype=torch.float64, generator=g)
    t = torch.randn(2, 7, 9, dtype=torch.float64, generator=g)
    exact, g_exact = rkd.exact_angle_term_grad(s, t)
    draws = 4000
    tri = torch.stack([rkd.draw_triplets(torch.Generator().manual_seed(k), 7, (draws, 16)) for k in range(2)], 1)
    losses, grads = [], []
    for d in range(draws):
        entries = rkd.triplet_entries(tri[d], 7)
        sq = torch.stack([rkd.squared_distances(s), rkd.squared_distances(t)])  # (2, K, B, B) student, teacher
        value, m = rkd.angle_term_grad(sq, entries)
        losses.append(value)
        grads.append(rkd.through_squared_distances(m, s))
    losses, grads = torch.stack(losses), torch.stack(grads)
    se = losses.std(0) / draws ** 0.5
    assert bool(((losses.mean(0) - exact).abs() < 4 * se).all()), (losses.mean(0), exact, se)
    gse = grads.std(0) / draws ** 0.5
    assert bool(((grads.mean(0) - g_exact).abs() < 4 * gse + 1e-9).all())
    # the exact option (0 triplets) trains the full loss: its engine loss equals rkd_loss without triplets
    torch.testing.assert_close(rkd.rkd_angle_loss(s, t), exact)


def test_rkd_exact_option_trains_every_triplet(setup):
    members = [MemberConfig("rkd", seed=s, options={"triplets": 0}) for s in (0, 1)]
    run = _run(setup, members, record_every=1)
    assert run.method_state("rkd").at(0) is None
    b = run.preview("rkd")
    h_s, h_t = b.taps["h2"], b.teacher_taps["h2"]
    want = torch.nn.functional.cross_entropy(b.logits[0], b.labels[0]) + rkd.rkd_loss(h_s[0], h_t[0])
    run.step(1)
    assert run.history["loss"][0, 1] == pytest.approx(want.item(), rel=2e-6)


def test_rkd_members_of_one_run_need_one_triplet_count(setup):
    members = [MemberConfig("rkd", seed=0, options={"triplets": 16}), MemberConfig("rkd", seed=1)]
    with pytest.raises(ValueError, match="one whole number of triplets"):
        _run(setup, members)


@pytest.mark.skipif("cuda" not in available_devices(), reason="needs a CUDA device")
@pytest.mark.parametrize("method", ALL)
def test_cuda_fast_path_equals_the_cpu_one(setup, method):
    members = [MemberConfig(method, T=3.0, alpha=0.2, seed=s) for s in (0, 1)]
    cpu = _run(setup, members, record_every=25).step(50)
    gpu = _run(setup, members, record_every=25, device="cuda").step(50)
    assert gpu._fast and gpu.device.type == "cuda"
    for a, b in zip(cpu.population.parameters(), gpu.population.parameters()):
        torch.testing.assert_close(b.cpu(), a, rtol=1e-3, atol=1e-4)
