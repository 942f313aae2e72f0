"""Per-member batch indices for population training, without a DataLoader."""
from __future__ import annotations

import torch


class IndexStream:
    """Per-member batch indices, (K, steps, B) at a time.

    Member k's stream is its pool of training indices shuffled by its own generator (seeded by its
    seed), epoch after epoch, cut into consecutive batches of B (a batch may straddle two epochs,
    so every point is seen equally often). It depends only on the member's seed and pool: the same
    member gets the same batches in a population of any size. Shuffles are drawn on the CPU so
    every device sees the same order; each is written in place into one buffer (torch.randperm
    with out=), which keeps the cost near that of the random draws themselves.
    """

    def __init__(self, pools: list[torch.Tensor], seeds: list[int], batch_size: int, n_points: int):
        # a pool of every point is the identity map: shuffle positions and skip the lookup
        self.pools = [None if len(p) == n_points else p for p in pools]  # (N_k,) int64 CPU indices, or None
        self.sizes = [len(p) for p in pools]
        self.gens = [torch.Generator().manual_seed(s) for s in seeds]
        self.left = [torch.empty(0, dtype=torch.long, device="cpu") for _ in seeds]  # drawn but unused positions
        self.batch = batch_size

    def next(self, steps: int) -> torch.Tensor:
        """The next ``steps`` batches of every member: (K, steps, B) int64 on the CPU."""
        need = steps * self.batch
        out = torch.empty(len(self.gens), need, dtype=torch.long, device="cpu")  # (K, steps * B)
        for k, (gen, n) in enumerate(zip(self.gens, self.sizes)):
            row, left = out[k], self.left[k]  # positions in the pool
            pos = min(len(left), need)
            row[:pos] = left[:pos]
            self.left[k] = left[pos:]
            while pos + n <= need:  # whole shuffles straight into the output
                torch.randperm(n, generator=gen, out=row[pos:pos + n], device="cpu")
                pos += n
            if pos < need:  # a last shuffle, partly used now, the rest kept for the next chunk
                last = torch.randperm(n, generator=gen, device="cpu")
                row[pos:] = last[:need - pos]
                self.left[k] = last[need - pos:]
            if self.pools[k] is not None:
                row.copy_(self.pools[k][row])
        return out.view(len(self.gens), steps, self.batch)
