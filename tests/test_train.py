"""The engine against independent oracles: a plain torch loop with torch.optim.Adam, autograd,
kdviz.softening.kd_loss, lone runs of each member, and a labelled-only copy of the data."""
import pickle
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from kdviz import metrics
from kdviz import softening as S
from kdviz.data import make_dataset
from kdviz.data.registry import Dataset
from kdviz.device import available_devices
from kdviz.models import MLP, Population
from kdviz.train import (HISTORY_KEYS, METHODS, IndexStream, MemberConfig, PopulationRun, TeacherConfig,
                         TeacherOutputs, clear_teacher_cache, evaluate, grid_predictions, register_method,
                         teacher_outputs, train_teacher)
from kdviz.train import teacher as teacher_module

DEVICES = available_devices()
# the autograd path accumulates into strided views of one (K, P) buffer; torch hints about it once
pytestmark = pytest.mark.filterwarnings("ignore:grad and param do not obey the gradient layout contract")
GRID = [(1.0, 0.1, 1e-2), (4.0, 0.5, 3e-3), (8.0, 0.0, 1e-2), (2.0, 1.0, 2e-2)]  # T, alpha, lr


@pytest.fixture(scope="module")
def ds():
    return make_dataset("blobs", n=300, noise=0.0, seed=0, classes=3)


@pytest.fixture(scope="module")
def teacher(ds):
    return train_teacher(ds, TeacherConfig(hidden=(32,), steps=150, early_stopping=False))


def with_unlabelled(ds, every=3):
    """ds whose every ``every``-th training label is -1 (an unlabelled transfer point)."""
    y = ds.y_train.clone()
    y[::every] = -1
    return Dataset(ds.name, ds.x_train, y, ds.x_test, ds.y_test, list(ds.class_names))


def kd_members(methods=("kd",)):
    return [MemberConfig(methods[i % len(methods)], T=t, alpha=a, lr=lr, seed=i) for i, (t, a, lr) in enumerate(GRID)]


def weights(run, k):
    """Member k's weights as one flat tensor."""
    return torch.cat([p.detach().flatten() for p in run.population.member(k).parameters()])


@pytest.fixture(params=[True, False], ids=["analytic", "autograd"])
def path(request, monkeypatch):
    """Run a test on the analytic-gradient fast path and on the autograd path."""
    monkeypatch.setattr("kdviz.train.run.FAST_PATH", request.param)
    return request.param


# ----------------------------------------------------------------------------- oracles
@pytest.mark.parametrize("method", ["baseline", "kd"])
def test_one_member_equals_a_plain_torch_loop(ds, teacher, method, path):
    """Same init, same batches: the engine's loss and Adam equal F.cross_entropy / kd_loss + torch.optim.Adam."""
    steps, b, cfg = 25, 16, MemberConfig(method, T=3.0, alpha=0.3, lr=0.02, seed=7)
    run = PopulationRun(ds, teacher, [8], [cfg], batch_size=b, record_every=100).step(steps)
    assert run._fast == path
    model = MLP([2, 8, 3], seed=7)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    order = IndexStream([torch.arange(len(ds.y_train))], [7], b, len(ds.y_train)).next(steps)[0]  # (steps, B)
    v = teacher(ds.x_train).detach()
    for idx in order:
        z = model(ds.x_train[idx])
        loss = (F.cross_entropy(z, ds.y_train[idx]) if method == "baseline"
                else S.kd_loss(z, v[idx], ds.y_train[idx], T=3.0, alpha=0.3).total)
        opt.zero_grad()
        loss.backward()
        opt.step()
    ref = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert torch.allclose(weights(run, 0), ref, atol=2e-5)


def test_index_stream_is_each_members_own_shuffles_whatever_the_chunks():
    pool = torch.arange(10, 17)
    s = IndexStream([pool, torch.arange(30)], [3, 4], 4, 30)
    got = torch.cat([s.next(1), s.next(5), s.next(2)], 1)  # (K, 8, B)
    g = torch.Generator().manual_seed(3)
    assert torch.equal(got[0].flatten(), torch.cat([pool[torch.randperm(7, generator=g)] for _ in range(5)])[:32])
    g = torch.Generator().manual_seed(4)
    assert torch.equal(got[1].flatten(), torch.cat([torch.randperm(30, generator=g) for _ in range(2)])[:32])


@pytest.mark.parametrize("tables", ["members", "temperature-table", "on-the-fly"])
@pytest.mark.parametrize("unlabelled", [False, True], ids=["labelled", "with-unlabelled"])
def test_losses_and_analytic_gradients_match_softening_and_autograd(ds, teacher, tables, unlabelled, monkeypatch):
    monkeypatch.setattr("kdviz.train.hinton.MAX_TABLE", 0 if tables == "on-the-fly" else 1 << 22)
    monkeypatch.setattr("kdviz.train.hinton.MEMBER_TABLE", 0 if tables == "temperature-table" else 1 << 16)
    data = with_unlabelled(ds) if unlabelled else ds
    # KD members around a baseline (a group of non-consecutive members), two of them at one temperature
    members = kd_members() + [MemberConfig("baseline", seed=9), MemberConfig("kd", T=4.0, alpha=0.3, seed=10)]
    run = PopulationRun(data, teacher, [8], members, record_every=100)
    state = run.method_state("kd")
    # the per-temperature table serves labelled data only; unlabelled data beyond MEMBER_TABLE softens per batch
    assert (state is not None) == (tables == "members" or (tables == "temperature-table" and not unlabelled))
    assert state is None or (state.per_temperature is not None) == (tables == "temperature-table")
    for name in ("kd", "baseline"):
        b = run.preview(name)
        z = b.logits_fm.detach().clone().requires_grad_(True)
        b.logits_fm = z
        loss = METHODS[name].loss(b)
        (g_auto,) = torch.autograd.grad(loss.sum(), z)
        for k, i in enumerate(b.members.tolist()):  # the oracle: kdviz.softening on each member's batch, float64
            m = members[i]
            zk, yk = b.logits[k].double(), b.labels[k]
            lab = yk >= 0
            hard = S.cross_entropy(zk[lab], yk[lab]).mean()
            ref = hard if m.method == "baseline" else (
                m.alpha * hard + (1 - m.alpha) * m.T ** 2 * S.kl_teacher_student(zk, run.teacher.train[b.idx[k]].double(),
                                                                                 m.T).mean())
            assert loss[k].item() == pytest.approx(ref.item(), rel=1e-5, abs=1e-6)
        b.logits_fm = z.detach()
        fast = METHODS[name].grad(b)
        assert torch.allclose(fast.loss, loss.detach(), atol=1e-5)
        assert torch.allclose(fast.logits, g_auto, atol=1e-6)


# ----------------------------------------------------------------------------- population behaviour
@pytest.mark.parametrize("device", DEVICES)
def test_history_shapes_and_record_steps(ds, teacher, device):
    run = PopulationRun(ds, teacher, [8], kd_members(), device=device, record_every=10)
    run.step(25)
    h = run.history
    assert h["step"].tolist() == [0, 10, 20, 25]
    for key in HISTORY_KEYS:
        assert h[key].shape == (4, 4), key
    assert h["test_recall"].shape == (4, 3, 4)
    assert np.isnan(h["loss"][:, 0]).all() and np.isfinite(h["loss"][:, 1:]).all()  # no steps before step 0
    for key in ("test_acc", "train_acc", "fidelity"):
        assert ((h[key] >= 0) & (h[key] <= 1)).all()
    assert (h["soft_loss"] >= -1e-6).all() and (h["kl_test"] >= -1e-6).all()
    assert run.status == ["ok"] * 4 and run.alive.all()


@pytest.mark.parametrize("device", DEVICES)
def test_same_config_same_numbers(ds, teacher, device, path):
    runs = [PopulationRun(ds, teacher, [8], kd_members(), device=device, record_every=10).step(30) for _ in range(2)]
    for key in HISTORY_KEYS:
        assert np.array_equal(runs[0].history[key], runs[1].history[key], equal_nan=True), key
    assert torch.equal(runs[0]._flat, runs[1]._flat)


@pytest.mark.parametrize("per_temperature", [False, True], ids=["member-tables", "temperature-table"])
@pytest.mark.parametrize("device", DEVICES)
def test_member_of_a_population_equals_the_member_trained_alone(ds, teacher, device, path, per_temperature, monkeypatch):
    if per_temperature:  # the population's KD targets come from the per-temperature table, a member alone's from its own
        monkeypatch.setattr("kdviz.train.hinton.MEMBER_TABLE", ds.n_classes * len(ds.y_train))
    members = kd_members(("kd", "baseline"))
    together = PopulationRun(ds, teacher, [8], members, device=device, record_every=25).step(50)
    for k in (1, 2):
        alone = PopulationRun(ds, teacher, [8], [members[k]], device=device, record_every=25).step(50)
        assert torch.allclose(weights(together, k), weights(alone, 0), atol=1e-5)
        assert np.allclose(together.history["test_acc"][k], alone.history["test_acc"][0])


def test_a_diverging_member_is_frozen_and_reported_while_the_others_train(ds, teacher, path):
    members = kd_members()
    members[2] = MemberConfig("kd", T=2.0, alpha=0.5, lr=1e30, seed=2)
    run = PopulationRun(ds, teacher, [8], members, record_every=10).step(10)
    status = run.status[2]
    assert re.fullmatch(r"diverged at step \d+: (loss became (nan|inf)|gradient became nan or inf)", status), status
    frozen = weights(run, 2)
    assert torch.isfinite(frozen).all()  # kept from before the bad step
    run.step(20)
    assert torch.equal(weights(run, 2), frozen) and run.status[2] == status
    assert [run.status[k] for k in (0, 1, 3)] == ["ok"] * 3 and run.alive.tolist() == [True, True, False, True]
    for k in (0, 3):  # the others train exactly as they would alone
        alone = PopulationRun(ds, teacher, [8], [members[k]], record_every=10).step(30)
        assert torch.allclose(weights(run, k), weights(alone, 0), atol=1e-5)
    assert np.isfinite(run.history["test_acc"][[0, 1, 3]]).all()


def test_kd_with_alpha_one_equals_the_baseline_when_batches_coincide(ds, teacher, path):
    run = PopulationRun(ds, teacher, [8], [MemberConfig("kd", T=4.0, alpha=1.0, seed=3),
                                          MemberConfig("baseline", T=4.0, seed=3)], record_every=20).step(40)
    assert torch.allclose(weights(run, 0), weights(run, 1), atol=1e-6)


def test_unlabelled_points_feed_kd_but_not_the_baseline(ds, teacher, path):
    data = with_unlabelled(ds)
    run = PopulationRun(data, teacher, [8], [MemberConfig("baseline", seed=5), MemberConfig("kd", seed=5)],
                        record_every=20)
    idx = torch.cat([run._next_indices() for _ in range(30)], 1)  # (K, 30 B) training indices drawn
    labels = data.y_train[idx]
    assert (labels[0] >= 0).all() and (labels[1] == -1).any()
    # a baseline beside unlabelled points equals a baseline on the labelled points alone (same order)
    lab = data.y_train >= 0
    alone = Dataset(ds.name, ds.x_train[lab], ds.y_train[lab], ds.x_test, ds.y_test, list(ds.class_names))
    with_u = PopulationRun(data, teacher, [8], [MemberConfig("baseline", seed=5)], record_every=20).step(40)
    only = PopulationRun(alone, teacher, [8], [MemberConfig("baseline", seed=5)], record_every=20).step(40)
    assert torch.allclose(weights(with_u, 0), weights(only, 0), atol=1e-6)


def test_precomputed_teacher_outputs_equal_the_teacher_model(ds, teacher):
    outs = teacher_outputs(teacher, ds)
    assert isinstance(outs, TeacherOutputs) and outs.train.shape == (len(ds.x_train), 3)
    assert outs.train_taps["h1"].shape == (len(ds.x_train), 32)
    a = PopulationRun(ds, teacher, [8], kd_members(), record_every=10).step(20)
    b = PopulationRun(ds, TeacherOutputs(outs.train, outs.test), [8], kd_members(), record_every=10).step(20)
    assert torch.equal(a._flat, b._flat)


def test_snapshot_is_a_picklable_copy(ds, teacher):
    run = PopulationRun(ds, teacher, [8], kd_members(), record_every=10).step(10)
    snap = pickle.loads(pickle.dumps(run.snapshot(weights=True)))
    assert snap.step == 10 and snap.status == ["ok"] * 4 and snap.members[1]["T"] == 4.0
    snap.history["test_acc"][:] = -1.0
    assert (run.history["test_acc"] >= 0).all()
    back = Population.from_arrays(snap.weights).eval()
    x = ds.x_test[:5]
    assert torch.equal(back(x), run.population.eval()(x))


def test_methods_are_pluggable_and_share_a_population(ds, teacher):
    seen = []

    @register_method("test_hint", taps=True)
    def hint(b):
        seen.append((tuple(b.taps["h1"].shape), tuple(b.teacher_taps["h1"].shape)))
        gap = b.taps["h1"].mean(-1) - b.teacher_taps["h1"].mean(-1)  # (K', B)
        return F.cross_entropy(b.logits.transpose(1, 2), b.labels, reduction="none").mean(-1) + (gap ** 2).mean(-1)

    try:
        members = [MemberConfig("test_hint", seed=1), MemberConfig("kd", seed=2), MemberConfig("test_hint", seed=3)]
        run = PopulationRun(ds, teacher, [8], members, batch_size=16, record_every=10).step(10)
        assert not run._fast and seen[0] == ((2, 16, 8), (2, 16, 32))
        assert np.isfinite(run.history["loss"][:, -1]).all()
        alone = PopulationRun(ds, teacher, [8], [members[2]], batch_size=16, record_every=10).step(10)
        assert torch.allclose(weights(run, 2), weights(alone, 0), atol=1e-5)
        with pytest.raises(ValueError, match="registered twice"):
            register_method("test_hint")(hint)
    finally:
        METHODS.pop("test_hint", None)


def test_dropout_and_gelu_students_train_deterministically_on_the_autograd_path(ds, teacher):
    def run():
        return PopulationRun(ds, teacher, [16], kd_members()[:2], activation="gelu", dropout=0.2,
                             weight_decay=1e-4, record_every=10).step(20)
    a, b = run(), run()
    assert not a._fast and torch.equal(a._flat, b._flat) and np.isfinite(a.history["loss"][:, -1]).all()


# ----------------------------------------------------------------------------- teachers
def test_teacher_cache_hit_and_miss(ds):
    cfg = TeacherConfig(hidden=(16,), steps=30, early_stopping=False)
    first = train_teacher(ds, cfg)
    assert train_teacher(ds, cfg) is first and not first.training
    assert train_teacher(ds, TeacherConfig(hidden=(16,), steps=30, early_stopping=False, seed=1)) is not first
    clear_teacher_cache()
    again = train_teacher(ds, cfg)
    assert again is not first and torch.equal(again.layers[0].weight, first.layers[0].weight)  # seeded


def test_teacher_cache_is_bounded(ds, monkeypatch):
    monkeypatch.setattr(teacher_module, "TEACHER_CACHE_SIZE", 2)
    cfgs = [TeacherConfig(hidden=(4,), steps=5, early_stopping=False, seed=s) for s in range(3)]
    first = train_teacher(ds, cfgs[0])
    for cfg in cfgs[1:]:
        train_teacher(ds, cfg)
    assert train_teacher(ds, cfgs[0]) is not first  # evicted, trained again


def test_teacher_early_stopping_keeps_the_best_validation_weights(ds):
    val = Dataset(ds.name, ds.x_train[:150], ds.y_train[:150], ds.x_test, ds.y_test, list(ds.class_names),
                  x_val=ds.x_train[150:], y_val=ds.y_train[150:])
    cfg = TeacherConfig(hidden=(16,), steps=400, eval_every=20, patience=3, lr=3e-2)
    model = train_teacher(val, cfg)
    info = model.info
    assert info["best_step"] <= info["steps_run"] <= 400 and info["status"] == "ok"
    assert metrics.accuracy(model(val.x_val), val.y_val).item() == pytest.approx(info["val_acc"])
    held_out = train_teacher(ds, cfg)  # no validation split: 15% of train is held out
    assert 0 <= held_out.info["val_acc"] <= 1


# ----------------------------------------------------------------------------- evaluation and grids
def test_evaluate_reuses_the_metrics(ds, teacher):
    run = PopulationRun(ds, teacher, [8], kd_members(), record_every=10).step(20)
    ev = run.evaluate("test")
    with torch.no_grad():  # no dropout here, so train mode gives the eval-mode outputs
        z, v = run.population(ds.x_test), teacher(ds.x_test)
    assert np.allclose(ev["accuracy"], metrics.accuracy(z, ds.y_test).numpy())
    assert np.allclose(ev["kl_to_teacher"], metrics.kl_to_teacher(z, v).numpy(), atol=1e-6)
    assert np.allclose(ev["accuracy"], run.history["test_acc"][:, -1])
    single = evaluate(run.population.member(1), ds.x_test, ds.y_test, teacher=teacher)
    assert single["accuracy"].shape == () and single["accuracy"] == pytest.approx(ev["accuracy"][1])
    assert set(single) == {"accuracy", "balanced_accuracy", "nll", "ece", "recall", "fidelity", "kl_to_teacher"}


def test_grid_predictions_are_the_models_probabilities(teacher):
    grid = grid_predictions(teacher, (-2.0, 2.0), (-1.0, 3.0), resolution=7)
    assert grid.probs.shape == (7, 7, 3) and np.allclose(grid.probs.sum(-1), 1, atol=1e-5)
    i, j = 5, 2
    point = torch.tensor([[grid.xs[j], grid.ys[i]]], dtype=torch.float32)
    assert np.allclose(grid.probs[i, j], F.softmax(teacher(point), -1)[0].detach().numpy(), atol=1e-6)
    pop = Population([2, 8, 3], [0, 1])
    assert grid_predictions(pop, (-1.0, 1.0), (-1.0, 1.0), resolution=4).probs.shape == (2, 4, 4, 3)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("make,message", [
    (lambda ds, t: MemberConfig("nope"), "unknown training method 'nope'"),
    (lambda ds, t: MemberConfig(T=0.0), "temperature"),
    (lambda ds, t: MemberConfig(alpha=1.5), "alpha"),
    (lambda ds, t: MemberConfig(lr=-1.0), "learning rate"),
    (lambda ds, t: TeacherConfig(hidden=(0,)), "hidden width"),
    (lambda ds, t: TeacherConfig(val_fraction=1.0), "validation fraction"),
    (lambda ds, t: PopulationRun(ds, None, [8], [MemberConfig("kd")]), "needs a teacher"),
    (lambda ds, t: PopulationRun(ds, t, [8], []), "at least one member"),
    (lambda ds, t: PopulationRun(ds, t, [8], [MemberConfig()], batch_size=0), "batch size"),
    (lambda ds, t: PopulationRun(ds, t, [3000, 3000], [MemberConfig()]), "architecture too large"),
    (lambda ds, t: PopulationRun(ds, TeacherOutputs(torch.zeros(5, 3), torch.zeros(5, 3)), [8], [MemberConfig()]),
     "do not match the data"),
    (lambda ds, t: PopulationRun(with_unlabelled(ds, 1), t, [8], [MemberConfig("baseline")]), "has none"),
    (lambda ds, t: PopulationRun(ds, t, [8], [MemberConfig()]).step(-1), "number of steps"),
    (lambda ds, t: grid_predictions(t, (1.0, -1.0), (0.0, 1.0)), "x range"),
    (lambda ds, t: grid_predictions(t, (0.0, 1.0), (0.0, 1.0), resolution=1), "grid resolution"),
])
def test_bad_input_raises_clear_errors(ds, teacher, make, message):
    with pytest.raises(ValueError, match=message):
        make(ds, teacher)


def test_run_evaluates_its_train_and_val_splits(ds, teacher):
    data = with_unlabelled(ds)
    data = Dataset(data.name, data.x_train, data.y_train, ds.x_test, ds.y_test, list(ds.class_names),
                   x_val=ds.x_test[:20], y_val=ds.y_test[:20])
    run = PopulationRun(data, teacher, [8], kd_members(), record_every=10).step(10)
    train = run.evaluate("train")
    assert train["recall"].shape == (4, 3) and "fidelity" in train
    assert np.allclose(run.evaluate("val")["accuracy"], evaluate(run.population, ds.x_test[:20], ds.y_test[:20])["accuracy"])
    with pytest.raises(ValueError, match="unknown or missing split"):
        run.evaluate("holdout")


def test_a_run_leaves_the_callers_teacher_outputs_alone(ds, teacher):
    outs = teacher_outputs(teacher, ds, taps=False)
    train = outs.train
    PopulationRun(ds, outs, [8], kd_members(), record_every=10)
    assert outs.train is train
