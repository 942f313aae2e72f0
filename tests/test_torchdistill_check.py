"""torchdistill 1.1.5's KDLoss, re-implemented from its source, against kdviz's kd_loss.

Source: torchdistill 1.1.5 (PyPI wheel), torchdistill/losses/mid_level.py, KDLoss.forward; see
kdviz/torchdistill_check.py for the lines.
"""
import numpy as np
import pytest
import torch

from kdviz import softening as S
from kdviz.torchdistill_check import scale_jump, sentence, torchdistill_kd_loss

TS = (0.5, 1.0, 2.0, 4.0, 8.0, 20.0)


@pytest.fixture(scope="module")
def batch():
    g = torch.Generator().manual_seed(0)
    z, v = torch.randn(16, 5, generator=g, dtype=torch.float64) * 3, torch.randn(16, 5, generator=g, dtype=torch.float64) * 3
    return z, v, torch.randint(0, 5, (16,), generator=g)


@pytest.mark.parametrize("T", TS)
@pytest.mark.parametrize("alpha", (0.001, 0.1, 0.5, 0.9, 1.0))
def test_it_is_the_documented_formula_for_every_alpha_above_zero(batch, T, alpha):
    z, v, y = batch
    ours = S.kd_loss(z, v, y, T, alpha).total
    assert torch.allclose(torchdistill_kd_loss(z, v, y, T, alpha), ours, rtol=1e-12, atol=0)


@pytest.mark.parametrize("T", TS)
def test_at_alpha_zero_it_drops_t_squared(batch, T):
    z, v, y = batch
    kl = S.kl_teacher_student(z, v, T).mean()
    assert torch.allclose(torchdistill_kd_loss(z, v, y, T, 0.0), kl, rtol=1e-12)
    assert torch.allclose(torchdistill_kd_loss(z, v, y, T, None), kl, rtol=1e-12)  # alpha None: the same branch
    assert torch.allclose(S.kd_loss(z, v, y, T, 0.0).total, T * T * kl, rtol=1e-12)


def test_the_page_note_states_the_jump_computed():
    z, v = [0.0, 1.0, 2.0], [2.0, 1.0, 0.0]
    j = scale_jump(z, v, 4.0)
    ce = float(S.cross_entropy(torch.tensor(z, dtype=torch.float64), 0))  # label: the teacher's class, 0
    assert j.at_small == pytest.approx(0.001 * ce + 0.999 * 16 * j.at_zero, rel=1e-12)
    assert 15 < j.jump < 17  # about T^2
    assert j.documented_zero == pytest.approx(16 * j.at_zero, rel=1e-12)
    text = sentence(j)
    assert f"{j.at_zero:.4g}" in text and f"{j.jump:.4g}" in text and "T = 4" in text
    assert np.isfinite(j.jump)
