"""Students of a character-model teacher, one per method and seed, trained together from the same weights and batches.

Every student of seed s starts from the same initial weights and sees the same windows of training
text at every step; only its method differs:
- labels:     next-character cross-entropy on the text (no teacher);
- forward_kl, reverse_kl, jsd, top_k: the teacher's next-character distributions on the same text
  (kdviz.lm.losses; T, beta, k and the top-k mode from DistilSettings);
- sequence:   cross-entropy on text the teacher wrote (sequence-level KD: a pool sampled once at T = 1);
- on_policy:  the student continues each window's first half itself, and the teacher's distributions
  on those characters are its targets (GKD's on-policy distillation, with the JSD(beta) above), on
  the generated half only.
Held-out metrics: bits per character on held-out text, top-1 agreement with the teacher,
KL(teacher || student) at T = 1 there, and the probability the student puts where the teacher puts
less than LOW (its low-probability region); own_text_bits: the teacher's bits per character on text
each student writes itself.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from kdviz.lm import losses
from kdviz.softening import kl_from_log
from kdviz.lm.corpus import Corpus
from kdviz.lm.model import CharGRU, Shape

LOW = 0.01  # a next character the teacher gives less than this is in its low-probability region
METHODS = ("labels", "forward_kl", "reverse_kl", "jsd", "top_k", "sequence", "on_policy")


@dataclass(frozen=True)
class DistilSettings:
    """How the students learn: the divergences' settings and the optimisation."""

    T: float = 2.0  # temperature of the teacher's (and student's) distributions in the losses
    beta: float = 0.5  # GKD's JSD(beta) mixture, for jsd and on_policy
    k: int = 5  # top-k: the teacher's probabilities kept per position
    top_k_mode: str = "renormalise"  # or "lump"
    window: int = 64  # characters per training window
    batch: int = 16  # windows per step
    lr: float = 3e-3
    pool: int = 256  # windows of teacher-written text for sequence-level KD


_P, _Q = r"p^T_{b,t}", r"q^T_{b,t}"  # the student's and the teacher's next-token distributions at T
_MEAN = r"\frac{1}{BL}\sum_{b,t}"
FORMULAS = {  # method -> (the function that trains it, its formula exactly as trained)
    "labels": ("kdviz.lm.losses.labels_loss", _MEAN + r"-\log \mathrm{softmax}(z_{b,t})_{y_{b,t}}"),
    "forward_kl": ("kdviz.lm.losses.forward_kl", r"T^2 " + _MEAN + r"\sum_i " + _Q + r"(i)\,\big(\log " + _Q
                   + r"(i) - \log " + _P + r"(i)\big) = T^2\,\overline{\mathrm{KL}(q^T \,\|\, p^T)}"),
    "reverse_kl": ("kdviz.lm.losses.reverse_kl", r"T^2 " + _MEAN + r"\sum_i " + _P + r"(i)\,\big(\log " + _P
                   + r"(i) - \log " + _Q + r"(i)\big) = T^2\,\overline{\mathrm{KL}(p^T \,\|\, q^T)}"),
    "jsd": ("kdviz.lm.losses.jsd", r"T^2 " + _MEAN + r"\Big[\beta\,\mathrm{KL}(" + _Q + r" \,\|\, m) + (1-\beta)"
            r"\,\mathrm{KL}(" + _P + r" \,\|\, m)\Big],\quad m = \beta " + _Q + r" + (1-\beta) " + _P),
    "top_k": ("kdviz.lm.losses.top_k_kl", r"T^2 " + _MEAN + r"\sum_{i \in K_{b,t}} \tilde q_{b,t}(i)\,\big(\log "
              r"\tilde q_{b,t}(i) - \log " + _P + r"(i)\big),\quad \tilde q_{b,t}(i) = \frac{" + _Q
              + r"(i)}{\sum_{j \in K_{b,t}} " + _Q + r"(j)}\ \text{(renormalise; lump: a KL over } K"
              r"\text{ and one bin for the rest)}"),
    "sequence": ("kdviz.lm.losses.labels_loss", _MEAN + r"-\log \mathrm{softmax}(z_{b,t})_{\hat y_{b,t}},\quad "
                 r"\hat y \sim \text{the teacher at } T = 1"),
    "on_policy": ("kdviz.lm.losses.jsd", r"T^2 \frac{1}{|G|}\sum_{(b,t) \in G}\Big[\beta\,\mathrm{KL}(" + _Q
                  + r" \,\|\, m) + (1-\beta)\,\mathrm{KL}(" + _P + r" \,\|\, m)\Big],\quad G: \text{the "
                  r"characters the student wrote itself}"),
}


def method_loss(method: str, z: torch.Tensor, v: torch.Tensor | None, y: torch.Tensor, mask: torch.Tensor | None,
                s: DistilSettings) -> torch.Tensor:
    """One student's loss of its logits z (B, L, V) against the teacher's v (B, L, V) or the next characters y (B, L)."""
    if method in ("labels", "sequence"):
        return losses.labels_loss(z, y, mask)
    if method == "forward_kl":
        return losses.forward_kl(z, v, s.T, mask)
    if method == "reverse_kl":
        return losses.reverse_kl(z, v, s.T, mask)
    if method in ("jsd", "on_policy"):
        return losses.jsd(z, v, s.beta, s.T, mask)
    if method == "top_k":
        return losses.top_k_kl(z, v, s.k, s.T, s.top_k_mode, mask)
    raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")


class Students:
    """The students of ``methods`` x ``seeds`` (member i: methods[i % M], seeds[i // M]), trained step by step."""

    def __init__(self, teacher: CharGRU, corpus: Corpus, shape: Shape, methods: tuple[str, ...], seeds: tuple[int, ...],
                 settings: DistilSettings, data_seed: int = 0):
        unknown = [m for m in methods if m not in METHODS]
        if unknown:
            raise ValueError(f"unknown method {unknown[0]!r}; choose from {', '.join(METHODS)}")
        self.teacher, self.corpus, self.settings, self.data_seed = teacher.eval(), corpus, settings, data_seed
        self.methods = [m for _ in seeds for m in methods]  # (K,) each member's method
        self.seeds = [s for s in seeds for _ in methods]
        self.model = CharGRU(shape, self.seeds, device=teacher.embed.device)
        self.optimiser = torch.optim.Adam(self.model.parameters(), lr=settings.lr)
        self.step_count = 0
        self.pool = self._teacher_text() if "sequence" in methods else None  # (P, window + 1)

    def _teacher_text(self) -> torch.Tensor:
        """Windows of text the teacher writes at T = 1, each continuing a short prompt from the training text."""
        s, prompt = self.settings, 8
        starts = self.corpus.windows("train", prompt - 1, s.pool, seed=10_000 + self.data_seed)  # (P, prompt)
        device = self.teacher.embed.device
        g = torch.Generator(device=device).manual_seed(self.data_seed)
        return self.teacher.sample(starts.to(device), s.window + 1 - prompt, generator=g)[0]

    def batch_ids(self) -> tuple[torch.Tensor, torch.Tensor]:
        """This step's training text (B, window + 1) and each member's input windows (K, B, window + 1): the text,
        or teacher-written, or its own."""
        s, K = self.settings, len(self.methods)
        text = self.corpus.windows("train", s.window, s.batch, seed=self.data_seed * 1_000_003 + self.step_count)
        text = text.to(self.teacher.embed.device)
        ids = text.expand(K, -1, -1).clone()  # (K, B, window + 1)
        if self.pool is not None:
            g = torch.Generator(device=text.device).manual_seed(self.step_count)
            pick = torch.randint(0, len(self.pool), (s.batch,), generator=g, device=text.device)
            ids[[i for i, m in enumerate(self.methods) if m == "sequence"]] = self.pool[pick]
        own = [i for i, m in enumerate(self.methods) if m == "on_policy"]
        if own:
            half = (s.window + 1) // 2
            g = torch.Generator(device=text.device).manual_seed(self.data_seed * 7919 + self.step_count)
            written = self.model.sample(ids[:, :, :half], s.window + 1 - half, generator=g)  # (K, B, window + 1)
            ids[own] = written[own]
        return text, ids

    def train_step(self) -> torch.Tensor:
        """One step for every student; returns each one's training loss (K,)."""
        s = self.settings
        text, ids = self.batch_ids()  # (B, L + 1), (K, B, L + 1)
        x, y = ids[:, :, :-1], ids[:, :, 1:]  # (K, B, L)
        v = self.teacher_logits(text[:, :-1], x)  # (K, B, L, V)
        z, _ = self.model(x)  # (K, B, L, V)
        generated = torch.zeros_like(y, dtype=torch.bool)[0]  # (B, L)
        generated[:, (s.window + 1) // 2 - 1:] = True
        each = torch.stack([method_loss(m, z[i], v[i], y[i], generated if m == "on_policy" else None, s)
                            for i, m in enumerate(self.methods)])  # (K,)
        self.optimiser.zero_grad(set_to_none=True)
        each.sum().backward()
        self.optimiser.step()
        self.step_count += 1
        return each.detach()

    @torch.no_grad()
    def teacher_logits(self, text: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The teacher's logits (K, B, L, V) on each member's inputs x (K, B, L): once on the shared ``text`` (B, L),
        once per on-policy member on its own text (sequence-level students use none: their targets are the text)."""
        shared = self.teacher(text)[0][0]  # (B, L, V)
        v = shared.expand(x.shape[0], *shared.shape).clone()
        own = [i for i, m in enumerate(self.methods) if m == "on_policy"]
        if own:
            v[own] = self.teacher(x[own].reshape(1, -1, x.shape[-1]))[0].view(len(own), *x.shape[1:], -1)
        return v

    @torch.no_grad()
    def evaluate(self, windows: torch.Tensor) -> dict[str, torch.Tensor]:
        """Held-out metrics of every student on ``windows`` (N, L + 1): bits per character, top-1 agreement with the
        teacher and KL(teacher || student) at T = 1, each (K,)."""
        return held_out_metrics(self.model, self.teacher, windows)

    def run(self, steps: int, every: int, windows: torch.Tensor,
            report: Callable[[int, dict], None] | None = None) -> dict[str, torch.Tensor]:
        """Train ``steps`` steps, evaluating on ``windows`` every ``every`` steps (and at the end); the last metrics."""
        metrics = self.evaluate(windows)
        for _ in range(steps):
            self.train_step()
            if self.step_count % every == 0 or self.step_count == steps:
                metrics = self.evaluate(windows)
                if report is not None:
                    report(self.step_count, metrics)
        return metrics


@torch.no_grad()
def held_out_metrics(model: CharGRU, teacher: CharGRU, windows: torch.Tensor) -> dict[str, torch.Tensor]:
    """Bits per character, top-1 agreement with the teacher, KL(teacher || student) and the probability in the
    teacher's low-probability region (next characters it gives less than LOW) of each member, each (K,)."""
    x, y = windows[:, :-1], windows[:, 1:]  # (N, L)
    z, _ = model(x)  # (K, N, L, V)
    v = teacher(x)[0][0]  # (N, L, V)
    log_p = torch.log_softmax(z.double(), -1)
    nats = -log_p.gather(-1, y.expand(z.shape[0], *y.shape).unsqueeze(-1)).squeeze(-1).mean((1, 2))  # (K,)
    log_q = torch.log_softmax(v.double(), -1)
    kl = kl_from_log(log_q, log_p).mean((1, 2))  # (K,) KL(teacher || student) per member
    agree = (z.argmax(-1) == v.argmax(-1)).double().mean((1, 2))  # (K,)
    low = (log_p.exp() * (log_q < math.log(LOW))).sum(-1).mean((1, 2))  # (K,)
    return {"bits_per_char": nats / math.log(2), "agreement": agree, "kl_to_teacher": kl, "low_mass": low}


@torch.no_grad()
def own_text_bits(model: CharGRU, teacher: CharGRU, prompts: torch.Tensor, length: int, seed: int = 0) -> torch.Tensor:
    """The teacher's bits per character (K,) on the ``length`` characters each member writes at T = 1 after each of
    ``prompts`` (N, P): how far a student's own text strays from what the teacher would write."""
    g = torch.Generator(device=prompts.device).manual_seed(seed)
    ids = model.sample(prompts, length, generator=g)  # (K, N, P + length)
    K, N, total = ids.shape
    v = teacher(ids.reshape(1, K * N, total)[:, :, :-1])[0][0].view(K, N, total - 1, -1)  # (K, N, P + length - 1, V)
    written = slice(prompts.shape[-1] - 1, total - 1)  # the positions that predict the written characters
    log_q = torch.log_softmax(v[:, :, written].double(), -1)
    nats = -log_q.gather(-1, ids[:, :, prompts.shape[-1]:].unsqueeze(-1)).squeeze(-1).mean((1, 2))  # (K,)
    return nats / math.log(2)
