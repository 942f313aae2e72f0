"""Device choice (cuda, then mps, then cpu) and torch thread limits."""
from __future__ import annotations

import torch


def available_devices() -> list[str]:
    """Devices torch can use here, best first; "cpu" is always last."""
    out = []
    if torch.cuda.is_available():
        out.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        out.append("mps")
    return out + ["cpu"]


def default_device() -> str:
    """The best available device: cuda, then mps, then cpu."""
    return available_devices()[0]


def resolve_device(name: str | None = None) -> torch.device:
    """Turn "auto"/None or a device name into a torch.device; reject one that is not available."""
    if name in (None, "", "auto"):
        return torch.device(default_device())
    if name.split(":")[0] not in available_devices():
        raise ValueError(f"device {name!r} is not available here; choose one of {', '.join(available_devices())}")
    return torch.device(name)


def limit_threads(n: int = 1) -> None:
    """Make torch use ``n`` intra-op threads in this process (training jobs use 1)."""
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
