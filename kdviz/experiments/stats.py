"""The one paired-seed verdict of every training page, and how spreads over seeds are written.

Students of two roles that share a seed share their initial weights and batch order, so their
difference on that seed is the effect of what differs (KD, a paradigm, a teacher). An effect is
called clear when at least two seeds agree on its sign and its mean exceeds the seed spread
(the sample standard deviation of the per-seed differences).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairedEffect:
    """Per-seed differences b - a of two paired roles, and what they say."""

    diffs: np.ndarray  # (S,) one difference per seed

    @property
    def n(self) -> int:
        """Number of seeds."""
        return int(len(self.diffs))

    @property
    def mean(self) -> float:
        """Mean difference over seeds."""
        return float(np.mean(self.diffs))

    @property
    def sd(self) -> float:
        """Sample standard deviation of the differences (NaN for one seed)."""
        return float(np.std(self.diffs, ddof=1)) if self.n > 1 else math.nan

    @property
    def clear(self) -> bool:
        """Every seed agrees on the sign and the mean difference is larger than its spread."""
        d = self.diffs
        return bool(self.n > 1 and (np.all(d > 0) or np.all(d < 0)) and abs(self.mean) > self.sd)

    @property
    def direction(self) -> str:
        """"better" or "worse" (b against a) when the effect is clear, else "within noise"."""
        return ("better" if self.mean > 0 else "worse") if self.clear else "within noise"

    def text(self, scale: float = 100.0, digits: int = 1, unit: str = " points") -> str:
        """"+8.7 ± 0.5 points" (the spread left out for one seed)."""
        spread = f" ± {self.sd * scale:.{digits}f}" if self.n > 1 else ""
        mean = self.mean * scale
        mean = 0.0 if round(mean, digits) == 0 else mean  # "+0.0", never "-0.0"
        return f"{mean:+.{digits}f}{spread}{unit}"


def paired(a, b) -> PairedEffect:
    """The paired effect of role b over role a: a and b hold one value per seed (S,) in the same seed order."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(f"paired values need one value per seed for both roles, got shapes {a.shape} and {b.shape}")
    return PairedEffect(b - a)


def verdict_sentence(effect: PairedEffect, what: str) -> str:
    """One honest sentence: "what: +0.3 ± 0.6 points (paired over 3 seeds): within the seed spread, ..."."""
    head = f"{what}: {effect.text()} (paired over {count(effect.n, 'seed')})"
    if effect.n < 2:
        return head + ": one seed cannot tell an effect from noise; train more seeds."
    if effect.clear:
        return head + ", the same sign on every seed and larger than the spread."
    return head + ": within the seed spread, no clear effect here."


def mean_std(values, scale: float = 1.0, digits: int = 1) -> str:
    """Mean ± sample std over seeds, e.g. '23.3 ± 1.2' (just the mean for one seed)."""
    v = np.asarray(values, dtype=np.float64) * scale
    return f"{v.mean():.{digits}f}" + (f" ± {v.std(ddof=1):.{digits}f}" if v.size > 1 else "")


def count(n: int, word: str, plural: str | None = None) -> str:
    """'1 seed', '3 seeds' (or the given plural)."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


CONFIRMED, NOT_SEEN, REVERSED = "confirmed here", "not seen here", "reversed here"


def claim_verdict(effect: PairedEffect, expect: int) -> str:
    """A claim's verdict from the paired effect it predicts: ``expect`` is +1 (b above a) or -1 (b below a).

    "confirmed here" when the effect is clear (see PairedEffect.clear) in the predicted direction,
    "reversed here" when it is clear the other way, "not seen here" otherwise.
    """
    if expect not in (1, -1):
        raise ValueError(f"a claim predicts a direction, +1 or -1, got {expect!r}")
    if not effect.clear:
        return NOT_SEEN
    return CONFIRMED if math.copysign(1, effect.mean) == expect else REVERSED


FAILED_ADVICE = "this run did not learn: lower the learning rate"


def not_judged(failed: list[str]) -> str:
    """The sentence that stands in for a verdict when students failed (the first three named)."""
    return (f"Not judged: {count(len(failed), 'student')} failed ({'; '.join(failed[:3])}"
            f"{'; …' if len(failed) > 3 else ''}), so {FAILED_ADVICE}.")


def judged_sentence(effect: PairedEffect, what: str, failed: list[str]) -> str:
    """verdict_sentence, unless a student failed: then the numbers and not_judged."""
    return verdict_sentence(effect, what) if not failed else f"{what}: {effect.text()}. {not_judged(failed)}"
