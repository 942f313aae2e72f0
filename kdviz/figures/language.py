"""The Distilling a language model page's figures: next-character distributions at the torn position, learning
curves (at most four methods per chart), the samples, and the bell-curve picture of the KL's direction."""
from __future__ import annotations

import numpy as np

from kdviz.experiments.language import NAMES, LanguageConfig, LanguageSnapshot, curves
from kdviz.lm import toy
from kdviz.lm.corpus import VOCAB
from kdviz.plots import svg
from kdviz.plots.language import bell_fits, next_char_bars, samples_table
from kdviz.plots.paradigms import lines
from kdviz.plots.style import BLUE, GREEN, GREY, ORANGE, PURPLE, SKY, VERMILLION

MAX_CURVES = 4  # methods per chart, so the lines stay readable
SHOWN_CHARS = 8  # the teacher's most likely next characters at the torn position
FIRST_SHOWN = ("labels", "forward_kl", "reverse_kl", "on_policy", "jsd", "top_k", "sequence")  # default order
COLOURS = {"teacher": BLUE, "labels": GREY, "forward_kl": VERMILLION, "reverse_kl": PURPLE, "jsd": GREEN,
           "top_k": ORANGE, "sequence": SKY, "on_policy": "#882255"}
FIT_COLOURS = {"forward KL": VERMILLION, "reverse KL": PURPLE, "JSD": GREEN}
METRICS = {"bits_per_char": "held-out bits per character", "agreement": "top-1 agreement with the teacher",
           "kl_to_teacher": "KL(teacher ‖ student), nats per character"}


def default_shown(snap: LanguageSnapshot) -> list[str]:
    """The methods shown until the learner picks: labels only, forward and reverse KL, on-policy, then the rest."""
    return [m for m in FIRST_SHOWN if m in snap.scene.methods][:MAX_CURVES]


def named(dists: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """(the distributions under display names, their colours)."""
    label = lambda m: "teacher" if m == "teacher" else NAMES[m]  # noqa: E731
    return {label(m): p for m, p in dists.items()}, {label(m): COLOURS[m] for m in dists}


def torn_bars(snap: LanguageSnapshot, shown: list[str], T: float):
    """The teacher's and each shown method's first student's next-character distribution at T at the torn position,
    over the teacher's SHOWN_CHARS most likely characters."""
    torn, methods = snap.scene.torn, snap.scene.methods
    top = np.argsort(-torn.teacher, kind="stable")[:SHOWN_CHARS]  # (C,)
    dists = {"teacher": torn.teacher[top], **{m: snap.torn_students[methods.index(m)][top] for m in shown}}
    values, colours = named(dists)
    return next_char_bars([VOCAB[i] for i in top], values, colours,
                          f"The next character after “…{torn.context[-24:]}” (T = {T:g}; seed 0 of each method)"
                          .replace("\n", "↵"))


def figures(cfg: LanguageConfig, snap: LanguageSnapshot, shown: list[str] | tuple[str, ...] | None = None) -> dict:
    """The torn position's distributions, the three learning curves and the samples of a snapshot; ``shown``: the
    methods drawn (default default_shown, at most MAX_CURVES)."""
    methods = (default_shown(snap) if shown is None else list(shown))[:MAX_CURVES]
    out = {"torn position": lambda: torn_bars(snap, methods, cfg.T)}
    for metric, title in METRICS.items():
        def chart(metric=metric, title=title):
            steps, means = curves(snap, metric)
            series, colours = named({m: means[m] for m in methods})
            return lines(steps, series, "step", title + " (mean over seeds)", colours=colours,
                         percent=metric == "agreement")
        out[title] = chart
    names = ["teacher", *(NAMES[m] for m in snap.scene.methods)]
    texts = [snap.samples["teacher"], *(snap.samples[m] for m in snap.scene.methods)]
    out["samples"] = lambda: samples_table(names, texts, f"Samples at sampling temperature {cfg.sample_T:g} "
                                                         f"(step {snap.step})")
    return out


def bell_figure(gap: float, width: float, beta: float):
    """The toy: one bell curve fitted to two peaks under forward KL, reverse KL and JSD(beta) (kdviz.lm.toy)."""
    fits = {f.divergence if f.divergence != "JSD" else "JSD": f.probs.numpy() for f in
            (toy.fit(name, gap, width, beta) for name in toy.FITS)}
    return bell_fits(toy.GRID.numpy(), toy.teacher_probs(gap, width).numpy(), fits, FIT_COLOURS,
                     f"One bell curve fitted to two peaks (JSD at β = {beta:g})")


DRAWS = {"language": figures}


def card() -> str:
    """Home's card figure (SVG text): a next-character distribution, the teacher's beside a student's."""
    teacher = np.array([0.42, 0.38, 0.08, 0.05, 0.04, 0.03])
    student = np.array([0.30, 0.26, 0.16, 0.12, 0.09, 0.07])
    return svg.bars([(teacher, BLUE), (student, VERMILLION)])
