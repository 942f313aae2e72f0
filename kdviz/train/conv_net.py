"""A small convolutional network on square one-channel images, with the taps the distillation paradigms read.

ConvNet takes the flat pixel rows every dataset holds, (N, side * side), and reshapes them to
(N, 1, side, side): two 3x3 convolutions (padding 1, ReLU, 2x2 max pooling each), then one dense
ReLU layer and the output layer. Its tap "h1" is that dense layer, its penultimate one: the
teacher features that FitNets, attention, RKD and similarity-preserving students compare their last hidden
layer with, like an MLP teacher's last hidden layer. Its whole state is plain tensors and numbers
(``record`` / ``from_record``), so a stored one loads with torch.load(weights_only=True).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


CHUNK = 1024  # images evaluated at once without autograd (their first feature maps: ~50 MB at 16 channels)


class ConvNet(nn.Module):
    """conv(1 -> c1) -> pool -> conv(c1 -> c2) -> pool -> dense(hidden) -> classes, on (N, side * side) inputs.

    side: the image's width and height (a multiple of 4, so both poolings halve it exactly);
    channels: (c1, c2); seed: initial weights drawn on the CPU under torch.manual_seed(seed) (None: the global RNG).
    """

    def __init__(self, side: int, classes: int, channels: tuple[int, int] = (16, 32), hidden: int = 128,
                 seed: int | None = None):
        super().__init__()
        if side < 4 or side % 4:
            raise ValueError(f"a convolutional network needs square images of a side divisible by 4, got {side}")
        self.side, self.classes, self.channels, self.hidden = int(side), int(classes), tuple(map(int, channels)), \
            int(hidden)
        c1, c2 = self.channels
        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
            self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
            self.dense = nn.Linear(c2 * (side // 4) ** 2, hidden)
            self.out = nn.Linear(hidden, classes)
        self.info: dict = {}

    def forward_taps(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Logits (N, C) and {"h1": the dense layer's activations (N, hidden)} of flat pixel rows x (N, side^2)
        (without autograd, CHUNK images at a time)."""
        if x.dim() != 2 or x.shape[1] != self.side ** 2:
            raise ValueError(f"a {self.side}x{self.side} convolutional network takes (N, {self.side ** 2}) pixel rows, "
                             f"got {tuple(x.shape)}")
        if len(x) > CHUNK and not torch.is_grad_enabled():  # evaluation: the feature maps of a chunk at a time
            parts = [self.forward_taps(x[i:i + CHUNK]) for i in range(0, len(x), CHUNK)]
            return torch.cat([z for z, _ in parts]), {"h1": torch.cat([t["h1"] for _, t in parts])}
        h = x.view(-1, 1, self.side, self.side)  # (N, 1, side, side)
        h = F.max_pool2d(F.relu(self.conv1(h)), 2)  # (N, c1, side/2, side/2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)  # (N, c2, side/4, side/4)
        h1 = F.relu(self.dense(h.flatten(1)))  # (N, hidden)
        return self.out(h1), {"h1": h1}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, C) of flat pixel rows x (N, side^2)."""
        return self.forward_taps(x)[0]

    def macs(self) -> int:
        """Multiply-adds of one image's forward pass (the cost a training step pays per example, up to a factor)."""
        c1, c2 = self.channels
        s = self.side
        return 9 * c1 * s * s + 9 * c1 * c2 * (s // 2) ** 2 + self.dense.in_features * self.hidden + \
            self.hidden * self.classes

    def arch(self) -> dict:
        """The constructor's arguments as plain numbers (what a stored network is rebuilt from)."""
        return {"side": self.side, "classes": self.classes, "channels": list(self.channels), "hidden": self.hidden}

    def record(self) -> dict:
        """Architecture and weights as plain numbers and tensors (CPU)."""
        return {"arch": self.arch(), "state": {k: v.detach().cpu().clone() for k, v in self.state_dict().items()}}

    @classmethod
    def from_record(cls, record: dict, device: torch.device | str | None = None) -> "ConvNet":
        """The network ``record`` describes, on ``device`` (KeyError/ValueError/RuntimeError when it is not one)."""
        a = record["arch"]
        net = cls(int(a["side"]), int(a["classes"]), tuple(int(c) for c in a["channels"]), int(a["hidden"]))
        net.load_state_dict(record["state"])
        return net.to(device) if device is not None else net

    def extra_repr(self) -> str:
        return f"side={self.side}, channels={self.channels}, hidden={self.hidden}, classes={self.classes}"


def image_side(features: int) -> int | None:
    """The side of square images flattened to ``features`` pixels that ConvNet takes, or None when there is none."""
    side = math.isqrt(max(int(features), 0))
    return side if side * side == features and side >= 4 and side % 4 == 0 else None
