"""MLP and Population: shapes, taps, member k == MLP under seed k, round trips, manual backward, bad sizes."""
import pickle

import pytest
import torch

from kdviz.device import available_devices
from kdviz.models import MAX_PARAMS, MLP, Population, check_sizes, describe, n_params, param_count
from tests.tolerance import assert_logits_close

DEVICES = available_devices()
SIZES = [3, 7, 5, 4]


def test_mlp_shapes_and_named_taps():
    m = MLP(SIZES, activation="tanh")
    z, taps = m.forward_taps(torch.randn(6, 3))
    assert z.shape == (6, 4) and list(taps) == ["h1", "h2"]
    assert taps["h1"].shape == (6, 7) and taps["h2"].shape == (6, 5)
    assert taps["h1"].abs().max() <= 1  # tanh activations, before dropout
    assert torch.equal(m(torch.ones(2, 3)), m.forward_taps(torch.ones(2, 3))[0])


def test_mlp_seed_equals_global_manual_seed_and_leaves_the_global_rng_alone():
    torch.manual_seed(11)
    ref = MLP(SIZES)
    state = torch.get_rng_state()
    seeded = MLP(SIZES, seed=11)
    assert torch.equal(state, torch.get_rng_state())
    assert all(torch.equal(a, b) for a, b in zip(ref.parameters(), seeded.parameters()))
    assert not torch.equal(MLP(SIZES, seed=12).layers[0].weight, seeded.layers[0].weight)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu"])
def test_population_member_k_is_the_mlp_of_seed_k(device, activation):
    seeds = [5, 0, 9]
    pop = Population(SIZES, seeds, activation, device=device)
    x = torch.randn(8, 3, device=device)
    for k, s in enumerate(seeds):
        alone = MLP(SIZES, activation, seed=s).to(device)
        for layer, w, b, w_in, b_in in zip(alone.layers, pop.weight, pop.bias, pop.W, pop.b):
            assert torch.equal(w[k], layer.weight) and torch.equal(b[k, :, 0], layer.bias)  # same init, exactly
            assert torch.equal(w_in[k], layer.weight.t()) and torch.equal(b_in[k, 0], layer.bias)
        z_alone, taps_alone = alone.forward_taps(x)
        z_pop, taps_pop = pop.forward_taps(x)  # shared input (B, D)
        assert torch.allclose(z_pop[k], z_alone, atol=1e-6)
        assert torch.allclose(taps_pop["h2"][k], taps_alone["h2"], atol=1e-6)
        per_member = pop(x.expand(3, -1, -1))  # one batch per member (K, B, D)
        assert torch.allclose(per_member[k], z_alone, atol=1e-6)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_a_large_population_on_one_input_runs_in_blocks_of_members_with_the_same_numbers(activation, monkeypatch):
    """At evaluation (no grad, no taps) members go through in blocks whose activations fit BLOCK_FLOATS;
    each member's logits equal its MLP's, and the blocked and unblocked paths agree (to float32 rounding:
    blocks are batched matmuls of other shapes, which a BLAS may sum in another order)."""
    pop = Population([2, 16, 8, 3], list(range(37)), activation)  # 37 x 16 x 1000 floats: several blocks
    x = torch.randn(1000, 2, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        blocked = pop(x)  # (K, B, C)
        monkeypatch.setattr("kdviz.models.BLOCK_FLOATS", 1 << 40)  # one block: every member at once
        whole = pop(x)
        _, taps = pop.forward_taps(x)  # with taps: never blocked
    assert_logits_close(blocked, whole)
    assert taps["h2"].shape == (37, 1000, 8)
    for k in (0, 17, 36):  # the first, a middle and the last block
        assert_logits_close(blocked[k], pop.member(k)(x))


def test_population_layer_equals_x_at_w_plus_b():
    pop = Population([2, 3], [1, 2])
    x = torch.randn(2, 4, 2)
    assert torch.allclose(pop(x), x @ pop.W[0] + pop.b[0], atol=1e-6)


def test_logits_are_views_of_class_major_storage():
    pop = Population(SIZES, [0, 1])
    z = pop(torch.randn(5, 3))
    assert z.shape == (2, 5, 4) and z.transpose(1, 2).is_contiguous()


def test_member_round_trip_copies_weights():
    pop = Population(SIZES, [1, 2, 3])
    members = [pop.member(k) for k in range(3)]
    again = Population.from_models(members)
    x = torch.randn(4, 3)
    assert torch.equal(again(x), pop(x))
    with torch.no_grad():
        members[1].layers[0].weight.add_(1.0)  # a copy: the population is untouched
    assert torch.equal(again(x), pop(x))
    assert torch.equal(pop.member(-1).layers[2].bias, pop.bias[2][2, :, 0])
    with pytest.raises(ValueError, match="member 3 does not exist"):
        pop.member(3)


def test_arrays_round_trip_and_pickle():
    pop = Population(SIZES, [4, 5], "tanh", dropout=0.1)
    state = pickle.loads(pickle.dumps(pop.arrays()))
    back = Population.from_arrays(state).eval()
    x = torch.randn(3, 3)
    assert torch.equal(back(x), pop.eval()(x)) and back.activation == "tanh" and back.dropout == 0.1


def test_from_models_rejects_mixed_architectures():
    with pytest.raises(ValueError, match="one architecture"):
        Population.from_models([MLP([2, 4, 2]), MLP([2, 5, 2])])
    with pytest.raises(ValueError, match="non-empty list"):
        Population.from_models([])


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_manual_backward_equals_autograd(activation):
    pop = Population(SIZES, [1, 2, 3], activation)
    x = torch.randn(3, 3, 9)  # (K, D, B)
    g = torch.randn(3, 4, 9)  # d loss / d logits
    z, _ = pop.forward_fm(x)
    (z * g).sum().backward()
    ref = [p.grad.clone() for p in pop.parameters()]
    for p in pop.parameters():
        p.grad = None
    z2, cache = pop.forward_cache(x)
    pop.backward_fm(cache, g)
    assert torch.allclose(z2, z, atol=1e-6)
    for a, p in zip(ref, pop.parameters()):
        assert torch.allclose(p.grad, a, atol=1e-5)


def test_manual_backward_refuses_what_it_cannot_differentiate():
    pop = Population([2, 4, 2], [0], "gelu")
    with pytest.raises(ValueError, match="relu or tanh"):
        pop.forward_cache(torch.randn(1, 2, 3))
    with pytest.raises(ValueError, match="relu or tanh"):
        pop.backward_fm(([torch.randn(1, 2, 3)], list(pop.weight)), torch.randn(1, 2, 3))
    assert not Population([2, 4, 2], [0], dropout=0.5).manual_backward
    assert Population([2, 4, 2], [0], dropout=0.5).eval().manual_backward


def test_dropout_only_in_training_and_reproducible_with_a_generator():
    pop = Population([2, 64, 2], [0], dropout=0.5)
    x = torch.randn(32, 2)
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    a, b = pop(x, gen()), pop(x, gen())
    assert torch.equal(a, b) and not torch.equal(a, pop(x, torch.Generator().manual_seed(4)))
    pop.eval()
    assert torch.equal(pop(x), pop(x))
    m = MLP([2, 64, 2], dropout=0.5).eval()
    assert torch.equal(m(x), m(x))


@pytest.mark.parametrize("bad,message", [
    ([2], "at least an input and an output"),
    ([2, 0, 2], "positive"),
    ([2, 1.5, 2], "whole numbers"),
    ([2, True, 2], "whole numbers"),
    (5, "list of whole numbers"),
    ([2, 3000, 3000, 2], "architecture too large: 2-3000-3000-2 has 9,018,002 parameters"),
])
def test_bad_sizes_raise(bad, message):
    with pytest.raises(ValueError, match=message):
        MLP(bad)


def test_bad_options_raise():
    with pytest.raises(ValueError, match="unknown activation"):
        MLP([2, 2], activation="sigmoid")
    with pytest.raises(ValueError, match="dropout"):
        MLP([2, 2], dropout=1.0)
    with pytest.raises(ValueError, match="population too large"):
        Population([100, 1000, 1000, 10], list(range(60)))
    with pytest.raises(ValueError, match="at least one member"):
        Population([2, 2], [])
    with pytest.raises(ValueError, match="3 features"):
        Population(SIZES, [0])(torch.randn(4, 2))
    with pytest.raises(ValueError, match="2 batches but the population has 1"):
        Population(SIZES, [0])(torch.randn(2, 4, 3))


def test_parameter_counts():
    assert n_params([2, 16, 2]) == 2 * 16 + 16 + 16 * 2 + 2 == 82
    assert param_count(MLP([2, 16, 2])) == 82 and param_count(Population([2, 16, 2], [0, 1, 2])) == 82
    assert describe([2, 16, 2]) == "2-16-2 (82 parameters)"
    assert check_sizes((2, 4)) == (2, 4) and n_params([1, MAX_PARAMS // 2 - 1]) <= MAX_PARAMS
