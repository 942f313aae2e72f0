"""Deep mutual learning (Zhang et al. 2018): a cohort of students teach each other while they train, no teacher.

Each member trains on its own batches, so a member's peers are evaluated on ITS batch: the
engine runs every member on every member's batch (without gradient) and hands those logits to
mutual_loss, which treats them as fixed targets. Members with the same options["cohort"]
(default 0) form a cohort; a cohort needs at least two members.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from kdviz.paradigms.note import Note
from kdviz.paradigms.shapes import check_logits, member_param
from kdviz.softening import check_temperature, kl_from_log
from kdviz.train.kernels import hard_grad, labelled_ce
from kdviz.train.methods import Batch, Grad, register_method

WEIGHT = 1.0  # default weight of the mimicry term
TRANSFERS = ("No fixed teacher: a cohort of students trained together, each matching its peers' current "
             "predictions at temperature T. The paper matches them at T = 1 without a weight; kdviz adds T and the "
             "T^2 factor of Hinton's loss (T = 1, weight 1 is the paper's loss).")
FORMULA = (r"\mathcal{L}_k = \mathrm{CE}(p_k, y) + w\,T^2\,\frac{1}{K-1}\sum_{j \ne k}"
           r" \mathrm{KL}(p_j^T \,\|\, p_k^T)")  # as trained


def cohort_peers(cohorts: list, device=None) -> torch.Tensor:
    """peers[j, k] = True when members j != k share a cohort: (K, K) bool; ValueError if a member has no peer."""
    k = len(cohorts)
    same = torch.tensor([[a == c for c in cohorts] for a in cohorts], device=device)  # (K, K)
    peers = same & ~torch.eye(k, dtype=torch.bool, device=device)
    if bool((peers.sum(1) == 0).any()):
        raise ValueError("mutual learning needs at least 2 students per cohort: train 2 or more seeds")
    return peers


def mutual_loss(z, peer_logits, labels, peers, T=1.0, weight=WEIGHT, mask=None) -> torch.Tensor:
    """L_k = CE(p_k, y_k) + weight T^2 mean_{j: peers[j, k]} KL(p_j^T || p_k^T), on member k's batch: (K,).

    z: (K, B, C) each member's logits on its own batch; peer_logits: (J, K, B, C) the logits of
    member j on member k's batch (fixed targets, detached); peers: (J, K) bool; labels: (K, B);
    T and weight: numbers or one value per member (K,). A member whose logits turn NaN makes
    its peers' losses NaN: a cohort diverges together. Cost O(J K B C).
    """
    z = check_logits(z, "member logits")
    if z.dim() != 3 or peer_logits.dim() != 4 or peer_logits.shape[1:] != z.shape:
        raise ValueError(f"peer logits must have shape (peers, members, batch, classes) matching the members' "
                         f"{tuple(z.shape)}, got {tuple(peer_logits.shape)}")
    T = check_temperature(T)
    Tk = T.view(1, -1, 1, 1) if isinstance(T, torch.Tensor) else T
    logq = F.log_softmax(peer_logits.detach() / Tk, -1)  # (J, K, B, C): peer j at member k's T
    logp = F.log_softmax(z / (T.view(-1, 1, 1) if isinstance(T, torch.Tensor) else T), -1)  # (K, B, C)
    kl = kl_from_log(logq, logp.unsqueeze(0)).mean(-1)  # (J, K): KL(p_j || p_k), batch mean
    mimic = (kl * peers).sum(0) / peers.sum(0)  # (K,) mean over each member's peers
    w = member_param(weight, "mimicry weight", z.shape[:-2])
    t2 = T.view(-1) ** 2 if isinstance(T, torch.Tensor) else T * T
    return labelled_ce(z, labels, mask) + w * t2 * mimic


def cohorts(run, members: torch.Tensor) -> torch.Tensor:
    """The mutual members' peer matrix (K', K') bool, made once per run (ValueError if a member has no peer)."""
    return cohort_peers([run.members[i].options.get("cohort", 0) for i in members.tolist()], run.device)


def peer_logits_fm(b: Batch) -> torch.Tensor:
    """Every member of the batch run on every member's batch, without grad: (K'_j, C, K'_k, B), class-major."""
    k, d, n = b.x_fm.shape
    x = b.x_fm.transpose(0, 1).reshape(d, k * n)  # (D, K' B): every member's batch side by side
    if b.span is not None:  # consecutive members of the run: only they are run
        return b.peers.forward_fm(x.expand(k, -1, -1), rows=slice(*b.span))[0].view(k, -1, k, n)
    z_all = b.peers.forward_fm(x.expand(b.peers.n_members, -1, -1))[0]  # (K, C, K' B) every member of the run
    return z_all.index_select(0, b.members).view(k, -1, k, n)


def mutual_grad(b: Batch) -> Grad:
    """mutual_method's value and gradient in closed form: each peer is a fixed target, so
    d/dz_k = (p_k - onehot(y)) / n + w T (p_k^T - rbar_k) / B, rbar_k the mean of member k's peers' p_j^T."""
    T = b.T  # (K', 1, 1)
    peers = b.state.to(b.logits_fm.dtype)  # (K'_j, K'_k) 1.0 for peers
    n_peers = peers.sum(0)  # (K'_k,)
    logq = F.log_softmax(peer_logits_fm(b) / T.view(1, 1, -1, 1), 1)  # (J, C, K, B): peer j at member k's T
    logp = F.log_softmax(b.logits_fm / T, 1)  # (K, C, B)
    q = logq.exp()
    kl = (q * (logq - logp.transpose(0, 1).unsqueeze(0))).sum(1).mean(-1)  # (J, K) KL(p_j^T || p_k^T), batch mean
    mimic = (kl * peers).sum(0) / n_peers  # (K,)
    k = len(peers)
    share = (peers / n_peers).view(k, 1, k, 1)  # (J, 1, K, 1) peer j's weight in member k's mean
    rbar = (q * share).sum(0).transpose(0, 1)  # (K, C, B) the mean of the peers' targets (an einsum: 2.5x slower)
    w = b.option("weight", WEIGHT)  # (K,)
    hard, g, _ = hard_grad(b)
    wt = w.view(-1, 1, 1) * T  # (K, 1, 1) w T
    g.addcmul_(logp.exp().sub_(rbar), wt, value=1.0 / logp.shape[-1])
    return Grad(torch.addcmul(hard, wt.view(-1) * T.view(-1), mimic), g)


@register_method("mutual", teacher=False, unlabelled=False, setup=cohorts, grad=mutual_grad)
def mutual_method(b: Batch) -> torch.Tensor:
    """mutual_loss within each cohort, every peer run on each member's own batch (options "cohort", "weight")."""
    k = len(b.options)
    with torch.no_grad():
        z_all = b.peers(b.x.reshape(-1, b.x.shape[-1]))  # (K, K' B, C): every member on every batch
        z_peer = z_all.index_select(0, b.members).view(k, k, -1, z_all.shape[-1])  # (K'_j, K'_k, B, C)
    return mutual_loss(b.logits, z_peer, b.labels, b.state, b.T.view(-1), b.option("weight", WEIGHT), b.mask)


NOTE = Note("mutual", "Mutual learning", "#44AA99", "peers", TRANSFERS, FORMULA, mutual_loss,
            uses=("T",), defaults={"weight": WEIGHT}, reference="Zhang et al. 2018, Deep mutual learning")
