"""The paradigm methods of kdviz.methods: each trains and lowers its loss; members equal members alone."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kdviz.methods as M
from kdviz.data import make_dataset
from kdviz.losses import dkd_loss, fitnet_loss
from kdviz.train import MemberConfig, PopulationRun, TeacherConfig, train_teacher


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
    return M.ParadigmRun(ds, teacher, (8,), members, teachers=[teacher, small], targets=_targets(ds, members),
                         record_every=10, **kw)


ALONE = ["dkd", "fitnet", "attention", "rkd", "similarity", "multi_teacher", "born_again", "ema"]


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
    alone = M.ParadigmRun(ds, teacher, (8,), [members[1]], teachers=[teacher, small],
                          targets={0: _targets(ds, members)[1]} if method == "born_again" else None,
                          record_every=10).step(25)
    for a, b in zip(both.population.parameters(), alone.population.parameters()):
        torch.testing.assert_close(a[1], b[0], rtol=1e-4, atol=1e-5)


def test_dkd_and_fitnet_losses_match_their_oracles(setup):
    ds, teacher, small = setup
    members = [MemberConfig("dkd", T=4.0, seed=0, options={"beta": 2.0}), MemberConfig("fitnet", seed=0)]
    run = _run(ds, teacher, small, members)
    b = run._batch()
    got = M.dkd_method(b.select(torch.tensor([0])))
    z, v, y = b.logits[0], b.teacher_logits[0], b.labels[0]
    want = F.cross_entropy(z, y) + dkd_loss(z, v, y, 4.0, 1.0, 2.0)
    torch.testing.assert_close(got[0], want)
    bf = b.select(torch.tensor([1]))
    reg, _ = M._regressor(bf)
    want = F.cross_entropy(bf.logits[0], bf.labels[0]) + fitnet_loss(
        bf.taps["h1"][0], bf.teacher_taps["h2"][0], reg.weight[0], reg.bias[0])
    torch.testing.assert_close(M.fitnet_method(bf)[0], want)


def test_mutual_loss_matches_a_hand_written_oracle(setup):
    ds, teacher, small = setup
    members = [MemberConfig("mutual", T=2.0, seed=s) for s in (0, 1, 2)]
    run = PopulationRun(ds, None, (8,), members, record_every=10)
    b = run._batch()
    got = M.mutual_method(b)
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
        M.ParadigmRun(ds, teacher, (8,), [MemberConfig("multi_teacher")])
    with pytest.raises(ValueError, match="previous generation"):
        M.ParadigmRun(ds, None, (8,), [MemberConfig("born_again")])
    with pytest.raises(ValueError, match="ParadigmRun"):
        PopulationRun(ds, None, (8,), [MemberConfig("born_again")]).step(1)
    with pytest.raises(ValueError, match="expected"):
        M.ParadigmRun(ds, None, (8,), [MemberConfig("born_again")], targets={0: torch.zeros(3, 5)})


def test_ema_teacher_follows_the_student_with_its_decay(setup):
    ds, _, _ = setup
    members = [MemberConfig("ema", seed=0, options={"decay": 0.0}), MemberConfig("ema", seed=0, options={"decay": 1.0})]
    run = M.ParadigmRun(ds, None, (8,), members)
    seen = []
    for _ in range(5):
        run.step(1)
        seen.append([p.detach()[1].clone() for p in run.population.parameters()])
    pop = M.ema_teacher(run)
    for t, s in zip(pop.parameters(), run.population.parameters()):
        torch.testing.assert_close(t[0], s[0].detach())  # decay 0: a copy of the student
    for i, t in enumerate(pop.parameters()):  # decay 1 under ema_decay's ramp: the mean of the students so far
        torch.testing.assert_close(t[1], torch.stack([w[i] for w in seen]).mean(0), rtol=1e-5, atol=1e-6)
