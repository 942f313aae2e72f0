"""Hinton's KD and the no-KD baseline as engine methods, with their analytic fast path.

"baseline": CE(softmax(z), y) on the labelled points. "kd": alpha CE + (1 - alpha) T^2
KL(q^T || p^T) (kdviz.softening.kd_loss, batch mean). Both give their gradient with respect to
the logits in closed form, so a run of these two never calls autograd. The KD targets on every
training point are tabulated once (KDTables: per member for small runs, per temperature for large
labelled ones): the loss is then a few weighted sums, fewer tensor operations for the same value
and gradient; beyond the tables' limits the teacher is softened on each batch.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from kdviz.train.kernels import hard_grad, hard_loss, onehot_fm, soft_toward, soft_toward_grad
from kdviz.train.methods import Batch, Grad, register_method

MEMBER_TABLE = 1 << 16  # K * C * N up to which KD targets are tabulated per member (beyond: cache misses cost more)
MAX_TABLE = 1 << 22  # J * C * N up to which labelled runs beyond MEMBER_TABLE keep one per temperature (0: no tables)


class KDTables:
    """KD targets on every training point, made once (see kd_setup for which runs keep which form).

    With A = -alpha onehot(y) / n (n = labelled points in the batch), Q = -(1 - alpha) T^2 q^T / B and
    H = (1 - alpha) T^2 sum_c q^T log q^T / B, the KD loss of a member is
    sum_{c,b} A log p + Q log p^T + H: alpha CE + (1 - alpha) T^2 KL(q^T||p^T), in fewer tensor
    operations (per-op overhead dominates small models). When every point is labelled (n = B), only
    G = A + Q / T and H are needed: since sum_c A = -alpha / B and sum_c Q = -(1 - alpha) T^2 / B,
    log p = z - lse(z) gives loss = sum_{c,b} G z + alpha/B sum_b lse(z) + (1 - alpha) T^2/B sum_b lse(z/T)
    + sum_b H and d loss / dz = G + alpha/B p + (1 - alpha) T/B p^T. Small runs keep them per member,
    one (K, C + 1, N) table gathered once per step; larger ones keep [onehot(y), q^T, sum_c q^T log q^T]
    once per distinct temperature, a (2C + 1, J N) table that stays in the cache (a 128-member T x alpha
    grid has 8 temperatures), and form G and H per step. With unlabelled points A, Q (K, C, N) and
    H (K, N) are kept per member. Rows are picked by member position.
    """

    def __init__(self, run, per_temperature: bool):
        """per_temperature: keep the per-temperature table (labelled data only) instead of per-member ones."""
        tables, consts = run.tables, run.consts
        k = len(run.members)
        alpha = consts.alpha.view(k, 1, 1)
        sw = consts.soft_weight.view(k, 1, 1)
        b = run.batch_size
        temps, which = torch.unique(consts.T.view(-1), return_inverse=True)  # (J,) distinct temperatures, (K,)
        logq = F.log_softmax(tables.teacher_fm.unsqueeze(0) / temps.view(-1, 1, 1), 1)  # (J, C, N), once per T
        q, q_logq = logq.exp(), (logq.exp() * logq).sum(1, keepdim=True)  # (J, C, N), (J, 1, N)
        onehot = onehot_fm(tables.y_train, run.ds.n_classes, run.dtype)  # (C, N), zero if unlabelled
        self.per_batch = tables.has_unlabelled  # divide the hard term by the labelled count of each batch
        self.GH = self.per_temperature = None
        c, n = onehot.shape
        if per_temperature:  # (2C + 1, J N): column j N + n is point n at temperature j
            table = torch.cat([onehot.expand(len(temps), c, n), q, q_logq], 1)  # (J, 2C + 1, N)
            self.per_temperature = table.transpose(0, 1).reshape(2 * c + 1, -1).contiguous()
            self.column_start = (which * n).view(k, 1)  # (K, 1) each member's first column
            return
        q = q.index_select(0, which)  # (K, C, N) each member's
        self.H = sw.view(k, 1) * q_logq.index_select(0, which).squeeze(1) / b  # (K, N)
        if self.per_batch:
            self.A = -alpha * onehot  # (K, C, N)
            self.Q = -sw * q / b  # (K, C, N)
        else:  # one table [G; H]: (K, C + 1, N), G = A + Q / T
            self.GH = torch.cat([(onehot * consts.alpha_b).add_(q.mul_(consts.sw_tb)).neg_(), self.H.unsqueeze(1)], 1)

    def _targets(self, b: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """G (K', C, B) and H (K', 1, B) of the batch's members on their points (every point labelled)."""
        if self.GH is not None:
            gh = b.gather_members(self.GH)  # (K', C + 1, B)
            return gh[:, :-1], gh[:, -1:]
        start = b.member_rows(self.column_start)  # (K', 1)
        t = self.per_temperature.index_select(1, (b.idx + start).view(-1)).view(-1, *b.idx.shape).transpose(0, 1)
        c, k = b.consts, t.shape[1] // 2  # t (K', 2C + 1, B), a view: onehot(y), q^T, sum_c q^T log q^T
        G = torch.mul(t[:, :k], c.alpha_b, out=b.logits_fm.new_empty(b.logits_fm.shape))  # written contiguous
        return G.addcmul_(t[:, k:-1], c.sw_tb).neg_(), t[:, -1:] * c.sw_b

    def loss(self, b: Batch) -> torch.Tensor:
        """The KD loss of every member of batch ``b``: (K',)."""
        if not self.per_batch:
            return self.grad(b).loss
        z = b.logits_fm  # (K', C, B)
        hard = (b.gather_members(self.A) * F.log_softmax(z, 1)).sum((1, 2)) / b.mask.sum(-1).clamp_min(1)
        soft = (b.gather_members(self.Q) * F.log_softmax(z / b.T, 1)).sum((1, 2))
        return hard + soft + b.gather_members(self.H).sum(-1)

    def grad(self, b: Batch) -> Grad:
        """The loss and its gradient: d/dz = A - p sum_c A + (Q - p^T sum_c Q) / T (the hard part divided by
        the batch's labelled count), i.e. G + alpha/B p + (1 - alpha) T/B p^T when every point is labelled."""
        z, c = b.logits_fm, b.consts  # (K', C, B)
        zt = z / b.T
        lp, lpt = F.log_softmax(z, 1), F.log_softmax(zt, 1)
        if self.per_batch:
            a, q = b.gather_members(self.A), b.gather_members(self.Q)  # (K', C, B)
            n = b.mask.sum(-1).clamp_min(1)  # (K',)
            loss = (q * lpt).sum((1, 2)) + b.gather_members(self.H).sum(-1) + (a * lp).sum((1, 2)) / n
            g = torch.addcmul(q, lpt.exp(), c.sw_b).div_(b.T)  # soft part, (K', C, B)
            return Grad(loss, g.add_((a - lp.exp() * a.sum(1, keepdim=True)).div_(n.view(-1, 1, 1))))
        G, H = self._targets(b)  # (K', C, B), (K', 1, B)
        g = torch.addcmul(G, lp.exp(), c.alpha_b).addcmul_(lpt.exp(), c.sw_tb)
        terms = G * z  # (K', C, B); its first row also gathers the per-point terms H, lse(z), lse(z/T)
        terms[:, :1].add_(H).addcmul_(z[:, :1] - lp[:, :1], c.alpha_b).addcmul_(zt[:, :1] - lpt[:, :1], c.sw_b)
        return Grad(terms.sum((1, 2)), g)


def kd_setup(run, members: torch.Tensor) -> KDTables | None:
    """KD's per-run state (KDTables): per-member tables when K C N <= MEMBER_TABLE, else, on labelled data,
    a per-temperature table when J C N <= MAX_TABLE (J distinct temperatures); None otherwise or when MAX_TABLE is 0."""
    cn = run.ds.n_classes * len(run.ds.y_train)
    if not MAX_TABLE:
        return None
    if len(run.members) * cn <= MEMBER_TABLE:
        return KDTables(run, per_temperature=False)
    temps = len(torch.unique(run.consts.T))
    return KDTables(run, per_temperature=True) if not run.tables.has_unlabelled and temps * cn <= MAX_TABLE else None


def baseline_grad(b: Batch) -> Grad:
    """Analytic form of baseline_loss: the hard-label gradient (p - onehot(y)) / n."""
    return hard_grad(b)


def kd_grad(b: Batch) -> Grad:
    """Analytic form of kd_loss (the fast-path twin, tested against autograd).

    d/dz [alpha CE] = alpha (p - onehot(y)) / n; d/dz [(1 - alpha) T^2 KL(q^T||p^T)] = (1 - alpha) T (p^T - q^T) / B.
    """
    return b.state.grad(b) if b.state is not None else soft_toward_grad(b, b.teacher_log_probs_fm)


@register_method("baseline", teacher=False, unlabelled=False, grad=baseline_grad)
def baseline_loss(b: Batch) -> torch.Tensor:
    """Hard labels only: CE(softmax(z), y). The student a KD student is compared with."""
    return hard_loss(b)


@register_method("kd", teacher=True, unlabelled=True, grad=kd_grad, setup=kd_setup)
def kd_loss(b: Batch) -> torch.Tensor:
    """Hinton KD: alpha * CE(softmax(z), y) + (1 - alpha) * T^2 KL(q^T || p^T) (kdviz.softening.kd_loss).

    With few members the run holds per-member target tables (see KDTables) and the loss is two
    weighted sums of log-probabilities; otherwise the teacher's q^T is computed on the batch.
    """
    return b.state.loss(b) if b.state is not None else soft_toward(b, b.teacher_log_probs_fm)
