"""The paradigms as engine methods: each trains and lowers its loss; members equal members alone; every Note's
function, evaluated on a real batch, is exactly what the engine's step optimised."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from kdviz import softening
from kdviz.data import make_dataset
from kdviz.paradigms import NOTES, PARADIGMS
from kdviz.paradigms.dkd import dkd_loss
from kdviz.paradigms.fitnet import fitnet_loss
from kdviz.paradigms.taps import last_tap
from kdviz.paradigms.mean_teacher import sigmoid_rampup
from kdviz.paradigms.mutual import cohort_peers
from kdviz.train import METHODS, MemberConfig, PopulationRun, TeacherConfig, train_teacher


@pytest.fixture(scope="module")
def setup():
    ds = make_dataset("blobs", n=300, noise=0.0, seed=1, train_ratio=0.7)
    teacher = train_teacher(ds, TeacherConfig(hidden=(32, 32), steps=150, seed=0, early_stopping=False))
    small = train_teacher(ds, TeacherConfig(hidden=(4,), steps=150, seed=1, early_stopping=False))
    return ds, teacher, small


def _targets(ds, members):
    """Previous-generation logits for born_again members (a fixed random table, seeded)."""
    g = torch.Generator().manual_seed(5)
    return {i: torch.randn(len(ds.y_train), ds.n_classes, generator=g) for i, m in enumerate(members)
            if m.method == "born_again"}


def _run(ds, teacher, small, members, **kw):
    return PopulationRun(ds, teacher, (8,), members, teachers=[teacher, small], targets=_targets(ds, members),
                         record_every=10, **kw)


ALONE = ["dkd", "fitnet", "attention", "rkd", "similarity", "multi_teacher", "born_again", "ema"]


def test_every_paradigm_is_registered_and_has_a_note():
    assert set(PARADIGMS) <= set(METHODS) and set(NOTES) == {"baseline", *PARADIGMS}


@pytest.mark.parametrize("method", [*ALONE, "mutual"])
def test_method_trains_and_lowers_its_loss(setup, method):
    ds, teacher, small = setup
    members = [MemberConfig(method, T=4.0, alpha=0.1, seed=s) for s in (0, 1)]
    run = _run(ds, teacher, small, members).step(60)
    loss = run.history["loss"]  # (K, R); entry 0 is NaN (no step yet)
    assert run.status == ["ok", "ok"]
    assert np.all(loss[:, -1] < loss[:, 1]), loss


@pytest.mark.parametrize("method", ALONE)
def test_population_member_equals_member_alone(setup, method):
    ds, teacher, small = setup
    opts = {"rule": "confidence"} if method == "multi_teacher" else {"decay": 0.9} if method == "ema" else {}
    members = [MemberConfig("kd", seed=3), MemberConfig(method, T=2.0, alpha=0.3, seed=7, options=opts),
               MemberConfig("baseline", seed=4)]
    both = _run(ds, teacher, small, members).step(25)
    alone = PopulationRun(ds, teacher, (8,), [members[1]], teachers=[teacher, small],
                          targets={0: _targets(ds, members)[1]} if method == "born_again" else None,
                          record_every=10).step(25)
    for a, b in zip(both.population.parameters(), alone.population.parameters()):
        torch.testing.assert_close(a[1], b[0], rtol=1e-4, atol=1e-5)


def _note_value(method, run, b, teacher, small):
    """Each member's objective (K',) from its Note's function, fed the batch's tensors by hand."""
    fn = NOTES[method].function
    z, y, T, alpha = b.logits, b.labels, b.T.view(-1), b.alpha
    if method == "baseline":
        return fn(z, y)
    if method == "kd":
        return torch.stack([fn(z[k], b.teacher_logits[k], y[k], float(T[k]), float(alpha[k])).total
                            for k in range(len(z))])
    if method == "dkd":
        return fn(z, b.teacher_logits, y, T)
    if method == "fitnet":
        reg = run.method_state("fitnet").regressor
        return fn(z, y, last_tap(b.taps), last_tap(b.teacher_taps), reg.weight, reg.bias)
    if method in ("attention", "similarity"):
        return fn(z, y, last_tap(b.taps), last_tap(b.teacher_taps))
    if method == "rkd":  # the angle term on the step's sampled triplets (each member's own)
        return fn(z, y, last_tap(b.taps), last_tap(b.teacher_taps), triplets=b.state.at(b.step))
    if method == "multi_teacher":
        vs = [m(b.x[k].float()).to(z.dtype) for m in (teacher, small) for k in range(len(z))]  # as the run makes them
        v = torch.stack(vs).view(2, len(z), *z.shape[1:])  # (M, K', B, C)
        return torch.stack([fn(z[k], y[k], v[:, k], float(T[k]), float(alpha[k])) for k in range(len(z))])
    if method == "born_again":
        prev = [run.targets[int(i)][b.idx[k]] for k, i in enumerate(b.members)]
        return torch.stack([fn(z[k], y[k], prev[k], float(T[k]), float(alpha[k])) for k in range(len(z))])
    if method == "mutual":
        models = [run.population.member(k) for k in range(len(z))]
        with torch.no_grad():
            peer = torch.stack([torch.stack([models[j](b.x[k]) for k in range(len(z))]) for j in range(len(z))])
        return fn(z, peer, y, cohort_peers([0] * len(z)), T)
    if method == "ema":  # at step 0 the EMA teacher is the student itself; the weight is ramped
        return fn(z, y, z.detach(), sigmoid_rampup(0, 200))
    raise AssertionError(method)


@pytest.mark.parametrize("method", ["baseline", "kd", *ALONE, "mutual"])
def test_the_notes_function_is_what_the_engine_trains(setup, method):
    """In float64, so the comparison holds to 1e-9 even where float32 rounding is amplified (RKD's nearly
    degenerate triplets)."""
    ds, teacher, small = setup
    members = [MemberConfig(method, T=3.0, alpha=0.2, seed=s) for s in (0, 1)]
    run = PopulationRun(ds, teacher, (8,), members, teachers=[teacher, small], targets=_targets(ds, members),
                        record_every=1, dtype=torch.float64)
    b = run.preview(method)
    want = _note_value(method, run, b, teacher, small).detach()
    assert want.dtype == torch.float64
    run.step(1)
    trained = torch.as_tensor(run.history["loss"][:, 1])  # the loss of step 1 (recorded every step)
    torch.testing.assert_close(trained, want, rtol=1e-9, atol=1e-10)


def test_dkd_and_fitnet_losses_match_their_oracles(setup):
    ds, teacher, small = setup
    members = [MemberConfig("dkd", T=4.0, seed=0, options={"beta": 2.0}), MemberConfig("fitnet", seed=0)]
    run = _run(ds, teacher, small, members)
    b = run.preview("dkd")
    got = METHODS["dkd"].loss(b)
    z, v, y = b.logits[0], b.teacher_logits[0], b.labels[0]
    want = F.cross_entropy(z, y) + dkd_loss(z, v, y, 4.0, 1.0, 2.0)
    torch.testing.assert_close(got[0], want)
    bf = run.preview("fitnet")
    reg = run.method_state("fitnet").regressor
    want = F.cross_entropy(bf.logits[0], bf.labels[0]) + fitnet_loss(
        bf.taps["h1"][0], bf.teacher_taps["h2"][0], reg.weight[0], reg.bias[0])
    torch.testing.assert_close(METHODS["fitnet"].loss(bf)[0], want)


def test_mutual_loss_matches_a_hand_written_oracle(setup):
    ds, teacher, small = setup
    members = [MemberConfig("mutual", T=2.0, seed=s) for s in (0, 1, 2)]
    run = PopulationRun(ds, None, (8,), members, record_every=10)
    b = run.preview("mutual")
    got = METHODS["mutual"].loss(b)
    with torch.no_grad():
        models = [run.population.member(k) for k in range(3)]
    for k in range(3):
        x, y = b.x[k], b.labels[k]
        logp = F.log_softmax(b.logits[k] / 2.0, -1)
        kls = [F.kl_div(logp, F.log_softmax(models[j](x) / 2.0, -1), log_target=True, reduction="batchmean")
               for j in range(3) if j != k]
        want = F.cross_entropy(b.logits[k], y) + 4.0 * torch.stack(kls).mean()
        torch.testing.assert_close(got[k], want, rtol=1e-5, atol=1e-6)


def test_mutual_needs_a_cohort_and_paradigm_methods_need_their_targets(setup):
    ds, teacher, small = setup
    with pytest.raises(ValueError, match="at least 2 students"):
        PopulationRun(ds, None, (8,), [MemberConfig("mutual")]).step(1)
    with pytest.raises(ValueError, match="need teachers"):
        PopulationRun(ds, teacher, (8,), [MemberConfig("multi_teacher")])
    with pytest.raises(ValueError, match="previous generation"):
        PopulationRun(ds, None, (8,), [MemberConfig("born_again")])
    with pytest.raises(ValueError, match="expected"):
        PopulationRun(ds, None, (8,), [MemberConfig("born_again")], targets={0: torch.zeros(3, 5)})


def test_ema_teacher_follows_the_student_with_its_decay(setup):
    ds, _, _ = setup
    members = [MemberConfig("ema", seed=0, options={"decay": 0.0}), MemberConfig("ema", seed=0, options={"decay": 1.0})]
    run = PopulationRun(ds, None, (8,), members)
    seen = []
    for _ in range(5):
        run.step(1)
        seen.append([p.detach()[1].clone() for p in run.population.parameters()])
    pop = run.method_state("ema").teachers
    for t, s in zip(pop.parameters(), run.population.parameters()):
        torch.testing.assert_close(t[0], s[0].detach())  # decay 0: a copy of the student
    for i, t in enumerate(pop.parameters()):  # decay 1 under ema_decay's ramp: the mean of the students so far
        torch.testing.assert_close(t[1], torch.stack([w[i] for w in seen]).mean(0), rtol=1e-5, atol=1e-6)


def test_kd_note_is_the_softening_kd_loss():
    assert NOTES["kd"].function is softening.kd_loss and NOTES["kd"].uses == ("T", "alpha")


def test_the_mean_teachers_input_noise_is_seeded_per_member_and_changes_only_the_teachers_view(setup):
    ds, _, _ = setup
    noisy = [MemberConfig("ema", seed=s, options={"decay": 0.99, "noise": 0.5}) for s in (0, 1)]
    clean = [MemberConfig("ema", seed=s, options={"decay": 0.99}) for s in (0, 1)]
    a = PopulationRun(ds, None, (8,), noisy, record_every=10).step(20)
    b = PopulationRun(ds, None, (8,), noisy, record_every=10).step(20)
    c = PopulationRun(ds, None, (8,), clean, record_every=10).step(20)
    alone = PopulationRun(ds, None, (8,), [noisy[1]], record_every=10).step(20)
    for pa, pb, pc, p1 in zip(a.population.parameters(), b.population.parameters(), c.population.parameters(),
                              alone.population.parameters()):
        assert torch.equal(pa, pb)  # seeded: the same run twice
        torch.testing.assert_close(pa[1], p1[0], rtol=1e-4, atol=1e-5)  # member 1 trains alike alone
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.population.parameters(), c.population.parameters()))
    x = torch.zeros(2, 2, 4)  # (K', D, B): a noised view differs from the clean one
    state = a.method_state("ema")
    assert not torch.equal(state.outputs(x), state.teachers.forward_fm(x)[0])
