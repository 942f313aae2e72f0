"""Large students (real-image sizes) on the engine's memory-bound path: one fused Adam kernel and one torch.mm
per member. Checked against independent oracles (torch.optim.Adam with autograd, the batched path, lone runs)
and for what makes the path fast: a step allocates nothing the size of the members' weights."""
import pytest
import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

from kdviz.data.registry import Dataset
from kdviz import models
from kdviz.models import MLP, Population
from kdviz.train import IndexStream, MemberConfig, PopulationRun
from kdviz.train import optimiser

HIDDEN = [384, 320]  # with 64 inputs: 149,123 parameters per member; 15.7M multiply-adds in the second layer's
# products at B = 128 (one torch.mm per member), 3.1M in the first's (batched)
BATCH = 128


@pytest.fixture(scope="module")
def ds():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(600, 64, generator=g), torch.randint(0, 3, (600,), generator=g)
    return Dataset("synthetic", x, y, x[:100], y[:100], ["a", "b", "c"])


def run_of(ds, members, **kw):
    """A run of large members; float64 (the default here) keeps a ReLU near zero from flipping on float32
    rounding between two code paths (one flip moves a whole unit's gradient)."""
    return PopulationRun(ds, None, HIDDEN, members, batch_size=BATCH, record_every=10 ** 9,
                         **{"dtype": torch.float64, **kw})


def weights(run, k):
    """Member k's weights as one flat tensor."""
    return torch.cat([p.detach().flatten() for p in run.population.member(k).parameters()])


def test_the_sizes_here_take_the_large_member_path(ds):
    run = run_of(ds, [MemberConfig("baseline", seed=0)], dtype=torch.float32)
    assert run._flat.shape[1] >= optimiser.FUSED_PARAMS and run._fused_adam is not None
    pop = run.population
    assert pop.weight[1].shape[1] * pop.weight[1].shape[2] * BATCH >= models.MEMBER_GEMM


@pytest.mark.parametrize("weight_decay", [0.0, 1e-3])
def test_a_large_member_equals_a_plain_torch_loop(ds, weight_decay):
    """Same init, same batches: the engine's step equals F.cross_entropy + torch.optim.Adam on an MLP."""
    steps, cfg = 12, MemberConfig("baseline", lr=3e-3, seed=5)
    run = run_of(ds, [cfg], weight_decay=weight_decay).step(steps)
    model = MLP([64, *HIDDEN, 3], seed=5).double()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=weight_decay, foreach=False)

    def loss_on(idx):  # Adam's closure: the gradient of the batch's loss, then the loss
        opt.zero_grad()
        out = F.cross_entropy(model(ds.x_train[idx].double()), ds.y_train[idx])
        out.backward()
        return out

    for idx in IndexStream([torch.arange(len(ds.y_train))], [5], BATCH, len(ds.y_train)).next(steps)[0]:
        opt.step(lambda: loss_on(idx))
    assert torch.allclose(weights(run, 0), torch.cat([p.detach().flatten() for p in model.parameters()]), atol=1e-10)


def test_fused_adam_equals_the_op_chain():
    """optimiser.fused_adam_update and optimiser.adam_update: the same update up to float rounding."""
    g = torch.Generator().manual_seed(1)
    p, grad, m = (s * torch.randn(3, 5000, generator=g, dtype=torch.float64) for s in (1.0, 1.0, 0.1))  # (K, P)
    v = torch.rand(3, 5000, generator=g, dtype=torch.float64)
    lrs = [1e-3, 2e-3, 5e-4]
    a = [t.clone() for t in (p, grad, m, v)]
    optimiser.adam_update(*a, 7, torch.tensor(lrs, dtype=torch.float64).view(3, 1))
    b = [t.clone() for t in (p, grad, m, v)]
    optimiser.fused_adam_update(*b, torch.tensor(7.0), lrs, torch.zeros(3))
    for x, y in zip(a, b):
        assert torch.allclose(x, y, rtol=1e-12, atol=1e-15)
    assert not torch.equal(a[0], p)  # the update moved the weights


def test_a_diverging_large_member_is_frozen_while_the_others_train_as_alone(ds):
    members = [MemberConfig("baseline", lr=1e-3, seed=0), MemberConfig("baseline", lr=1e30, seed=1),
               MemberConfig("baseline", lr=2e-3, seed=2)]
    f32 = dict(dtype=torch.float32)  # so that lr = 1e30 overflows within a few steps
    run = run_of(ds, members, **f32).step(6)
    assert run.status[1].startswith("diverged at step") and run.alive.tolist() == [True, False, True]
    frozen = weights(run, 1)
    assert torch.isfinite(frozen).all()
    run.step(4)
    assert torch.equal(weights(run, 1), frozen)
    for k in (0, 2):
        alone = run_of(ds, [members[k]], **f32).step(10)
        assert torch.allclose(weights(run, k), weights(alone, 0), atol=1e-5)


def test_per_member_products_equal_the_batched_ones(monkeypatch):
    """forward_cache and backward_fm with one torch.mm per member (large products) equal the same passes with
    batched matmuls (the path small products take; tests/test_models.py checks that one against autograd)."""
    torch.manual_seed(0)
    pop = Population([64, *HIDDEN, 3], seeds=[0, 1, 2])
    x = torch.randn(3, 64, BATCH)  # (K, D, B)
    w = torch.randn(3, 3, BATCH)  # (K, C, B) d loss / d logits

    def passes():
        for p in pop.parameters():
            p.grad = None
        z, cache = pop.forward_cache(x)
        pop.backward_fm(cache, w)
        return z, [p.grad for p in pop.parameters()]

    z, grads = passes()
    monkeypatch.setattr(models, "MEMBER_GEMM", float("inf"))
    z_batched, grads_batched = passes()
    assert torch.allclose(z, z_batched, atol=1e-5)
    for a, b in zip(grads, grads_batched):
        assert torch.allclose(a, b, atol=1e-4, rtol=1e-4)


def test_a_large_step_allocates_nothing_the_size_of_the_weights(ds):
    """No (K, P) optimiser temporaries and no (K, out, in) gradient copies: the largest tensor a step allocates is
    smaller than the members' largest weight matrix (activations (K, H, B) are, with B < H)."""
    run = run_of(ds, [MemberConfig("baseline", lr=1e-3, seed=i) for i in range(3)], dtype=torch.float32).step(1)
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        run._train_step()
    largest = max(e.cpu_memory_usage for e in prof.events())
    weight_bytes = max(w.numel() for w in run.population.weight) * run._flat.element_size()  # K out in floats
    assert 0 < largest < weight_bytes


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (bench/gpu.sh runs it on one)")
def test_large_members_on_cuda_equal_the_same_run_on_the_cpu(ds):
    """The fused Adam kernel and the batched products on CUDA against the CPU's per-member path, in float64."""
    members = [MemberConfig("baseline", lr=1e-3, seed=0), MemberConfig("baseline", lr=2e-3, seed=1)]
    cpu, cuda = (run_of(ds, members, device=d).step(8) for d in ("cpu", "cuda"))
    assert cuda._fused_adam is not None
    assert torch.allclose(cuda._flat.cpu(), cpu._flat, atol=1e-9)
