"""How tests compare numbers that two different code paths compute from the same weights.

Bitwise equality holds only where the same code runs twice on the same numbers. An nn.Linear forward
and the population's batched matmuls (blocked or not) add the same products in another order, and the
BLAS kernel that orders them depends on the CPU (AVX2, AVX-512, ARM NEON) and on the shapes, so their
float32 results may differ in the last bits on another machine. Such pairs are compared with
LOGITS_RTOL / LOGITS_ATOL: float32 keeps ~7 digits; a few layers of sums of tens of products, each
rounding once, stay below 1e-6 relative, and 1e-5 leaves room while catching any real mistake (a wrong
member, bias or block moves logits by orders of magnitude more).
"""
from __future__ import annotations

import torch

LOGITS_RTOL = 1e-5  # relative: float32 sums in another order (see the module's docstring)
LOGITS_ATOL = 1e-5  # absolute, for logits near zero


def assert_logits_close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    """Logits from two code paths over the same weights agree to float32 rounding (see the module's docstring)."""
    torch.testing.assert_close(actual, expected, rtol=LOGITS_RTOL, atol=LOGITS_ATOL)


def assert_reloaded_member(model: torch.nn.Module, pop, k: int, x: torch.Tensor) -> None:
    """``model`` (an MLP reloaded from an export) holds member k of population ``pop`` exactly and predicts
    what the member predicts on x (B, D).

    Exact where the same numbers go through the same code: the weights are copies, and the model's
    nn.Linear forward equals pop.member(k)'s bit for bit. Against the population's own batched forward
    (another kernel): float32 rounding (assert_logits_close)."""
    member = pop.member(k).eval()
    mine, theirs = model.state_dict(), member.state_dict()
    assert list(mine) == list(theirs)
    for name in mine:
        assert torch.equal(mine[name], theirs[name]), name  # the export holds the trained weights exactly
    with torch.no_grad():
        z = model.eval()(x)  # (B, C)
        assert torch.equal(z, member(x))  # the same weights through the same nn.Linear code
        assert_logits_close(z, pop.eval()(x)[k])


def one_point(n: int) -> float:
    """The accuracy one of n test points is worth: the tolerance between accuracies computed from logits of
    two code paths, where a point within rounding of the decision boundary may fall either way."""
    return 1.0 / n
