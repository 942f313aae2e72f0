"""The one paired-seed verdict of every training page, and how spreads over seeds are written.

Students of two roles that share a seed share their initial weights and batch order, so their
difference on that seed is the effect of what differs (KD, a paradigm, a teacher). An effect is
called clear when two rules both hold:

- the seeds: at least two seeds agree on its sign and its mean exceeds the seed spread (the
  sample standard deviation of the per-seed differences);
- the test points, where the effect is a difference in accuracy on a known test set: an exact
  two-sided sign test (McNemar's exact test) on the test predictions the two roles disagree on,
  pooled over seeds, gives p <= 0.05 (SIGNIFICANCE). Seeds alone cannot see the test set's size:
  on 45 test points every seed may differ by the same single point (a spread of zero), which is
  one prediction, not an effect. Given only the per-seed accuracies and the test-set size, the
  test is run on the most favourable split (every point of the net difference one way), so it
  only ever says "too few test points to tell" where no split could tell.

Where the seeds agree but the test points cannot tell, the verdict is "too few test points to
tell"; where the seeds disagree it is "within noise", however many test points there are.

Pooling over seeds counts each (seed, test point) once; the seeds share the test set, so this
test is about the students trained here, not about fresh test data. A difference that is zero on
every seed, or predictions identical on every test point, reads "no difference".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest

SIGNIFICANCE = 0.05  # the sign test's two-sided level
BETTER, WORSE, WITHIN_NOISE = "better", "worse", "within noise"
TOO_FEW, NO_DIFFERENCE = "too few test points to tell", "no difference"


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test p-value of ``wins`` against ``losses`` discordant pairs (1.0 for none)."""
    return float(binomtest(wins, wins + losses, 0.5).pvalue) if wins + losses else 1.0


@dataclass(frozen=True)
class TestPoints:
    """The test predictions behind a paired accuracy difference, pooled over seeds."""

    n_test: int  # test points per seed
    wins: int  # (seed, point) pairs role b gets right and role a wrong
    losses: int  # role a right, role b wrong
    counted: bool  # True: counted from per-point correctness; False: the most favourable split of the net difference

    @property
    def p(self) -> float:
        """The exact sign test's two-sided p-value."""
        return sign_test(self.wins, self.losses)

    @property
    def enough(self) -> bool:
        """Whether the test points can tell the difference from chance (p <= SIGNIFICANCE)."""
        return self.p <= SIGNIFICANCE

    def text(self, seeds: int) -> str:
        """What the sign test saw, in words."""
        p = "p < 0.001" if self.p < 0.001 else f"p = {self.p:.2g}"
        if self.counted:
            return (f"the two disagree on {count(self.wins + self.losses, 'test prediction')} over "
                    f"{count(seeds, 'seed')} of {count(self.n_test, 'test point')} ({self.wins} for, {self.losses} "
                    f"against): an exact sign test gives {p}")
        return (f"a net {count(self.wins, 'test point')} over {count(seeds, 'seed')} of {self.n_test}: "
                f"even all one way, an exact sign test gives {p}")


@dataclass(frozen=True)
class PairedEffect:
    """Per-seed differences b - a of two paired roles, and what they say."""

    diffs: np.ndarray  # (S,) one difference per seed
    points: TestPoints | None = None  # the test predictions behind an accuracy difference, when known

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
    def seeds_agree(self) -> bool:
        """Every seed agrees on the sign and the mean difference is larger than its spread."""
        d = self.diffs
        return bool(self.n > 1 and (np.all(d > 0) or np.all(d < 0)) and abs(self.mean) > self.sd)

    @property
    def no_difference(self) -> bool:
        """Zero on every seed (and, where counted, the same prediction on every test point)."""
        same = self.points is None or not self.points.counted or self.points.wins + self.points.losses == 0
        return bool(np.all(self.diffs == 0) and same)

    @property
    def too_few_points(self) -> bool:
        """The seeds agree, but the test points cannot tell the difference from chance (see the module's rule)."""
        return self.seeds_agree and self.points is not None and not self.points.enough

    @property
    def clear(self) -> bool:
        """Both rules hold: the seeds agree (seeds_agree) and the test points can tell (not too_few_points)."""
        return self.seeds_agree and not self.too_few_points

    @property
    def direction(self) -> str:
        """"better" or "worse" (b against a) when the effect is clear; else "no difference",
        "too few test points to tell" or "within noise"."""
        if self.clear:
            return BETTER if self.mean > 0 else WORSE
        if self.no_difference:
            return NO_DIFFERENCE
        return TOO_FEW if self.too_few_points else WITHIN_NOISE  # seeds that disagree: noise, whatever the points

    def reading(self) -> str:
        """The verdict's clause in words (after "what: +1.2 ± 0.3 points (paired over 3 seeds)")."""
        if self.n < 2 and not self.no_difference:
            return "one seed cannot tell an effect from noise; train more seeds."
        if self.no_difference:
            same = ("the same prediction on every test point of every seed" if self.points is not None
                    and self.points.counted else "the same value on every seed")
            return f"no difference: {same}."
        if self.too_few_points:
            return f"too few test points to tell: {self.points.text(self.n)}."
        if self.clear:
            beyond = f"; {self.points.text(self.n)}" if self.points is not None else ""
            return f"the same sign on every seed and larger than the spread{beyond}."
        return "within the seed spread, no clear effect here."

    def text(self, scale: float = 100.0, digits: int = 1, unit: str = " points") -> str:
        """"+8.7 ± 0.5 points" (the spread left out for one seed)."""
        spread = f" ± {self.sd * scale:.{digits}f}" if self.n > 1 else ""
        mean = self.mean * scale
        mean = 0.0 if round(mean, digits) == 0 else mean  # "+0.0", never "-0.0"
        return f"{mean:+.{digits}f}{spread}{unit}"


def paired(a, b, n_test: int | None = None, hits_a=None, hits_b=None) -> PairedEffect:
    """The paired effect of role b over role a: a and b hold one value per seed (S,) in the same seed order.

    For accuracies, say what they were measured on, so the verdict accounts for the test set's size:
    hits_a, hits_b (S, N) whether each role's student of each seed got each of the N test points right
    (the sign test counts the points they disagree on), or just n_test = N (the most favourable split).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(f"paired values need one value per seed for both roles, got shapes {a.shape} and {b.shape}")
    points = None
    if hits_a is not None or hits_b is not None:
        ha, hb = np.asarray(hits_a, dtype=bool), np.asarray(hits_b, dtype=bool)
        if ha.shape != hb.shape or ha.ndim != 2 or ha.shape[0] != len(a):
            raise ValueError(f"per-point hits need shape (seeds, test points) for both roles, got {ha.shape} and {hb.shape}")
        points = TestPoints(ha.shape[1], int(np.sum(hb & ~ha)), int(np.sum(ha & ~hb)), True)
    elif n_test is not None:
        if int(n_test) < 1:
            raise ValueError(f"a test set has at least one point, got {n_test}")
        net = abs(int(round(float(np.sum(b - a)) * int(n_test))))  # net test points over all seeds
        points = TestPoints(int(n_test), net, 0, False)
    return PairedEffect(b - a, points)


def verdict_sentence(effect: PairedEffect, what: str) -> str:
    """One honest sentence: "what: +0.3 ± 0.6 points (paired over 3 seeds): within the seed spread, ..."."""
    head = f"{what}: {effect.text()} (paired over {count(effect.n, 'seed')})"
    return head + (", " if effect.clear else ": ") + effect.reading()


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
