"""Fair shares of the workers' compute among sessions: each session gets an equal part of the whole pool.

A worker's jobs take turns by owner (kdviz.jobs.slices); left at equal turns, a session with jobs on
every worker would get a whole worker plus half of the one it shares with a session that has a single
job there. Instead each owner gets a share of each worker it runs on, chosen so that the owners'
totals are proportionally fair (the allocation maximising the sum of the logarithms of the owners'
totals: no owner can gain a fraction without another losing a larger one). A session on two workers
beside a session on one of them leaves that worker to it and keeps the other; three sessions, one on
both workers and one on each, get two thirds of a worker each. The shares come from proportional
response (each owner spreads an equal budget over its workers in proportion to what each gave it in
the previous round), which converges to that allocation.
"""
from __future__ import annotations

from collections.abc import Hashable, Mapping

ROUNDS = 200  # proportional-response rounds: a share that should vanish falls to about 1 / (2 * ROUNDS)


def fair_shares(placement: Mapping[Hashable, set]) -> dict[Hashable, dict[Hashable, float]]:
    """``placement``: worker -> the owners with running jobs on it. Returns worker -> owner -> share in
    (0, 1], the shares of each worker summing to 1 (an owner alone on its workers gets 1 everywhere)."""
    bids = {}  # (worker, owner) -> the part of the owner's budget spent on the worker
    spread: dict[Hashable, int] = {}
    for worker, owners in placement.items():
        for owner in owners:
            spread[owner] = spread.get(owner, 0) + 1
    for worker, owners in placement.items():
        for owner in owners:
            bids[worker, owner] = 1.0 / spread[owner]
    # equal bids are already the answer unless a worker is shared by an owner that also runs elsewhere
    shared = any(len(owners) > 1 and any(spread[o] > 1 for o in owners) for owners in placement.values())
    for _ in range(ROUNDS if shared else 0):
        price = {w: sum(bids[w, o] for o in owners) for w, owners in placement.items()}
        got = {(w, o): b / price[w] for (w, o), b in bids.items()}
        total: dict[Hashable, float] = {}
        for (w, o), share in got.items():
            total[o] = total.get(o, 0.0) + share
        bids = {(w, o): share / total[o] for (w, o), share in got.items()}
    price = {w: sum(bids[w, o] for o in owners) for w, owners in placement.items()}
    return {w: {o: bids[w, o] / price[w] for o in owners} for w, owners in placement.items()}
