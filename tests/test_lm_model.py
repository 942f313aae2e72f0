"""The population character GRU against PyTorch's own nn.GRU (an independent implementation), member by member."""
import torch
from torch import nn

from kdviz.lm.model import CharGRU, Shape

SHAPE = Shape(vocab=11, embed=5, hidden=7)


def reference(model: CharGRU, k: int):
    """Member k as nn.Embedding + nn.GRU + nn.Linear with the same weights."""
    emb, gru, out = nn.Embedding(11, 5), nn.GRU(5, 7, batch_first=True), nn.Linear(7, 11)
    with torch.no_grad():
        emb.weight.copy_(model.embed[k])
        gru.weight_ih_l0.copy_(model.w_x[k].T), gru.bias_ih_l0.copy_(model.b_x[k])
        gru.weight_hh_l0.copy_(model.w_h[k].T), gru.bias_hh_l0.copy_(model.b_h[k])
        out.weight.copy_(model.w_o[k].T), out.bias.copy_(model.b_o[k])
    return lambda ids: out(gru(emb(ids))[0])


def test_each_member_is_pytorchs_gru():
    model = CharGRU(SHAPE, seeds=[0, 1, 2])
    ids = torch.randint(0, 11, (3, 4, 9), generator=torch.Generator().manual_seed(0))  # (K, B, L)
    logits, _ = model(ids)
    for k in range(3):
        torch.testing.assert_close(logits[k], reference(model, k)(ids[k]), rtol=1e-5, atol=1e-5)


def test_a_window_in_two_pieces_equals_the_whole():
    model = CharGRU(SHAPE, seeds=[3])
    ids = torch.randint(0, 11, (2, 10), generator=torch.Generator().manual_seed(1))
    whole, _ = model(ids)
    first, state = model(ids[:, :4])
    second, _ = model(ids[:, 4:], state)
    torch.testing.assert_close(torch.cat([first, second], dim=2), whole, rtol=1e-5, atol=1e-6)


def test_members_of_the_same_seed_start_equal_and_others_differ():
    model = CharGRU(SHAPE, seeds=[5, 5, 6])
    assert torch.equal(model.w_h[0], model.w_h[1]) and not torch.equal(model.w_h[0], model.w_h[2])
    assert Shape().params == sum(p[0].numel() for p in CharGRU(Shape(), seeds=[0]).parameters())


def test_sampling_is_seeded_and_keeps_the_prefix():
    model = CharGRU(SHAPE, seeds=[0, 1])
    prefix = torch.randint(0, 11, (3, 4), generator=torch.Generator().manual_seed(2))
    a = model.sample(prefix, 6, generator=torch.Generator().manual_seed(9))
    b = model.sample(prefix, 6, generator=torch.Generator().manual_seed(9))
    assert a.shape == (2, 3, 10) and torch.equal(a, b) and torch.equal(a[0, :, :4], prefix)
