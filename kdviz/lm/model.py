"""A character-level language model: a population of K one-layer GRUs of one shape in stacked weights.

Why a GRU: it reads one character at a time and carries a memory, so sampling (which sequence-level
and on-policy distillation do every step) is one cheap step per character, with no cache to keep,
and a few hundred thousand parameters model English and code at the character level well on a CPU.
All K members (the students of every method and seed, or one teacher) take one forward and one
backward together, as the classifier pages' population engine does: the input projection of a whole
window is one batched matmul, then one batched matmul per character for the recurrence.

The cell is PyTorch's nn.GRU, written out (r reset, u update, n new; x the input, h the state):
r = sigmoid(x W_r + b_r + h U_r + c_r), u = sigmoid(x W_u + b_u + h U_u + c_u),
n = tanh(x W_n + b_n + r * (h U_n + c_n)), h' = (1 - u) * n + u * h; logits = h' W_o + b_o.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Shape:
    """The sizes of a character model."""

    vocab: int = 96
    embed: int = 32  # width of a character's embedding
    hidden: int = 128  # width of the GRU's state

    @property
    def params(self) -> int:
        """Parameters of one member."""
        V, E, H = self.vocab, self.embed, self.hidden
        return V * E + 3 * H * (E + H + 2) + H * V + V


class CharGRU(nn.Module):
    """K character GRUs of one Shape; member k is initialised from seeds[k] exactly as nn.GRU and nn.Linear would be."""

    def __init__(self, shape: Shape, seeds: list[int], device: torch.device | str = "cpu"):
        super().__init__()
        self.shape = shape
        V, E, H = shape.vocab, shape.embed, shape.hidden
        K = len(seeds)
        parts = [self._init(shape, s) for s in seeds]
        stack = lambda name: nn.Parameter(torch.stack([p[name] for p in parts]).to(device))  # noqa: E731
        self.embed, self.w_x, self.b_x = stack("embed"), stack("w_x"), stack("b_x")  # (K, V, E), (K, E, 3H), (K, 3H)
        self.w_h, self.b_h = stack("w_h"), stack("b_h")  # (K, H, 3H), (K, 3H)
        self.w_o, self.b_o = stack("w_o"), stack("b_o")  # (K, H, V), (K, V)
        assert self.w_h.shape == (K, H, 3 * H) and self.embed.shape == (K, V, E)

    @staticmethod
    def _init(shape: Shape, seed: int) -> dict[str, torch.Tensor]:
        """One member's weights: N(0, 1) embeddings, U(-1/sqrt(H), 1/sqrt(H)) for the GRU and the output, as PyTorch does."""
        g = torch.Generator().manual_seed(int(seed))
        V, E, H = shape.vocab, shape.embed, shape.hidden
        u = lambda *size, fan: (torch.rand(*size, generator=g, device="cpu") * 2 - 1) / math.sqrt(fan)  # noqa: E731
        return {"embed": torch.randn(V, E, generator=g, device="cpu"), "w_x": u(E, 3 * H, fan=H),
                "b_x": u(3 * H, fan=H),
                "w_h": u(H, 3 * H, fan=H), "b_h": u(3 * H, fan=H), "w_o": u(H, V, fan=H), "b_o": u(V, fan=H)}

    @property
    def members(self) -> int:
        """K, the number of members."""
        return self.embed.shape[0]

    def initial_state(self, batch: int) -> torch.Tensor:
        """The zero state (K, B, H)."""
        return self.embed.new_zeros(self.members, batch, self.shape.hidden)

    def forward(self, ids: torch.Tensor, state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Next-character logits (K, B, L, V) and the last state (K, B, H) of token ids (K, B, L) (or (B, L): the
        same text for every member), from ``state`` (K, B, H) or zeros."""
        K, H = self.members, self.shape.hidden
        ids = ids.expand(K, *ids.shape) if ids.dim() == 2 else ids  # (K, B, L)
        _, B, L = ids.shape
        x = torch.gather(self.embed, 1, ids.reshape(K, B * L, 1).expand(K, B * L, self.shape.embed))  # (K, B*L, E)
        gx = torch.baddbmm(self.b_x.unsqueeze(1), x, self.w_x).view(K, B, L, 3 * H)  # (K, B, L, 3H)
        h = self.initial_state(B) if state is None else state  # (K, B, H)
        out = []
        for t in range(L):
            h = self.step(gx[:, :, t], h)
            out.append(h)
        hs = torch.stack(out, dim=2).view(K, B * L, H)  # (K, B*L, H)
        logits = torch.baddbmm(self.b_o.unsqueeze(1), hs, self.w_o).view(K, B, L, -1)  # (K, B, L, V)
        return logits, h

    def step(self, gx: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """One character: the state (K, B, H) after input projections gx (K, B, 3H) from state h (K, B, H)."""
        H = self.shape.hidden
        gh = torch.baddbmm(self.b_h.unsqueeze(1), h, self.w_h)  # (K, B, 3H)
        r = torch.sigmoid(gx[..., :H] + gh[..., :H])
        u = torch.sigmoid(gx[..., H:2 * H] + gh[..., H:2 * H])
        n = torch.tanh(gx[..., 2 * H:] + r * gh[..., 2 * H:])
        return n + u * (h - n)  # (1 - u) n + u h

    @torch.no_grad()
    def sample(self, prefix: torch.Tensor, length: int, T: float = 1.0, generator: torch.Generator | None = None
               ) -> torch.Tensor:
        """Each member continues ``prefix`` (K, B, P) (or (B, P)) by ``length`` characters sampled at temperature T:
        the ids (K, B, P + length)."""
        K = self.members
        prefix = prefix.expand(K, *prefix.shape) if prefix.dim() == 2 else prefix  # (K, B, P)
        logits, h = self(prefix)
        out, last = [prefix], logits[:, :, -1]  # (K, B, V)
        for _ in range(length):
            probs = torch.softmax(last / T, -1).flatten(0, 1)  # (K*B, V)
            nxt = torch.multinomial(probs, 1, generator=generator).view(K, -1, 1)  # (K, B, 1)
            out.append(nxt)
            logits, h = self(nxt, h)
            last = logits[:, :, -1]
        return torch.cat(out, dim=2)
