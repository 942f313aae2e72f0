"""Multilayer perceptrons with named feature taps, and a batched population of K of them.

MLP is a plain nn.Module. Population holds K MLPs of one shape in stacked weight tensors
W_l (K, in, out) and b_l (K, 1, out) and runs all of them with one torch.baddbmm per layer, so a
temperature x alpha grid or a set of seeds trains in one pass. Member k of Population(sizes, seeds)
starts from exactly the weights of MLP(sizes, seed=seeds[k]) (nn.Linear's default init drawn on the
CPU under torch.manual_seed(seeds[k])), on every device.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from kdviz.checks import finite_number

ACTIVATIONS = {"relu": F.relu, "tanh": torch.tanh, "gelu": F.gelu}
IN_PLACE = {"relu": torch.relu_, "tanh": torch.tanh_}  # safe on a fresh matmul output (saves a buffer)
# derivative of each activation from its OUTPUT a, applied in place to an incoming gradient g (Population.backward_fm)
ACTIVATION_GRADS = {"relu": lambda g, a: torch.ops.aten.threshold_backward.grad_input(g, a, 0.0, grad_input=g),
                    "tanh": lambda g, a: g.mul_(1.0 - a * a)}
MAX_PARAMS = 5_000_000  # per model (member): beyond this a page would stall a shared 2-core server
MAX_POPULATION_PARAMS = 50_000_000  # all members together
BLOCK_FLOATS = 1 << 18  # hidden activations a block of members evaluates at once on a shared input (fits a core's L2)
MEMBER_GEMM = 1 << 23  # m k n of one member's product from which the CPU runs one torch.mm per member (_per_member)


def n_params(sizes: Sequence[int]) -> int:
    """Number of weights and biases of an MLP with layer widths ``sizes``."""
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def check_sizes(sizes) -> tuple[int, ...]:
    """Validate layer widths [input, hidden..., output]: >= 2 positive whole numbers, <= MAX_PARAMS weights."""
    try:
        out = tuple(sizes)
    except TypeError:
        raise ValueError(f"layer sizes must be a list of whole numbers, got {sizes!r}") from None
    if len(out) < 2:
        raise ValueError(f"an MLP needs at least an input and an output size, got {list(out)}")
    ints = []
    for s in out:
        try:
            if isinstance(s, bool):
                raise TypeError
            ints.append(operator.index(s))
        except TypeError:
            raise ValueError(f"layer sizes must be whole numbers, got {s!r} in {list(out)}") from None
        if ints[-1] < 1:
            raise ValueError(f"layer sizes must be positive, got {ints[-1]} in {list(out)}")
    out = tuple(ints)
    p = n_params(out)
    if p > MAX_PARAMS:
        raise ValueError(f"architecture too large: {'-'.join(map(str, out))} has {p:,} parameters "
                         f"(limit {MAX_PARAMS:,})")
    return out


def check_activation(activation: str) -> str:
    """Validate an activation name (relu, tanh or gelu)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    return activation


def check_dropout(p) -> float:
    """Validate a dropout probability in [0, 1)."""
    return finite_number(p, "dropout", 0.0, 1.0, open_high=True)


def _check_input(x: torch.Tensor, width: int, dims: tuple[int, ...]) -> None:
    """Reject inputs of the wrong rank or feature width with a readable message."""
    if not isinstance(x, torch.Tensor) or x.dim() not in dims or x.shape[-1] != width:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"input must have {width} features in its last dimension and rank {dims}, got {shape}")


class MLP(nn.Module):
    """A fully connected network: Linear -> activation (-> dropout) per hidden layer, then Linear to logits.

    sizes: [input, hidden..., classes], e.g. [2, 16, 2]. ``seed``: if given, the weights are drawn
    under torch.manual_seed(seed) without touching the global random state (so MLP(s, seed=k)
    equals torch.manual_seed(k); MLP(s)). Hidden activations are exposed as taps "h1", "h2", ...
    (after the activation, before dropout) for feature- and relation-based KD.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "relu", dropout: float = 0.0, seed: int | None = None):
        super().__init__()
        self.sizes = check_sizes(sizes)
        self.activation = check_activation(activation)
        self.dropout = check_dropout(dropout)
        if seed is None:
            self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(self.sizes[:-1], self.sizes[1:]))
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(seed))
                self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(self.sizes[:-1], self.sizes[1:]))

    def forward_taps(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Logits (B, C) and the hidden activations {"h1": (B, H1), ...} for inputs x (B, D)."""
        _check_input(x, self.sizes[0], (2,))
        act, taps, h = ACTIVATIONS[self.activation], {}, x
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < len(self.layers) - 1:
                h = act(h)
                taps[f"h{i + 1}"] = h
                if self.dropout > 0:
                    h = F.dropout(h, self.dropout, self.training)
        return h, taps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, C) for inputs x (B, D)."""
        return self.forward_taps(x)[0]


KAIMING_GAIN = nn.init.calculate_gain("leaky_relu", math.sqrt(5))  # the gain of nn.Linear's weight init


def _linear_init(sizes: Sequence[int], seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The weights nn.Linear layers of ``sizes`` get under torch.manual_seed(seed), drawn from a private
    generator: the same draws in the same order as nn.Linear.reset_parameters (kaiming_uniform_ with
    a = sqrt(5), then the bias), with nn.init's bounds computed the same way but without its per-call
    overhead (a population of 128 members draws 512 tensors)."""
    gen, out = torch.Generator().manual_seed(int(seed)), []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w_bound = math.sqrt(3.0) * (KAIMING_GAIN / math.sqrt(fan_in))  # as nn.init.kaiming_uniform_ computes it
        w = torch.empty(fan_out, fan_in, device="cpu").uniform_(-w_bound, w_bound, generator=gen)
        bound = 1 / math.sqrt(fan_in)
        out.append((w, torch.empty(fan_out, device="cpu").uniform_(-bound, bound, generator=gen)))
    return out


def _write(dest: torch.Tensor, op, *args) -> None:
    """dest = op(*args), written in place. Batched matmuls into a strided ``out`` fall back to a slow
    per-member loop on the CPU, so a strided destination gets a contiguous result copied in."""
    if dest.is_contiguous():
        op(*args, out=dest)
    else:
        dest.copy_(op(*args))


def _per_member(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether a (K, m, k) @ b (K, k, n) runs as one torch.mm per member rather than one batched matmul.

    On the CPU, for products of MEMBER_GEMM or more multiply-adds per member: there torch.mm is up to
    1.5x faster than a batched matmul even for one member, writes straight into strided destinations
    (a batched matmul copies), and a Python call per member costs nothing next to the product."""
    return a.device.type == "cpu" and a.shape[1] * a.shape[2] * b.shape[2] >= MEMBER_GEMM


def _product(a: torch.Tensor, b: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """a (K, m, k) @ b (K, k, n) -> (K, m, n), written into ``out`` (any member-major strides) when given."""
    if not _per_member(a, b):
        if out is None:
            return torch.bmm(a, b)
        _write(out, torch.bmm, a, b)
        return out
    out = a.new_empty(a.shape[0], a.shape[1], b.shape[2]) if out is None else out
    for k in range(a.shape[0]):
        torch.mm(a[k], b[k], out=out[k])
    return out


def _affine(bias: torch.Tensor, w: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """One layer of every member: bias (K, out, 1) + w (K, out, in) @ h (K, in, B) -> (K, out, B)."""
    if not _per_member(w, h):
        return torch.baddbmm(bias, w, h)
    out = h.new_empty(w.shape[0], w.shape[1], h.shape[2])
    for k in range(w.shape[0]):
        torch.addmm(bias[k], w[k], h[k], out=out[k])
    return out


def _with_ones(w: torch.Tensor, b: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A layer w (K, out, in), b (K, out, 1) as one weight (K, out, in + 1) and its input x (in, B) with a
    row of ones (in + 1, B), for _shared_input_layer."""
    return torch.cat([w, b], 2), torch.cat([x, x.new_ones(1, x.shape[1])])


def _shared_input_layer(wb: torch.Tensor, xa: torch.Tensor) -> torch.Tensor:
    """Layer wb (K, out, in + 1) of every member on one input xa (in + 1, B) (see _with_ones): (K, out, B).

    One matmul of the stacked weights with the bias as the weight of a row of ones: cheaper than
    baddbmm over a broadcast input, which first copies the broadcast bias into its output."""
    k, out, d = wb.shape
    return torch.mm(wb.reshape(k * out, d), xa).view(k, out, -1)


def _dropout(h: torch.Tensor, p: float, generator: torch.Generator | None) -> torch.Tensor:
    """Inverted dropout; with a generator the mask is reproducible (F.dropout uses the global RNG)."""
    if generator is None:
        return F.dropout(h, p, True)
    keep = torch.rand(h.shape, generator=generator, device=h.device, dtype=h.dtype) >= p
    return h * keep / (1.0 - p)


class Population(nn.Module):
    """K MLPs of one shape in stacked tensors, run together with one torch.baddbmm per layer.

    Storage: weight[l] (K, out, in) and bias[l] (K, out, 1), i.e. each member's nn.Linear weight
    stacked, in the feature-major form the forward pass uses; W[l] (K, in, out) and b[l] (K, 1, out)
    are views of the same numbers. Population(sizes, seeds) initialises member k exactly as
    MLP(sizes, seed=seeds[k]) (drawn on the CPU, then moved to ``device``), so a member of a
    population equals a model trained alone. forward(x) takes x (K, B, D) (one batch per member)
    or (B, D) (shared by all) and returns logits (K, B, C).
    """

    def __init__(self, sizes: Sequence[int], seeds: Sequence[int], activation: str = "relu", dropout: float = 0.0,
                 device: torch.device | str | None = None):
        super().__init__()
        seeds = [int(s) for s in seeds]
        if not seeds:
            raise ValueError("a population needs at least one member (one seed per member)")
        sizes = check_sizes(sizes)
        total = n_params(sizes) * len(seeds)
        if total > MAX_POPULATION_PARAMS:
            raise ValueError(f"population too large: {len(seeds)} members x {n_params(sizes):,} parameters "
                             f"= {total:,} (limit {MAX_POPULATION_PARAMS:,})")
        self.sizes, self.activation, self.dropout = sizes, check_activation(activation), check_dropout(dropout)
        layers = [_linear_init(sizes, s) for s in seeds]  # per member: [(weight, bias), ...]
        self.weight = nn.ParameterList(nn.Parameter(torch.stack([m[i][0] for m in layers]).to(device))
                                       for i in range(len(sizes) - 1))  # weight[l]: (K, out, in)
        self.bias = nn.ParameterList(nn.Parameter(torch.stack([m[i][1] for m in layers])[..., None].to(device))
                                     for i in range(len(sizes) - 1))  # bias[l]: (K, out, 1)
        self._keep_layer_params()
        self.seeds = seeds

    def _stack(self, models: Sequence[MLP], device) -> None:
        """Fill weight, bias from a list of MLPs of one shape (weights copied)."""
        first = models[0]
        self.sizes, self.activation, self.dropout = first.sizes, first.activation, first.dropout
        self.weight = nn.ParameterList()  # weight[l]: (K, out, in), member k's Linear weight
        self.bias = nn.ParameterList()  # bias[l]: (K, out, 1)
        with torch.no_grad():
            for i in range(len(first.layers)):
                self.weight.append(nn.Parameter(torch.stack([m.layers[i].weight.detach() for m in models]).to(device)))
                self.bias.append(nn.Parameter(torch.stack([m.layers[i].bias.detach()[:, None] for m in models]).to(device)))
        self._keep_layer_params()

    @property
    def layer_params(self) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...]]:
        """(weights, biases) as tuples of the Parameter objects, made with the lists: indexing an nn.ParameterList
        runs Python code per element, which a training step of a small model notices."""
        return self.__dict__["_layer_params"]

    def _keep_layer_params(self) -> None:
        """Remember the layer parameters as tuples (see layer_params); called whenever the lists are built."""
        self.__dict__["_layer_params"] = (tuple(self.weight), tuple(self.bias))

    @property
    def W(self) -> list[torch.Tensor]:
        """Weights as (K, in, out) views, one per layer: x @ W[l] + b[l] is layer l of every member."""
        return [w.transpose(1, 2) for w in self.weight]

    @property
    def b(self) -> list[torch.Tensor]:
        """Biases as (K, 1, out) views, one per layer."""
        return [b.transpose(1, 2) for b in self.bias]

    @classmethod
    def from_models(cls, models: Sequence[MLP], device: torch.device | str | None = None) -> "Population":
        """A population whose member k is a copy of ``models[k]`` (all of one shape and activation)."""
        models = list(models)
        if not models or not all(isinstance(m, MLP) for m in models):
            raise ValueError("from_models needs a non-empty list of MLPs")
        first = models[0]
        for m in models[1:]:
            if (m.sizes, m.activation, m.dropout) != (first.sizes, first.activation, first.dropout):
                raise ValueError(f"all models must share one architecture: {first.sizes} {first.activation} vs "
                                 f"{m.sizes} {m.activation}")
        pop = cls.__new__(cls)
        nn.Module.__init__(pop)
        pop._stack(models, device if device is not None else first.layers[0].weight.device)
        pop.seeds = [None] * len(models)
        return pop

    @property
    def n_members(self) -> int:
        """Number of members K."""
        return int(self.weight[0].shape[0])

    @property
    def device(self) -> torch.device:
        """The device holding the weights."""
        return self.weight[0].device

    def forward_fm(self, x_fm: torch.Tensor, taps: bool = False, generator: torch.Generator | None = None,
                   rows: slice | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The forward pass on feature-major input x_fm (K, D, B) -> logits (K, C, B), taps {"h1": (K, H1, B)}.

        Feature-major is several times faster on the CPU for narrow layers: softmax over a contiguous
        class dimension of 2-10 entries and the small batched matmuls of backpropagation both hit
        fast kernels. ``generator`` (optional) draws dropout masks reproducibly in training mode.
        ``rows``: only the members in that slice (x_fm then has their K' batches). One input shared by
        every member (x_fm a stride-0 expand, as forward makes for x (B, D)), without taps or grad,
        runs in blocks of members whose hidden activations fit in BLOCK_FLOATS: the same numbers,
        less memory traffic (a history record's logits at K = 128: 1.40 -> 0.91 ms).
        """
        if (x_fm.stride(0) == 0 and x_fm.shape[0] > 1 and not taps and rows is None and len(self.sizes) > 2
                and not torch.is_grad_enabled() and not (self.dropout and self.training)):
            return self._shared_blocks(x_fm[0]), {}
        act, out, h = IN_PLACE.get(self.activation, ACTIVATIONS[self.activation]), {}, x_fm
        weights, biases = self.layer_params
        last = len(weights) - 1
        rows = slice(None) if rows is None else rows
        for i, (w, b) in enumerate(zip(weights, biases)):
            if i == 0 and h.stride(0) == 0 and h.shape[0] > 1:  # one input shared by every member (evaluation)
                h = _shared_input_layer(*_with_ones(w[rows], b[rows], h[0]))
            else:
                # (K, out, 1) + (K, out, in) @ (K, in, B); strided batches are slow
                h = torch.baddbmm(b[rows], w[rows].contiguous(), h)
            if i < last:
                h = act(h)
                if taps:
                    out[f"h{i + 1}"] = h
                if self.dropout > 0 and self.training:
                    h = _dropout(h, self.dropout, generator)
        return h, out

    def _shared_blocks(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (K, C, B) of every member on one input x (D, B), a block of members at a time (see forward_fm).

        Each block's first layer is one matmul (_shared_input_layer), the others batched matmuls."""
        act = IN_PLACE.get(self.activation, ACTIVATIONS[self.activation])
        weights, biases = self.layer_params
        k, b = self.n_members, x.shape[1]
        blocks = -(-k * max(self.sizes[1:-1], default=1) * b // BLOCK_FLOATS)  # ceil: as few as fit
        size = -(-k // blocks)  # members per block, balanced
        wb, xa = _with_ones(weights[0], biases[0], x)  # (K, H1, D + 1), (D + 1, B)
        rest = [w.contiguous() for w in weights[1:]]
        z = x.new_empty(k, self.sizes[-1], b)  # (K, C, B)
        for lo in range(0, k, size):
            rows = slice(lo, lo + size)
            h = _shared_input_layer(wb[rows], xa)  # (K', H1, B)
            for i, (w, bias) in enumerate(zip(rest, biases[1:])):
                h = torch.baddbmm(bias[rows], w[rows], act(h), out=z[rows] if i == len(rest) - 1 else None)
        return z

    @property
    def manual_backward(self) -> bool:
        """Whether backward_fm applies: a relu/tanh activation and no dropout while training."""
        return self.activation in ACTIVATION_GRADS and (self.dropout == 0 or not self.training)

    def _check_manual(self) -> None:
        """Refuse forward_cache/backward_fm where the hand-written derivative does not apply."""
        if not self.manual_backward:
            raise ValueError("manual backward needs a relu or tanh activation and no dropout in training")

    @torch.no_grad()
    def forward_cache(self, x_fm: torch.Tensor) -> tuple[torch.Tensor, tuple]:
        """forward_fm without autograd, keeping what backward_fm needs: (logits (K, C, B), cache).

        The cache refers to the weights themselves (batched matmuls read a run's member-strided
        views as fast as a copy, and copying them cost every step): backpropagate before updating them."""
        self._check_manual()
        act, h, inputs = IN_PLACE[self.activation], x_fm, []
        weights, biases = self.layer_params
        last = len(weights) - 1
        for i, (w, b) in enumerate(zip(weights, biases)):
            inputs.append(h)
            h = _affine(b, w, h)  # (K, out, B)
            if i < last:
                h = act(h)
        return h, (inputs, weights)

    @staticmethod
    def cached_taps(cache: tuple) -> dict[str, torch.Tensor]:
        """The hidden activations {"h1": (K, H1, B), ...} a forward_cache pass kept (no copy)."""
        inputs = cache[0]
        return {f"h{i}": inputs[i] for i in range(1, len(inputs))}

    @torch.no_grad()
    def backward_fm(self, cache: tuple, grad: torch.Tensor, taps: dict[str, torch.Tensor] | None = None) -> None:
        """Backpropagate d loss / d logits (K, C, B) by hand and WRITE (not add) the parameter gradients.

        ``cache`` comes from forward_cache. ``taps`` (optional) adds d loss / d h_l (K, H_l, B) for
        hidden layers named as in cached_taps: taps are post-activation outputs, so each joins the
        gradient arriving from above before the activation's derivative. Each gradient is written
        into the parameter's .grad (allocated if missing; a caller may make them views into one
        buffer). Equals autograd on forward_fm (tested) in about half the tensor operations.
        """
        self._check_manual()
        inputs, weights = cache
        params, biases = self.layer_params
        act_grad, g, taps = ACTIVATION_GRADS[self.activation], grad, taps or {}
        for i in range(len(weights) - 1, -1, -1):
            w, b = params[i], biases[i]
            for p in (w, b):
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
            if _per_member(g, inputs[i].transpose(1, 2)):  # large: straight into the buffer, member by member
                _product(g, inputs[i].transpose(1, 2), w.grad)  # (K, out, in)
            elif 1 < w.shape[0] and w.shape[2] < w.shape[1]:  # fewer inputs than outputs: the batched product is
                # several times faster as (K, in, out), copied transposed into place (one member: written directly)
                w.grad.transpose(1, 2).copy_(torch.bmm(inputs[i], g.transpose(1, 2)))  # (K, in, out)
            else:
                _write(w.grad, torch.bmm, g, inputs[i].transpose(1, 2))  # (K, out, in)
            torch.sum(g, -1, keepdim=True, out=b.grad)  # (K, out, 1)
            if i > 0:
                up = _product(weights[i].transpose(1, 2), g)  # (K, in, B): d loss / d h_i from the layer above
                tap = taps.get(f"h{i}")
                g = act_grad(up if tap is None else up.add_(tap), inputs[i])  # through the activation

    def forward_taps(self, x: torch.Tensor, generator: torch.Generator | None = None
                     ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Logits (K, B, C) and hidden taps {"h1": (K, B, H1), ...} for x (K, B, D) or (B, D).

        The results are transposed views of feature-major storage (see forward_fm), so
        ``logits.transpose(1, 2)`` is contiguous.
        """
        z, taps = self.forward_fm(self._to_fm(x), True, generator)
        return z.transpose(1, 2), {k: v.transpose(1, 2) for k, v in taps.items()}

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Logits (K, B, C) for x (K, B, D) or (B, D)."""
        return self.forward_fm(self._to_fm(x), False, generator)[0].transpose(1, 2)

    def _to_fm(self, x: torch.Tensor) -> torch.Tensor:
        """Validate x (K, B, D) or (B, D) and return it feature-major (K, D, B)."""
        _check_input(x, self.sizes[0], (2, 3))
        k = self.n_members
        if x.dim() == 2:
            return x.t().contiguous().expand(k, -1, -1)  # shared by all members, no copy per member
        if x.shape[0] != k:
            raise ValueError(f"input has {x.shape[0]} batches but the population has {k} members")
        return x.transpose(1, 2).contiguous()

    def member(self, k: int) -> MLP:
        """A plain MLP holding a copy of member k's weights (same device, dtype and train/eval mode)."""
        if not -self.n_members <= k < self.n_members:
            raise ValueError(f"member {k} does not exist: the population has {self.n_members} members")
        with torch.device("cpu"):  # drawn on the CPU, as every MLP(seed=...), then moved
            m = MLP(self.sizes, self.activation, self.dropout, seed=0)
        m = m.to(self.device, self.weight[0].dtype)
        with torch.no_grad():
            for layer, w, b in zip(m.layers, self.weight, self.bias):
                layer.weight.copy_(w[k])
                layer.bias.copy_(b[k, :, 0])
        return m.train(self.training)

    def arrays(self) -> dict:
        """The architecture and weights as plain Python/NumPy values (picklable, for snapshots)."""
        return {"sizes": list(self.sizes), "activation": self.activation, "dropout": self.dropout,
                "weight": [w.detach().cpu().numpy().copy() for w in self.weight],
                "bias": [b.detach().cpu().numpy().copy() for b in self.bias]}

    @classmethod
    def from_arrays(cls, state: dict, device: torch.device | str | None = None) -> "Population":
        """Rebuild a population from ``arrays()`` output."""
        k = len(state["weight"][0])
        dtype = torch.as_tensor(state["weight"][0], device="cpu").dtype  # the arrays' own precision (float32 or float64)
        pop = cls(state["sizes"], [0] * k, state["activation"], state["dropout"], device=device).to(dtype)
        with torch.no_grad():
            for p, a in zip([*pop.weight, *pop.bias], [*state["weight"], *state["bias"]]):
                p.copy_(torch.as_tensor(a, device="cpu"))
        pop.seeds = [None] * k
        return pop

    def extra_repr(self) -> str:
        """Shown by print(population)."""
        return f"members={self.n_members}, sizes={'-'.join(map(str, self.sizes))}, activation={self.activation}"


def describe(sizes: Sequence[int]) -> str:
    """A short name for an architecture, e.g. "2-16-2 (82 parameters)"."""
    s = check_sizes(sizes)
    return f"{'-'.join(map(str, s))} ({n_params(s):,} parameters)"


def param_count(model: nn.Module) -> int:
    """Parameters per model: for a Population, per member."""
    total = sum(p.numel() for p in model.parameters())
    return total // model.n_members if isinstance(model, Population) else total


__all__ = ["ACTIVATIONS", "MAX_PARAMS", "MLP", "Population", "check_sizes", "describe", "n_params", "param_count"]
