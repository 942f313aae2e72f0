"""Relational KD (Park et al. 2019): the student keeps the teacher's distances and angles between samples.

It compares how samples of a batch relate to each other, so student and teacher embeddings may
have different widths. Embeddings are (B, D) or (K, B, D); a teacher without the K dimension
broadcasts (its relations are computed once). Losses are batch means per member: (K,) or scalar.
Huber is smooth L1 with threshold 1 (F.smooth_l1_loss, beta=1). Cost: distances O(K B^2) from a
Gram matrix; exact angles O(K B^2 D + K B^3).

The engine trains the angle term on S random triplets per member and step (ANGLE_TRIPLETS, option
"triplets"; 0 = every triplet): the triplets are drawn uniformly, with replacement, from the
B (B - 1) (B - 2) ordered triplets of distinct samples, so the subset mean of Huber(cos_s - cos_t)
is an unbiased estimator of the exact angle loss, and its gradient of the exact gradient. Each
sampled cosine comes from the batch's squared distances by the law of cosines, so with the exact
distance term the step costs O(K B^2 D + K S) instead of O(K B^3), and both terms' gradients meet
at the squared distances (one product with the embedding back). Each member draws its triplets
from its own seed (Triplets), so a member trains the same in any population.
"""
from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

from kdviz.paradigms.note import Note
from kdviz.paradigms.shapes import feature_pair, member_param
from kdviz.paradigms.taps import TeacherUnits, last_tap, live_teacher_tap, on_last_layers_grad
from kdviz.train.kernels import labelled_ce
from kdviz.train.methods import Batch, register_method

WEIGHT = 1.0  # default weight of the RKD term (its distance and angle parts carry 25 and 50)
W_DISTANCE, W_ANGLE = 25.0, 50.0  # Park et al.'s weights of the two parts
ANGLE_TRIPLETS = 256  # triplets per member and step of the angle term in the engine (0: all B (B-1) (B-2))
TRIPLET_CHUNK = 16  # steps of triplets drawn at once per member
EPS = 1e-12  # floor of squared distances (as in Park et al.'s code): duplicate points keep finite gradients
TRANSFERS = ("The geometry of the batch: relative distances between samples and angles between triplets, "
             "whatever the scale, rotation or offset of the embedding.")
FORMULA = (r"\mathcal{L} = \mathrm{CE}(p, y) + w\Big(25\,\overline{\ell_\delta\!\left(\frac{\|s_i - s_j\|}{\mu_s}"
           r" - \frac{\|t_i - t_j\|}{\mu_t}\right)} + 50\,\overline{\ell_\delta\!\left(\cos\angle s_i s_j s_k"
           r" - \cos\angle t_i t_j t_k\right)}^{\,S}\Big)")  # as trained: the angle mean over S random triplets


def _off_diagonal(b: int, device) -> torch.Tensor:
    """(B, B) boolean mask, True where i != j."""
    return ~torch.eye(b, dtype=torch.bool, device=device)


@functools.lru_cache(maxsize=16)
def _off_diagonal_float(b: int, device, dtype) -> torch.Tensor:
    """(B, B) 1.0 where i != j, 0.0 on the diagonal; made once per size, device and dtype (do not modify)."""
    return _off_diagonal(b, device).to(dtype)


def _safe_sqrt(sq: torch.Tensor, off: torch.Tensor) -> torch.Tensor:
    """sqrt of squared distances (..., B, B) floored at EPS off the diagonal, exactly 1 on it (finite gradients)."""
    return torch.where(off, sq.clamp_min(EPS), torch.ones((), dtype=sq.dtype, device=sq.device)).sqrt()


def squared_distances(e: torch.Tensor) -> torch.Tensor:
    """sq[i, j] = ||e_i - e_j||^2 from the Gram matrix of the centred embedding: (..., B, D) -> (..., B, B).

    ||c_i||^2 + ||c_j||^2 - 2 <c_i, c_j>: O(B^2) memory instead of the O(B^2 D) of explicit differences;
    centring keeps the cancellation small. Not floored (rounding may leave tiny negatives).
    """
    c = e - e.mean(-2, keepdim=True)  # (K, B, D)
    g = c @ c.transpose(-1, -2)  # (K, B, B)
    n = torch.diagonal(g, dim1=-2, dim2=-1)  # (K, B) squared norms
    return n.unsqueeze(-1) + n.unsqueeze(-2) - 2 * g


def pairwise_distances(e: torch.Tensor) -> torch.Tensor:
    """d[i, j] = ||e_i - e_j||: (..., B, D) -> (..., B, B), exactly 0 on the diagonal, never-NaN gradients."""
    off = _off_diagonal(e.shape[-2], e.device)
    d = _safe_sqrt(squared_distances(e), off)
    return torch.where(off, d, torch.zeros((), dtype=d.dtype, device=d.device))


def _directions(e: torch.Tensor) -> torch.Tensor:
    """Unit vectors u[j, i] = (e_i - e_j) / ||e_i - e_j||: (..., B, D) -> (..., B, B, D), zero when i = j."""
    diff = e.unsqueeze(-3) - e.unsqueeze(-2)  # (K, B_j, B_i, D): e_i - e_j
    norm = _safe_sqrt((diff * diff).sum(-1), _off_diagonal(e.shape[-2], e.device))  # (K, B, B)
    return diff / norm.unsqueeze(-1)


def rkd_distances(e: torch.Tensor) -> torch.Tensor:
    """psi_D(i, j) = ||e_i - e_j|| / mu with mu the mean distance over pairs i != j: (..., B, B)."""
    d = pairwise_distances(e)  # (K, B, B)
    b = e.shape[-2]
    mu = d.sum((-2, -1)) / (b * (b - 1))  # (K,)
    return d / mu.clamp_min(EPS)[..., None, None]


def rkd_angles(e: torch.Tensor) -> torch.Tensor:
    """psi_A(i, j, k) = cos of the angle at e_j in the triangle (e_i, e_j, e_k), as A[..., j, i, k]: (..., B, B, B)."""
    u = _directions(e)  # (K, B_j, B_i, D)
    return u @ u.transpose(-1, -2)  # (K, B_j, B_i, B_k)


def rkd_distance_loss(e_s, e_t) -> torch.Tensor:
    """RKD distance loss (Park et al. 2019): L_D = mean over pairs i != j of Huber(psi_D^s(i,j) - psi_D^t(i,j)).

    psi_D(i, j) = ||e_i - e_j|| / mu, mu = the mean distance in the batch, so the loss is invariant
    to scaling, rotating and shifting either embedding. Needs B >= 2. e_s: (B, Ds)/(K, B, Ds);
    e_t: (B, Dt)/(K, B, Dt). Returns (K,) or a scalar.
    """
    s, t = feature_pair(e_s, e_t, min_batch=2, names=("student embedding", "teacher embedding"))
    b = s.shape[-2]
    ps = rkd_distances(s)  # (K, B, B), 0 on the diagonal
    h = F.smooth_l1_loss(ps, rkd_distances(t).expand_as(ps), reduction="none", beta=1.0)
    return h.sum((-2, -1)) / (b * (b - 1))


def triplet_entries(triplets: torch.Tensor, batch: int) -> torch.Tensor:
    """Positions in the flattened (K, B, B) squared distances of the pairs (j, i), (j, k), (i, k) of triplets
    (K, S, 3) = (i, j, k): (3, K S) int64; a leading dimension (e.g. steps) gives (..., 3, K S)."""
    k = triplets.shape[-3]
    offset = torch.arange(0, k * batch * batch, batch * batch, device=triplets.device).view(k, 1)
    i, j, kk = triplets.unbind(-1)  # (..., K, S) each
    out = torch.stack([j * batch + i, j * batch + kk, i * batch + kk], -3).add_(offset)  # (..., 3, K, S)
    return out.flatten(-2)


def triplet_cosines(sq: torch.Tensor, entries: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """cos of the angle at e_j of triplets (i, j, k) by the law of cosines, from squared distances sq (..., K, B, B)
    (e.g. the student's and the teacher's stacked): cos = (a + b - c) / (2 sqrt(a b)) with a = |e_i - e_j|^2,
    b = |e_k - e_j|^2 (each floored at EPS under the root, as the directions of rkd_angles are),
    c = |e_i - e_k|^2; entries from triplet_entries (3, K S). Returns cos (..., K, S), the gathered
    (a, b, c) (..., 3, K, S) and r = sqrt(a b) (floored, (..., K, S)) for the gradient."""
    lead, k = sq.shape[:-3], sq.shape[-3]
    abc = sq.reshape(*lead, -1).index_select(-1, entries.view(-1)).view(*lead, 3, k, -1)  # (..., 3, K, S)
    ab = abc.narrow(-3, 0, 2).clamp_min(EPS)
    r = ab.select(-3, 0).mul(ab.select(-3, 1)).sqrt_()
    num = abc.select(-3, 0) + abc.select(-3, 1) - abc.select(-3, 2)  # a + b - c
    return torch.div(num, r).mul_(0.5), abc, r


def rkd_angle_loss(e_s, e_t, triplets: torch.Tensor | None = None) -> torch.Tensor:
    """RKD angle loss: L_A = mean over distinct triplets (i, j, k) of Huber(psi_A^s - psi_A^t).

    psi_A(i, j, k) = <(e_i - e_j)/||e_i - e_j||, (e_k - e_j)/||e_k - e_j||>, the cosine of the
    angle at e_j; invariant to scaling, rotating and shifting either embedding. Averaged over the
    B (B - 1) (B - 2) ordered triplets of distinct samples, so B >= 3. With ``triplets`` (K, S, 3)
    or (S, 3) of distinct (i, j, k), the mean over those S instead: drawn uniformly (draw_triplets),
    an unbiased estimate of the exact loss in O(K S D). Returns (K,) or a scalar.
    """
    s, t = feature_pair(e_s, e_t, min_batch=3, names=("student embedding", "teacher embedding"))
    b = s.shape[-2]
    if triplets is not None:
        s3 = s if s.dim() == 3 else s.unsqueeze(0)  # (K, B, Ds)
        t3 = (t if t.dim() == 3 else t.unsqueeze(0)).expand(s3.shape[0], -1, -1)
        tri = (triplets if triplets.dim() == 3 else triplets.unsqueeze(0)).to(s.device).expand(s3.shape[0], -1, -1)
        entries = triplet_entries(tri, b)
        cos_s, cos_t = (triplet_cosines(squared_distances(x), entries)[0] for x in (s3, t3))
        h = F.smooth_l1_loss(cos_s, cos_t, reduction="none", beta=1.0)
        return h.mean(-1) if s.dim() == 3 else h.mean(-1)[0]  # (K,) or ()
    a_s = rkd_angles(s)  # (K, B, B, B)
    h = F.smooth_l1_loss(a_s, rkd_angles(t).expand_as(a_s), reduction="none", beta=1.0)
    # degenerate triplets add nothing: a zero vector gives cos 0 (i = j or k = j) and i = k gives cos 1,
    # in student and teacher alike, so summing all B^3 entries sums the distinct triplets
    return h.sum((-3, -2, -1)) / (b * (b - 1) * (b - 2))


def rkd_loss(e_s, e_t, w_distance=W_DISTANCE, w_angle=W_ANGLE, triplets: torch.Tensor | None = None) -> torch.Tensor:
    """Relational KD: L = w_distance * L_D + w_angle * L_A (Park et al.'s weights 25 and 50).

    Weights are numbers or tensors with one value per member; B >= 3 unless w_angle is the number 0.
    ``triplets``: the angle term on those triplets only (see rkd_angle_loss). Returns (K,) or a scalar.
    """
    s, t = feature_pair(e_s, e_t, min_batch=2, names=("student embedding", "teacher embedding"))
    lead = s.shape[:-2]
    wd = member_param(w_distance, "distance weight", lead)
    wa = member_param(w_angle, "angle weight", lead)
    loss = wd * rkd_distance_loss(s, t)
    return loss if isinstance(wa, float) and wa == 0 else loss + wa * rkd_angle_loss(s, t, triplets)


def rkd_objective(z, labels, h_s, h_t, weight=WEIGHT, mask=None, triplets: torch.Tensor | None = None) -> torch.Tensor:
    """What the student trains: CE(p, y) + weight * rkd_loss(h_s, h_t), weight 1 by default; ``triplets`` (K, S, 3)
    the angle term's sampled triplets (None: all). z (K, B, C), labels (K, B), h_s (K, B, Hs), h_t (K, B, Ht)."""
    return labelled_ce(z, labels, mask) + weight * rkd_loss(h_s, h_t, triplets=triplets)


def triplet_draws(generator: torch.Generator, batch: int, shape: tuple[int, ...]) -> torch.Tensor:
    """Raw draws (i, j', k') for distinct_triplets: i ~ U{0..B-1}, j' ~ U{0..B-2}, k' ~ U{0..B-3}, drawn in
    that order from ``generator``: (*shape, 3) int64 on the CPU."""
    return torch.stack([torch.randint(batch - n, shape, generator=generator, device="cpu") for n in range(3)], -1)


def distinct_triplets(draws: torch.Tensor, batch: int) -> torch.Tensor:
    """Ordered triplets (i, j, k) of distinct positions from triplet_draws (..., 3), in place: j' shifted past i,
    k' past min(i, j) and max(i, j). A bijection from the draws, so uniform draws give every distinct triplet
    probability 1 / (B (B-1) (B-2))."""
    i, j, k = draws.unbind(-1)
    j += j >= i
    lo, hi = torch.minimum(i, j), torch.maximum(i, j)
    k += k >= lo
    k += k >= hi
    return draws


def draw_triplets(generator: torch.Generator, batch: int, shape: tuple[int, ...]) -> torch.Tensor:
    """Ordered triplets (i, j, k) of distinct positions in a batch, uniform over all B (B-1) (B-2): (*shape, 3).

    i ~ U{0..B-1}; j ~ U over the B - 1 others; k ~ U over the B - 2 left (triplet_draws, then
    distinct_triplets). On the CPU (every device gets the same draws).
    """
    return distinct_triplets(triplet_draws(generator, batch, shape), batch)


class Triplets:
    """Per-run state of RKD members: each member's angle triplets for every step, (K', S, 3) on the run's device.

    Member k's triplets at step t come from a generator seeded with (its seed, t // TRIPLET_CHUNK),
    drawn TRIPLET_CHUNK steps at a time: reproducible, the same for a member in any population,
    and the same for the autograd and the analytic path. S = option "triplets" (one value for the
    method's members; 0 = exact: every triplet).
    """

    def __init__(self, run, members: torch.Tensor):
        rows = members.tolist()
        counts = {int(run.members[i].options.get("triplets", ANGLE_TRIPLETS)) for i in rows}
        if len(counts) != 1 or min(counts) < 0:
            raise ValueError(f"rkd members of one run need one whole number of triplets >= 0, got {sorted(counts)}")
        self.count = counts.pop()
        self.seeds = [run.members[i].seed for i in rows]
        self.batch, self.device = run.batch_size, run.device
        self._chunk, self._table, self._entries = None, None, None
        self.units = TeacherUnits()  # the teacher's live units, for its distances

    def entries_at(self, step: int) -> torch.Tensor | None:
        """triplet_entries of at(step): (3, K' S), prepared with the chunk; None when exact."""
        return None if self.at(step) is None else self._entries[step % TRIPLET_CHUNK]

    def at(self, step: int) -> torch.Tensor | None:
        """The triplets (K', S, 3) int64 of every member at optimiser step ``step``; None when exact."""
        if self.count == 0:
            return None
        if self.batch < 3:
            raise ValueError(f"the RKD angle term needs a batch of at least 3 samples, got {self.batch}")
        chunk = step // TRIPLET_CHUNK
        if chunk != self._chunk:  # a tuple of ints hashes the same in every process (no salt)
            draws = [triplet_draws(torch.Generator().manual_seed(hash((seed, chunk)) & (2 ** 62 - 1)), self.batch,
                                   (TRIPLET_CHUNK, self.count)) for seed in self.seeds]
            table = distinct_triplets(torch.stack(draws, 1), self.batch)  # (CHUNK, K', S, 3), all members at once
            self._table, self._chunk = table.to(self.device), chunk
            self._entries = triplet_entries(self._table, self.batch)  # (CHUNK, 3, K' S), all steps at once
        return self._table[step % TRIPLET_CHUNK]


def _huber_grad(diff: torch.Tensor) -> torch.Tensor:
    """d Huber(x) / dx with threshold 1: clamp(x, -1, 1)."""
    return diff.clamp(-1.0, 1.0)


def _huber_and_grad(diff: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(Huber(diff), Huber'(diff)) elementwise, threshold 1: with c = clamp(x, -1, 1), Huber(x) = c (x - c / 2)
    (0.5 x^2 inside, |x| - 0.5 outside, as F.smooth_l1_loss with beta 1). ``diff`` is overwritten."""
    c = _huber_grad(diff)
    return diff.sub_(c, alpha=0.5).mul_(c), c


def _live_reciprocal(sq: torch.Tensor, power: float) -> torch.Tensor:
    """sq^-power where sq > EPS, 0 elsewhere (where the floor holds a value constant): sq to +inf, then the power."""
    live = F.threshold(sq, EPS, float("inf"))
    return live.rsqrt_() if power == 0.5 else live.reciprocal_()


def distance_term_grad(sq: torch.Tensor, scale=1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """rkd_distance_loss (K',) and ``scale`` (a number or (K', 1, 1)) times its gradient with respect to the
    student's squared distances, from sq (2, K', B, B): the student's squared distances, then the teacher's.

    psi = d / mu, d = sqrt(max(sq, EPS)) off the diagonal: with G = Huber'(psi_s - psi_t),
    d/dd = (G - <G, psi_s> / (B (B-1))) / (mu B (B-1)) off the diagonal; d/dsq = (d/dd) / (2 d) where sq is above
    its floor (0 elsewhere, the diagonal included: its sq is 0).
    """
    k, b = sq.shape[1], sq.shape[-1]
    pairs = b * (b - 1)
    d = sq.clamp_min(EPS).sqrt_().mul_(_off_diagonal_float(b, sq.device, sq.dtype))  # (2, K', B, B)
    mu = d.sum((-2, -1), keepdim=True).div_(pairs).clamp_min_(EPS)  # (2, K', 1, 1)
    psi = d.div_(mu)
    diff = psi[0] - psi[1]  # (K', B, B)
    g = _huber_grad(diff)
    loss = torch.linalg.vecdot(g.view(k, -1), diff.sub_(g, alpha=0.5).view(k, -1)).div_(pairs)  # Huber = G (x - G/2)
    dot = torch.linalg.vecdot(g.view(k, -1), psi[0].view(k, -1)).view(k, 1, 1)  # <G, psi_s>
    m = g.sub_(dot, alpha=1.0 / pairs).mul_(mu[0].reciprocal().mul_(scale * (0.5 / pairs)))  # d/dd / 2, scaled
    return loss, m.mul_(_live_reciprocal(sq[0], 0.5))


def angle_term_grad(sq: torch.Tensor, entries: torch.Tensor, scale=1.0,
                    out: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """rkd_angle_loss on triplets (K',) and ``scale`` (a number or (K', 1, 1)) times its gradient with respect to
    the student's squared distances (K', B, B), added into ``out`` when given; sq (2, K', B, B): the student's
    squared distances, then the teacher's; entries (3, K' S): the triplets' triplet_entries.

    cos = (a + b - c) / (2 r), r = sqrt(a b): d cos/da = 1/(2r) - cos/(2a) (0 for the floor's part below EPS),
    the same in b, and d cos/dc = -1/(2r); times G = Huber'(cos_s - cos_t) / S, added at each pair.
    """
    k = sq.shape[1]
    cos, abc, r = triplet_cosines(sq, entries)  # (2, K', S), (2, 3, K', S), (2, K', S)
    cos_s, cos_t = cos.unbind(0)
    h, g = _huber_and_grad(cos_s - cos_t)  # (K', S)
    n = h.shape[-1]
    half = g.mul_(scale.view(k, 1) * (0.5 / n) if isinstance(scale, torch.Tensor) else scale * 0.5 / n)  # G / 2
    u = half / r[0]  # (K', S) G / (2r)
    ab = abc[0, :2]  # (2, K', S) the student's a and b
    parts = torch.addcmul(u, half.mul_(cos_s), _live_reciprocal(ab, 1.0), value=-1.0)  # (2, K', S) G d cos/da, /db
    out = torch.zeros_like(sq[0]) if out is None else out
    flat = out.view(-1)
    e_ab, e_c = entries.split([2, 1])
    flat.index_add_(0, e_ab.view(-1), parts.view(-1))
    flat.index_add_(0, e_c.view(-1), u.view(-1), alpha=-1.0)
    return h.mean(-1), out


def through_squared_distances(m: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
    """d/de (K, B, D) from d/dsq = m (K, B, B), sq_ij = ||e_i - e_j||^2: 2 (rowsum S) e - 2 S e, S = m + m^T."""
    sym = m + m.transpose(-1, -2)
    return 2 * (sym.sum(-1, keepdim=True) * e - sym @ e)


def teacher_features(b: Batch) -> torch.Tensor:
    """The teacher's last hidden layer on each member's batch, its live units only (the state's TeacherUnits:
    dead units add nothing to distances), centred on the batch's mean: (K', B, Ht') (the centring and the Gram
    products of squared_distances, so the engine's teacher distances are rkd_loss's to rounding)."""
    t = live_teacher_tap(b, b.state.units)
    return t - t.mean(1, keepdim=True)


def batch_squared_distances(h_fm: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The squared distances of the student's features h_fm (K', Hs, B) and of the teacher's t (K', B, Ht)
    (teacher_features, centred already), stacked: (2, K', B, B); and the student's centred features (K', Hs, B)
    (centring keeps the cancellation in the distances and in their gradient small)."""
    k, _, n = h_fm.shape
    g = torch.empty(2, k, n, n, dtype=h_fm.dtype, device=h_fm.device)  # the Gram matrices
    c = h_fm - h_fm.mean(-1, keepdim=True)  # (K', Hs, B)
    torch.bmm(c.transpose(1, 2), c, out=g[0])
    torch.bmm(t, t.transpose(1, 2), out=g[1])
    norms = torch.diagonal(g, dim1=-2, dim2=-1).contiguous()  # (2, K', B), the same products as g's: duplicates
    # get exactly 0 (contiguous: the outer sum below is twice as fast as over the diagonal's strided view)
    return (norms.unsqueeze(-1) + norms.unsqueeze(-2)).sub_(g, alpha=2.0), c  # n_i + n_j - 2 g_ij


def exact_angle_term_grad(s: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """rkd_angle_loss over every triplet (K',) and d/ds (K', B, D) in closed form, O(K B^3) (option triplets = 0).

    A = U U^T per anchor j with U[j, i] = (s_i - s_j) / |s_i - s_j|: d/dU = G U + G^T U, G = Huber'(A_s - A_t)
    / (B (B-1) (B-2)); through the normalisation (I - u u^T) / |v|, then v_ji = s_i - s_j.
    """
    b = s.shape[-2]
    diff = s.unsqueeze(-3) - s.unsqueeze(-2)  # (K', B_j, B_i, D): s_i - s_j
    norm = _safe_sqrt((diff * diff).sum(-1), _off_diagonal(b, s.device)).unsqueeze(-1)  # (K', B, B, 1)
    u = diff / norm
    a = u @ u.transpose(-1, -2)  # (K', B_j, B_i, B_k)
    da = a - rkd_angles(t)
    n = b * (b - 1) * (b - 2)
    term = F.smooth_l1_loss(da, torch.zeros_like(da), reduction="none", beta=1.0).sum((-3, -2, -1)) / n
    ga = _huber_grad(da).div_(n)
    gu = ga @ u + ga.transpose(-1, -2) @ u  # (K', B_j, B_i, D)
    gv = (gu - u * (u * gu).sum(-1, keepdim=True)).div_(norm)
    return term, gv.sum(-3) - gv.sum(-2)


def rkd_term_grad(h_fm: torch.Tensor, t: torch.Tensor, b: Batch, w) -> tuple[torch.Tensor, torch.Tensor]:
    """rkd_loss at Park et al.'s weights, with the batch's sampled triplets, and w times its gradient d/dh_fm
    (K', Hs, B), feature-major (h_fm: the student's (K', Hs, B); t: the teacher's teacher_features (K', B, Ht);
    w (K', 1, 1)).

    Both terms are functions of the squared distances, so their gradients meet there (the angle's added
    into the distance's) and go back to h through one product: d/dh^T = 2 (c^T rowsum(S) - c^T S) (c: h centred),
    S = M + M^T; the exact angle term (option triplets = 0) adds its own.
    """
    sq, c = batch_squared_distances(h_fm, t)  # (2, K', B, B), (K', Hs, B)
    dist, m = distance_term_grad(sq, w * W_DISTANCE)
    entries = b.state.entries_at(b.step)
    if entries is None:
        angle, g_exact = exact_angle_term_grad(h_fm.transpose(1, 2), t)
        g_exact = g_exact.transpose(1, 2).mul_(w * W_ANGLE)
    else:
        angle = angle_term_grad(sq, entries, w * W_ANGLE, out=m)[0]
    sym = m + m.transpose(-1, -2)
    g = torch.baddbmm(c * sym.sum(1, keepdim=True), c, sym, beta=2.0, alpha=-2.0)  # (K', Hs, B)
    term = torch.add(dist, angle, alpha=W_ANGLE / W_DISTANCE).mul_(W_DISTANCE)  # W_D dist + W_A angle
    return term, g if entries is not None else g.add_(g_exact)


@register_method("rkd", teacher=True, unlabelled=False, taps=True, setup=Triplets,
                 grad=on_last_layers_grad(rkd_term_grad, WEIGHT, teacher_features, weighted=True))
def rkd_method(b: Batch) -> torch.Tensor:
    """rkd_objective between the last hidden layers of student and teacher on the batch's triplets (option "weight")."""
    return rkd_objective(b.logits, b.labels, last_tap(b.taps), last_tap(b.teacher_taps), b.option("weight", WEIGHT),
                         b.mask, b.state.at(b.step))


NOTE = Note("rkd", "RKD", "#E69F00", "relation", TRANSFERS, FORMULA, rkd_objective,
            defaults={"weight": WEIGHT, "triplets": float(ANGLE_TRIPLETS)},
            reference="Park et al. 2019, Relational knowledge distillation")
