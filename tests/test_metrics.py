"""Metrics against sklearn.metrics, torch.nn.functional and naive float64 loops, batched over members."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn import metrics as skm

from kdviz import metrics as M

K, N, C = 3, 60, 4


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(K, N, C, generator=g) * 2
    z[0, :6] = torch.tensor([1.0, 1.0, 0.0, -1.0])  # ties: the first maximum wins, as in argmax
    y = torch.randint(0, C, (N,), generator=g)
    v = torch.randn(N, C, generator=g) * 2
    return z, y, v


def naive_ece(probs: np.ndarray, y: np.ndarray, bins: int) -> float:
    """Guo et al.'s ECE with bins (b/M, (b+1)/M], by a plain loop in float64."""
    conf, pred = probs.max(1), probs.argmax(1)
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            total += sel.sum() / len(y) * abs((pred[sel] == y[sel]).mean() - conf[sel].mean())
    return total


def test_predictions_are_argmax_with_first_maximum_on_ties(data):
    z, _, _ = data
    assert torch.equal(M.predictions(z), z.argmax(-1))
    assert M.predictions(z)[0, :6].tolist() == [0] * 6


def test_accuracy_balanced_accuracy_confusion_against_sklearn(data):
    z, y, _ = data
    acc, bal, cm = M.accuracy(z, y), M.balanced_accuracy(z, y), M.confusion_matrix(z, y)
    assert acc.shape == bal.shape == (K,) and cm.shape == (K, C, C)
    for k in range(K):
        pred = z[k].argmax(-1).numpy()
        assert acc[k].item() == pytest.approx(skm.accuracy_score(y, pred))
        assert bal[k].item() == pytest.approx(skm.balanced_accuracy_score(y, pred))
        assert np.array_equal(cm[k].numpy(), skm.confusion_matrix(y, pred, labels=range(C)))
    assert M.accuracy(z[1], y).shape == () and M.accuracy(z[1], y) == acc[1]


@pytest.mark.parametrize("members", [1, 3, 8, 20])
def test_accuracy_and_recall_of_many_members_against_a_plain_comparison(members):
    """The label picks of 8+ members (one flat selection) and of fewer (a gather) both equal pred == y."""
    g = torch.Generator().manual_seed(members)
    z = torch.randn(members, 200, 5, generator=g)
    z[:, :10] = 0.0  # ties: the first maximum wins
    y = torch.randint(0, 5, (200,), generator=g)
    right = (z.argmax(-1) == y).double()  # (K, N)
    torch.testing.assert_close(M.accuracy(z, y).double(), right.mean(-1), rtol=0, atol=1e-7)
    recall = M.recall_per_class(z, y)  # (K, C)
    for c in range(5):
        torch.testing.assert_close(recall[:, c].double(), right[:, y == c].mean(-1), rtol=0, atol=1e-7)


def test_counting_metrics_of_logits_that_require_grad_carry_no_gradient(data):
    z, y, v = data
    z = z.clone().requires_grad_()
    for value in (M.accuracy(z, y), M.recall_per_class(z, y), M.confusion_matrix(z, y), M.predictions(z),
                  M.fidelity(z, v), M.ece(z, y)):
        assert not value.requires_grad
        value.numpy()  # what a caller does with them
    assert M.nll(z, y).requires_grad  # the log-likelihood stays differentiable


def test_balanced_accuracy_ignores_classes_absent_from_the_labels():
    z = torch.tensor([[3.0, 0, 0], [0, 3.0, 0], [0, 0, 3.0], [3.0, 0, 0]])
    y = torch.tensor([0, 0, 1, 1])  # class 2 never appears in y
    recall = M.recall_per_class(z, y)
    assert recall[0] == 0.5 and recall[1] == 0.0 and math.isnan(recall[2])
    with pytest.warns(UserWarning):  # sklearn warns about the predicted-only class, then ignores it
        expected = skm.balanced_accuracy_score(y, z.argmax(-1))
    assert M.balanced_accuracy(z, y).item() == pytest.approx(expected)


def test_nll_is_cross_entropy(data):
    z, y, _ = data
    ref = torch.stack([F.cross_entropy(z[k], y) for k in range(K)])
    assert torch.allclose(M.nll(z, y), ref, atol=1e-6)
    probs = F.softmax(z[2].double(), -1).numpy()
    assert M.nll(z[2], y).item() == pytest.approx(skm.log_loss(y, probs, labels=range(C)), rel=1e-5)


def test_kl_to_teacher_and_fidelity_against_naive_loops(data):
    z, _, v = data
    p = F.softmax(z.double(), -1).numpy()
    q = F.softmax(v.double(), -1).numpy()
    kl = M.kl_to_teacher(z, v)
    fid = M.fidelity(z, v)
    for k in range(K):
        naive = np.mean([sum(q[i, c] * math.log(q[i, c] / p[k, i, c]) for c in range(C)) for i in range(N)])
        assert kl[k].item() == pytest.approx(naive, rel=1e-4)
        assert fid[k].item() == pytest.approx(np.mean(p[k].argmax(1) == q.argmax(1)))
    assert torch.allclose(M.kl_to_teacher(v, v), torch.zeros(()), atol=1e-7)
    assert M.fidelity(v, v) == 1.0
    assert torch.allclose(M.kl_to_teacher(z, v.expand(K, N, C)), kl)  # per-member teachers too


def test_ece_against_a_naive_loop_and_a_hand_computed_case(data):
    z, y, _ = data
    ece = M.expected_calibration_error(z, y, bins=10)
    for k in range(K):
        naive = naive_ece(F.softmax(z[k].double(), -1).numpy(), y.numpy(), 10)
        assert ece[k].item() == pytest.approx(naive, abs=1e-6)
    # two samples at confidence 0.9 (one right, one wrong): |0.5 - 0.9| = 0.4
    zz = torch.log(torch.tensor([[0.9, 0.1], [0.9, 0.1]]))
    assert M.ece(zz, torch.tensor([0, 1])).item() == pytest.approx(0.4, abs=1e-6)
    assert M.ece(zz, torch.tensor([0, 0])).item() == pytest.approx(0.1, abs=1e-6)


def test_layout_and_shared_outputs_do_not_change_results(data):
    z, y, v = data
    class_major = z.transpose(1, 2).contiguous().transpose(1, 2)  # the layout a Population returns
    o = M.Outputs(class_major)
    for fn in (M.accuracy, M.nll, M.ece, M.balanced_accuracy):
        assert torch.allclose(fn(o, y), fn(z, y), atol=1e-6)
    assert torch.allclose(M.kl_to_teacher(o, M.Outputs(v)), M.kl_to_teacher(z, v), atol=1e-6)
    assert torch.allclose(M.log_softmax_classes(z, 2.0), F.log_softmax(z / 2.0, -1), atol=1e-6)


def test_diverged_members_give_nan_metrics_not_errors(data):
    z, y, _ = data
    z = z.clone()
    z[1] = float("nan")
    acc = M.accuracy(z, y)
    assert torch.isfinite(acc).all() and M.confusion_matrix(z, y)[1].sum() == N
    assert math.isnan(M.nll(z, y)[1]) and not math.isnan(M.nll(z, y)[0])


@pytest.mark.parametrize("call,message", [
    (lambda z, y: M.accuracy(z, y[:5]), "labels have shape"),
    (lambda z, y: M.accuracy(z, y.float()), "integer class indices"),
    (lambda z, y: M.accuracy(z, y - 1), r"labels must lie in \[0, 3\]"),
    (lambda z, y: M.nll(z[:, :, :1], y), "2 classes"),
    (lambda z, y: M.fidelity(z, z[0, :5]), "do not match"),
    (lambda z, y: M.ece(z, y, bins=0), "ECE bins"),
    (lambda z, y: M.accuracy(z.long(), y), "floating point"),
])
def test_bad_inputs_raise(data, call, message):
    z, y, _ = data
    with pytest.raises(ValueError, match=message):
        call(z, y)
