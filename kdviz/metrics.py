"""Evaluation metrics on tensors, batched over a leading population dimension.

Logits are (N, C) for one model or (K, N, C) for a population of K members; labels are (N,)
(shared) or (K, N); teacher logits are (N, C) (shared) or (K, N, C). Every metric returns one value
per member: a tensor of shape (K,) (or a 0-d tensor for unbatched input), on the logits' device.
Shapes and label values are checked with ValueErrors; logit values are not (a diverged member's
NaN logits give NaN metrics, not an error). Every metric accepts logits or an Outputs, which
computes log-probabilities and predictions once (class-major, fast on the CPU) for several metrics.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from kdviz.softening import kl_from_log

ECE_BINS = 15  # equal-width confidence bins (Guo et al. 2017)
FLAT_PICK = 8  # members from which shared labels select with one flat index_select (below, gather is cheaper)


class Outputs:
    """Logits (N, C)/(K, N, C) with their log-probabilities, top-1 predictions and confidences, computed once.

    Every metric accepts logits or an Outputs; pass one Outputs to several metrics to share the
    work. Internally class-major ((..., C, N)): torch's CPU kernels are several times faster there
    for 2-10 classes than over a short last dimension, and logits coming from a Population are
    already stored that way (their transpose is contiguous).
    """

    def __init__(self, z, name: str = "logits"):
        if isinstance(z, Outputs):
            z = z.logits
        if not isinstance(z, torch.Tensor) or z.dim() not in (2, 3) or z.shape[-1] < 2 or z.shape[-2] < 1:
            shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"{name} must have shape (samples, classes) or (members, samples, classes) with at "
                             f"least one sample and 2 classes, got {shape}")
        if not z.is_floating_point():
            raise ValueError(f"{name} must be floating point, got {z.dtype}")
        self.logits = z
        self._lp = self._top = self._pred = None

    @property
    def log_probs_cm(self) -> torch.Tensor:
        """log softmax over classes, class-major: (..., C, N)."""
        if self._lp is None:
            self._lp = F.log_softmax(self.logits.transpose(-1, -2), -2)
        return self._lp

    @property
    def log_probs(self) -> torch.Tensor:
        """log softmax over classes, shaped like the logits (..., N, C)."""
        return self.log_probs_cm.transpose(-1, -2)

    def _top1(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(top_onehot (..., C, N), confidences (..., N)), computed once.

        The indicator comes from float-only ops (argmax/max-with-indices over a strided class
        dimension and bool-valued ops are slow on the CPU): sign(lp - max) + 1 is 1 exactly at the
        maxima (a NaN sample counts as tied everywhere), and each class keeps its 1 only where no
        earlier class has one, so a tie goes to the first maximum, as argmax does, and a NaN sample
        to class 0. Metrics compare it with labels by selecting entries, not through predictions. Both are
        detached: counts and confidences carry no gradient (as argmax's did), whatever the logits carry."""
        if self._top is None:
            lp = self.log_probs_cm.detach()
            top = lp.amax(-2, keepdim=True)  # (..., 1, N)
            hit = (lp - top).sign_().add_(1.0).nan_to_num_(1.0)  # (..., C, N) 1.0 at every maximum
            free = 1.0 - hit[..., :1, :]  # (..., 1, N) 1.0 where no earlier class is the maximum
            for c in range(1, hit.shape[-2]):
                row = hit[..., c:c + 1, :].mul_(free)
                if c + 1 < hit.shape[-2]:
                    free = free - row
            self._top = (hit, top.squeeze(-2).exp())
        return self._top

    @property
    def top_onehot(self) -> torch.Tensor:
        """The top-1 class as a class-major indicator (..., C, N): 1.0 at each sample's prediction, 0.0 elsewhere."""
        return self._top1()[0]

    @property
    def predictions(self) -> torch.Tensor:
        """Top-1 class per sample (..., N), int64 (the first of tied maxima; 0 for NaN logits)."""
        if self._pred is None:
            hit = self.top_onehot
            classes = torch.arange(hit.shape[-2], dtype=hit.dtype, device=hit.device)  # (C,)
            self._pred = torch.matmul(classes, hit).long()  # one 1.0 per sample: exact
        return self._pred

    @property
    def confidence(self) -> torch.Tensor:
        """Top softmax probability per sample (..., N)."""
        return self._top1()[1]


def log_softmax_classes(z: torch.Tensor, T=None) -> torch.Tensor:
    """log softmax(z / T) over the last (class) dimension of z (..., N, C), same shape.

    Computed over the transposed (..., C, N) view: torch's CPU kernel for a short contiguous last
    dimension pays per row and is ~10x slower there for 2-10 classes. T: None, a number, or a
    tensor broadcasting against (..., C, N) such as (K, 1, 1).
    """
    zt = z.transpose(-1, -2)
    if T is not None:
        zt = zt / T
    return F.log_softmax(zt, -2).transpose(-1, -2)


def _out(z, name: str = "logits") -> Outputs:
    """Logits or Outputs as Outputs."""
    return z if isinstance(z, Outputs) else Outputs(z, name)


def _labels(y, z: torch.Tensor) -> torch.Tensor:
    """Labels (N,) or (K, N) as int64 on z's device, each in [0, C), checked against z.shape[:-1] (not broadcast)."""
    y = torch.as_tensor(y, device=z.device)
    if y.is_floating_point() or y.dtype == torch.bool:
        raise ValueError(f"labels must be integer class indices, got {y.dtype}")
    y = y.long()
    lead = z.shape[:-1]
    if y.shape != lead and not (y.dim() == 1 and len(lead) == 2 and y.shape[0] == lead[1]):
        raise ValueError(f"labels have shape {tuple(y.shape)} but the logits {tuple(z.shape)} need {tuple(lead)} "
                         f"or ({lead[-1]},)")
    c = z.shape[-1]
    low, high = torch.aminmax(y) if y.numel() else (0, 0)  # one pass for both bounds
    if int(low) < 0 or int(high) >= c:
        raise ValueError(f"labels must lie in [0, {c - 1}] for {c} classes (unlabelled points, -1, are not allowed here)")
    return y


def _teacher(v, z: torch.Tensor) -> Outputs:
    """Teacher logits (or Outputs) shaped like z, or like z without the member dimension."""
    v = _out(v, "teacher logits")
    if v.logits.shape != z.shape and v.logits.shape != z.shape[-2:]:
        raise ValueError(f"teacher logits {tuple(v.logits.shape)} do not match student logits {tuple(z.shape)}")
    return v


def _pick(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The entries of a class-major t (..., C, N) at each sample's class y (N,) or (..., N): (..., N).

    Labels shared by FLAT_PICK or more members select from the flattened (C * N) rows with one
    index_select (several times faster than gather over the class dimension on the CPU)."""
    c, n = t.shape[-2:]
    if y.dim() == 1 and t.dim() == 3 and t.shape[0] >= FLAT_PICK:
        flat = y * n + torch.arange(n, device=y.device)  # (N,) position of (y_n, n) in a row of C * N
        return t.reshape(t.shape[0], c * n).index_select(1, flat)
    return t.gather(-2, y.expand(t.shape[:-2] + (n,)).unsqueeze(-2)).squeeze(-2)


def _correct(o: Outputs, y: torch.Tensor) -> torch.Tensor:
    """1.0 where the top-1 class equals the label y (N,) or (..., N), else 0.0: (..., N)."""
    return _pick(o.top_onehot, y)


def predictions(z) -> torch.Tensor:
    """Top-1 class per sample: (..., N, C) -> (..., N) int64."""
    return _out(z).predictions


def accuracy(z, y) -> torch.Tensor:
    """Fraction of samples whose top-1 class equals the label: (K,) or ()."""
    return hits(z, y).float().mean(-1)


def hits(z, y) -> torch.Tensor:
    """Whether each sample's top-1 class equals its label: (..., N, C) -> (..., N) bool (accuracy is its mean)."""
    o = _out(z)
    return _correct(o, _labels(y, o.logits)) > 0


def fidelity(z, v) -> torch.Tensor:
    """Top-1 agreement with the teacher: fraction of samples where argmax z == argmax v: (K,) or ()."""
    o = _out(z, "student logits")
    return _correct(o, _teacher(v, o.logits).predictions.to(o.logits.device)).float().mean(-1)


def kl_to_teacher(z, v) -> torch.Tensor:
    """Batch mean of KL(softmax(v) || softmax(z)) at T = 1, the teacher as target: (K,) or ()."""
    o = _out(z, "student logits")
    logq = _teacher(v, o.logits).log_probs_cm.to(device=o.logits.device, dtype=o.logits.dtype)  # (..., C, N)
    return kl_from_log(logq.transpose(-1, -2), o.log_probs).mean(-1)


def nll(z, y) -> torch.Tensor:
    """Mean negative log-likelihood -log softmax(z)[y] (cross-entropy at T = 1): (K,) or ()."""
    o = _out(z)
    return -_pick(o.log_probs_cm, _labels(y, o.logits)).mean(-1)


def expected_calibration_error(z, y, bins: int = ECE_BINS) -> torch.Tensor:
    """ECE = sum_b |B_b|/N * |acc(B_b) - conf(B_b)| over equal-width confidence bins: (K,) or ().

    The confidence is the top softmax probability; bin b holds confidences in (b/M, (b+1)/M].
    """
    o = _out(z)
    y = _labels(y, o.logits)
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"number of ECE bins must be a whole number >= 1, got {bins!r}")
    conf = o.confidence  # (K, N)
    n = conf.shape[-1]
    gap_per_sample = (conf - _correct(o, y)).reshape(-1, n)  # conf - correct
    idx = (conf * bins).ceil_().long().sub_(1).clamp_(0, bins - 1).reshape(-1, n)  # bin of each sample
    gap = torch.zeros(idx.shape[0], bins, dtype=conf.dtype, device=conf.device)  # (K, M)
    gap.scatter_add_(1, idx, gap_per_sample)  # per bin: |B| (conf_b - acc_b)
    return (gap.abs().sum(-1) / n).reshape(conf.shape[:-1])


ece = expected_calibration_error


def confusion_matrix(z, y) -> torch.Tensor:
    """Counts M[i, j] of samples with label i predicted as j: (K, C, C) or (C, C), int64.

    Rows are true classes and columns predictions, as in sklearn.metrics.confusion_matrix.
    """
    o = _out(z)
    y = _labels(y, o.logits)
    hit = o.top_onehot  # (..., C, N)
    counts = hit if hit.dtype in (torch.float32, torch.float64) else hit.float()  # whole counts stay exact
    truth = F.one_hot(y, hit.shape[-2]).to(counts.dtype)  # (..., N, C)
    return torch.matmul(counts, truth).transpose(-1, -2).long()  # (..., true, predicted)


def recall_per_class(z, y) -> torch.Tensor:
    """Recall of each class (K, C) or (C,): correct / support; NaN for a class absent from y."""
    cm = confusion_matrix(z, y).to(torch.float64)
    support = cm.sum(-1)  # (K, C)
    diag = torch.diagonal(cm, dim1=-2, dim2=-1)
    return (diag / support).to(_out(z).logits.dtype)  # 0/0 -> NaN where the class has no samples


def balanced_accuracy(z, y) -> torch.Tensor:
    """Mean recall over the classes present in y (sklearn's balanced_accuracy_score): (K,) or ()."""
    return torch.nanmean(recall_per_class(z, y), dim=-1)
