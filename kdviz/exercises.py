"""Predict-then-check exercises: the learner commits to a prediction, and the answer is computed from the page's
values or the learner's own run, never typed.

An ``Exercise`` is data: its question (a template filled with the page's settings), the kind of prediction (one
of ``choices``, or a number) and its ``check``, a pure function (prediction, inputs) -> ``Check``. The inputs
are what the page computed (logits, a sweep, a run's summary), so a different run gives a different answer.
A challenge also states a measurable ``goal`` that its check tests on the run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from kdviz import softening
from kdviz.experiments.live import Summary
from kdviz.experiments.stats import PairedEffect, paired
from kdviz.misstatements import MATCHES, ROUNDING_RTOL
from kdviz.models import n_params
from kdviz.softening_curves import GradientSweep, temperature_sweep


@dataclass(frozen=True)
class Check:
    """The computed answer to one prediction."""

    answer: str  # the answer, in words (one of the choices for a choice)
    correct: bool  # whether the prediction agrees with it
    why: str  # the explanation, quoting the numbers it was computed from


@dataclass(frozen=True)
class Exercise:
    """One predict-then-check exercise (see the module's docstring)."""

    key: str  # unique across the app: widget keys derive from it
    question: str  # str.format template, filled with the page's values
    check: Callable[[Any, Any], Check]  # (prediction, inputs) -> Check
    choices: tuple[str, ...] = ()  # the choices, when they are fixed (a page may pass its own, e.g. its methods)
    number: tuple[float, float, float] | None = None  # lo, hi, step when the prediction is a number
    unit: str = ""  # what the number is in, shown after it
    goal: str = ""  # a challenge's measurable goal (str.format template); empty for a plain prediction

    def run(self, prediction, inputs) -> Check:
        """Check ``prediction`` against ``inputs``; ValueError for a prediction that is not one of the fixed choices."""
        if self.choices and prediction not in self.choices:
            raise ValueError(f"{prediction!r} is not one of the choices: {', '.join(self.choices)}")
        return self.check(prediction, inputs)


YES, NO = "yes", "no"
KD, BASELINE, SAME = "the KD student", "the baseline", "about the same (within 5 points)"
UNSEEN_CHOICES = (KD, BASELINE, SAME)
LARGER, SMALLER, AT_LIMIT = "larger", "smaller", "about the same (within 5%)"
LIMIT_CHOICES = (LARGER, SMALLER, AT_LIMIT)
BETTER, WORSE, NO_CLEAR = "better", "worse", "no clear difference"
SMOOTHING_CHOICES = (BETTER, WORSE, NO_CLEAR)
MARGIN = 0.05  # recall difference below which the two students count as the same
RECALL_GOAL = 0.8  # the Live training challenge: this recall on the unseen class
PERCENT_TOLERANCE = 10.0  # a percentage predicted within this many points counts as right
T_FACTOR = 2.0  # a temperature predicted within this factor counts as right
LIMIT_MARGIN = 0.05  # relative difference below which a gradient norm counts as at its limit


def _within(prediction: float, actual: float, tolerance: float = PERCENT_TOLERANCE) -> bool:
    return abs(float(prediction) - actual) <= tolerance


# --- Temperature ------------------------------------------------------------------------------------------------

T_RAISED = 4.0  # wrong_mass compares the share at T with the share at this many times T


def wrong_mass(prediction: float, inputs: tuple) -> Check:
    """How much probability (percent) the teacher's softmax at T gives the wrong classes together.

    inputs: (logits (N,), the true class, T). The explanation states what raising T by T_RAISED does to that share,
    computed: it grows when the true class is the teacher's first, and can shrink when it is not.
    """
    logits, label, T = inputs
    p = softening.softmax_t(logits, T).numpy()
    mass = (1.0 - float(p[label])) * 100
    up = (1.0 - float(softening.softmax_t(logits, T_RAISED * T)[label])) * 100
    if math.isclose(up, mass, rel_tol=0, abs_tol=100 * ROUNDING_RTOL):
        change = f"at T = {T_RAISED * T:g} it is still {up:.1f}%: raising T leaves it where it is"
    else:
        change = f"at T = {T_RAISED * T:g} it {'grows' if up > mass else 'shrinks'} to {up:.1f}%"
    top = np.asarray(logits, dtype=np.float64).max()
    first = "" if float(np.asarray(logits, dtype=np.float64)[label]) == top else (
        f" Class {label} is not the teacher's first choice, so a flatter softmax can give it more, not less.")
    return Check(f"{mass:.1f}%", _within(prediction, mass),
                 f"At T = {T:g} the teacher gives class {label} {p[label]:.1%}, so the other {len(p) - 1} classes "
                 f"share {mass:.1f}% (you said {float(prediction):g}%); {change}. That share is the dark knowledge a "
                 f"student can learn from.{first}")


def top_class_changes(prediction: str, logits) -> Check:
    """Whether raising T ever changes which class the teacher ranks first, checked on the page's 200 temperatures.

    inputs: the teacher's logits (N,).
    """
    sweep = temperature_sweep(logits)
    z = np.asarray(logits, dtype=np.float64)
    tops = {int(i) for i in np.flatnonzero(z == z.max())}  # tied logits share the top at every T
    firsts = {int(i) for i in sweep.probs.argmax(-1)}
    answer = NO if firsts <= tops else YES
    first = (f"classes {', '.join(map(str, sorted(tops)))} tie for first (equal logits share the top)" if len(tops) > 1
             else f"class {min(tops)} is first")
    return Check(answer, prediction == answer,
                 f"Checked at {len(sweep.T)} temperatures from {sweep.T[0]:g} to {sweep.T[-1]:g}: {first} at every "
                 "one. Dividing every logit by the same T > 0 keeps their order, so the softmax keeps its ranking; "
                 "T only changes how much the other classes get.")


# --- Gradients --------------------------------------------------------------------------------------------------

def peak_temperature(prediction: float, sweep: GradientSweep) -> Check:
    """At what T the soft gradient's norm (with T^2) peaks over the page's sweep, predicted within a factor of 2.

    When the largest norm is at an end of the sweep there is no peak inside it: the answer says so, names any
    interior local maximum (a bump the sweep's end outgrows), and a prediction within a factor of 2 of that end
    counts as right. Norms are compared beyond float64 rounding (ROUNDING_RTOL x T, the size of T (p - q)'s
    rounding); where every norm is 0 within it the student matches the teacher and there is no peak at all.
    """
    T, norms = np.asarray(sweep.T, dtype=np.float64), np.asarray(sweep.norm_scaled, dtype=np.float64)
    floor = ROUNDING_RTOL * T  # (M,) rounding of ||T (p - q)|| at each T
    if np.all(norms <= floor):
        return Check("no peak: the gradient is 0 at every T", False,
                     f"For these logits {MATCHES}, so the norm with T² is 0 at every temperature of the sweep (at most "
                     f"{norms.max():.1g}, float64 rounding), so there is no peak to predict.")
    i = int(np.argmax(norms))
    peak, norm = float(T[i]), float(norms[i])
    end = float(norms[-1])
    correct = abs(math.log(float(prediction) / peak)) <= math.log(T_FACTOR)
    if 0 < i < len(T) - 1:
        return Check(f"T ≈ {peak:.3g}", correct,
                     f"For these logits the norm with T² is largest, {norm:.3g}, at T ≈ {peak:.3g} (you said "
                     f"{float(prediction):g}; within a factor of {T_FACTOR:g} counts), and tends to {end:.3g} at "
                     f"T = {T[-1]:g}. The norm is not monotone in T here: a higher T does not always pull "
                     "harder.")
    where = "the smallest" if i == 0 else "the largest"
    tol = np.maximum(floor[1:], floor[:-1])
    steps = np.diff(norms)  # (M - 1,)
    bumps = [k for k in range(1, len(T) - 1) if steps[k - 1] > tol[k - 1] and steps[k] < -tol[k]]
    if bumps:
        k = bumps[0]
        shape = (f"it is not monotone on the way: a local maximum of {norms[k]:.3g} at T ≈ {T[k]:.3g} is "
                 f"outgrown at the sweep's {'end' if i else 'start'}")
    else:
        shape = f"no peak in between, the norm only {'grows' if i else 'shrinks'} with T over the sweep"
    return Check(f"no peak inside {T[0]:g} to {T[-1]:g}", correct,
                 f"For these logits the norm with T² is largest at {where} temperature of the sweep (T = {peak:.3g}, "
                 f"norm {norm:.3g}; you said {float(prediction):g}): {shape}.")


def versus_limit(prediction: str, inputs: tuple) -> Check:
    """Whether the soft gradient (with T^2) at the page's T is larger or smaller than its high-T limit.

    inputs: (the gradient at T (N,), the high-T limit of its norm ||z~ - v~|| / N, T). A norm within float64
    rounding of 0 (ROUNDING_RTOL x T) means the student matches the teacher: both are 0, said in words.
    """
    gradient, limit, T = inputs
    norm = float(np.linalg.norm(gradient))
    if norm <= ROUNDING_RTOL * T and limit <= ROUNDING_RTOL * max(T, 1.0):
        return Check(AT_LIMIT, prediction == AT_LIMIT,
                     f"For these logits {MATCHES}, so the gradient at T = {T:g} and its high-T limit are both 0 "
                     "(float64 rounding aside).")
    rel = (norm - limit) / limit if limit > 0 else math.inf
    answer = AT_LIMIT if abs(rel) <= LIMIT_MARGIN else LARGER if rel > 0 else SMALLER
    return Check(answer, prediction == answer,
                 f"At T = {T:g} the gradient norm with T² is {norm:.3g}; at very high T it tends to {limit:.3g} "
                 f"({rel:+.0%}). Past the logits' spread KD matches centred logits and the gradient settles at "
                 "that limit; below it the norm can be either side of it.")


# --- Live training ----------------------------------------------------------------------------------------------

def unseen_class(prediction: str, s: Summary) -> Check:
    """Which student recognised the class it never saw better, from a Live training run's summary.

    Needs a run with an omitted class (s.kd_recall is not None).
    """
    if s.kd_recall is None:
        raise ValueError("this run omitted no class: there is no unseen class to ask about")
    diff = s.kd_recall - s.base_recall
    answer = KD if diff > MARGIN else BASELINE if diff < -MARGIN else SAME
    numbers = (f"In your run the KD students' recall on the unseen class is {s.kd_recall:.0%}, the baselines' "
               f"{s.base_recall:.0%} (mean over {len(s.kd_acc)} seeds).")
    why = {KD: " The baseline never saw a label of that class, so it cannot predict it; the teacher's soft "
               "targets gave the KD student a small probability for it wherever the teacher saw it.",
           BASELINE: " Here the soft targets did not carry the class: try a higher T or a lower alpha.",
           SAME: " Here the soft targets carried too little of the class to matter: try a higher T, a lower alpha "
                 "or more steps."}[answer]
    return Check(answer, prediction == answer, numbers + why)


def recall_challenge(prediction: str, inputs: tuple) -> Check:
    """The challenge: did the run's KD students reach RECALL_GOAL on the unseen class, and with how small a student?

    inputs: (the run's Summary, the student's hidden widths, the number of classes); the inputs are 2-D points.
    """
    s, hidden, classes = inputs
    sizes = (2, *hidden, classes)
    params = n_params(sizes)
    if s.kd_recall is None:
        raise ValueError("this run omitted no class: the challenge needs a class the students never see")
    reached = s.kd_recall >= RECALL_GOAL
    answer = YES if reached else NO
    score = (f"Goal reached with {params:,} parameters: that is your score, shrink the student and try to beat it."
             if reached else "Not yet: change the student's widths, T, alpha or the steps and run again.")
    return Check(answer, prediction == answer,
                 f"Your KD students ({'-'.join(map(str, sizes))}, {params:,} parameters) recognise "
                 f"{s.kd_recall:.0%} of the unseen class (mean over "
                 f"{len(s.kd_acc)} seeds; the goal is {RECALL_GOAL:.0%}). {score}")


# --- Dark knowledge ---------------------------------------------------------------------------------------------

def omitted_recall(prediction: float, inputs: tuple) -> Check:
    """What share (percent) of the digit they never saw the distilled students recognise.

    inputs: (recall per seed (S,), the digit, its number of test images).
    """
    recall, digit, n = inputs
    got = float(np.mean(recall)) * 100
    return Check(f"{got:.0f}%", _within(prediction, got),
                 f"Your distilled students recognise {got:.0f}% of the {n} test {digit}s (mean over {len(recall)} "
                 f"seeds; you said {float(prediction):g}%) without a single {digit} in their training set: all they "
                 f"know of it is the probability the teacher gave {digit} on other digits' images.")


def smoothed_teacher(prediction: str, effect: PairedEffect) -> Check:
    """Whether a label-smoothed teacher's students recognise the unseen digit better or worse than the normal
    teacher's: ``effect`` is their paired recall difference (smoothed - normal), per seed."""
    answer = {"better": BETTER, "worse": WORSE}.get(effect.direction, NO_CLEAR)
    return Check(answer, prediction == answer,
                 f"Recall of the unseen digit, smoothed teacher's students minus the normal teacher's: {effect.text()} "
                 f"(paired over {effect.n} seeds; clear only when every seed agrees and the mean beats the spread). "
                 "Smoothing flattens the wrong digits' probabilities, the part of the soft targets that says which "
                 "digits look alike.")


# --- Compare paradigms ------------------------------------------------------------------------------------------

def best_paradigm(prediction: str, rows: list) -> Check:
    """Which method beats the baseline by the most (mean paired gain) in a Compare run; rows: compare.Row list."""
    methods = [r for r in rows if r.method != "baseline" and not r.status]
    if not methods:
        raise ValueError("this run trained no method besides the baseline")
    best = max(methods, key=lambda r: float(np.mean(r.gain)))
    effect = best.effect
    clear = ("larger than its seed spread" if effect.clear else
             f"but not clear, so this run cannot tell it from the others: {effect.reading().rstrip('.')}")
    return Check(best.name, prediction == best.name,
                 f"{best.name} has the largest mean gain over the baseline here, {effect.text()} ({clear}). "
                 "The ranking "
                 "depends on the data, the unseen class and T: change them and it can change.")


def kd_loses(prediction: str, rows: list) -> Check:
    """The challenge: does KD lose clearly to the baseline (every seed worse, beyond the spread) in this run?"""
    kd = next((r for r in rows if r.method == "kd"), None)
    if kd is None:
        raise ValueError("this run has no KD students: add kd to the methods")
    effect = kd.effect
    answer = YES if effect.direction == "worse" else NO
    found = ("Found: at these settings KD is clearly worse than the baseline." if answer == YES else
             "Not here: change T and alpha (and the unseen class) and run again.")
    return Check(answer, prediction == answer,
                 f"KD's gain over the baseline in your run: {effect.text()} (paired over {effect.n} seeds), "
                 f"so {effect.direction}. {found}")


# --- Distilling a language model -------------------------------------------------------------------------------

def best_language_method(prediction: str, rows: list) -> Check:
    """Which distillation method saves the most held-out bits per character over labels only; rows: the
    language experiment's Row list (labels only first, its effect None)."""
    from kdviz.experiments.language import NAMES

    methods = [r for r in rows if r.effect is not None]
    if not methods:
        raise ValueError("this run trained no method besides labels only")
    best = max(methods, key=lambda r: r.effect.mean)
    effect = best.effect
    clear = ("larger than its seed spread" if effect.clear else
             f"but not clear, so this run cannot tell it from the others: {effect.reading().rstrip('.')}")
    return Check(NAMES[best.method], prediction == NAMES[best.method],
                 f"{NAMES[best.method]} saves the most, {effect.text(1.0, 3, ' bits per character')} over labels only "
                 f"({clear}). A method that copies the teacher's whole distribution is not always the one whose "
                 "own text reads best: compare the samples.")


EXERCISES = {e.key: e for e in (
    Exercise("exercise.temp_mass", "At T = {T:g}, how much probability (in %) does the teacher give the wrong "
             "classes together?", wrong_mass, number=(0.0, 100.0, 1.0), unit="%"),
    Exercise("exercise.temp_rank", "Does raising T ever change which class the teacher ranks first?",
             top_class_changes, choices=(YES, NO)),
    Exercise("exercise.grad_peak", "At what T does the gradient norm (with T²) peak for these logits?",
             peak_temperature, number=(0.1, 10_000.0, 0.5), unit="(T)"),
    Exercise("exercise.grad_limit", "At T = {T:g}, is the gradient (with T²) larger or smaller than where it ends "
             "at very high T?", versus_limit, choices=LIMIT_CHOICES),
    Exercise("exercise.unseen", "Which student will recognise class {omit}, which no student ever sees, better?",
             unseen_class, choices=UNSEEN_CHOICES),
    Exercise("exercise.live_goal", "Will your KD students reach the goal with the settings above?", recall_challenge,
             choices=(YES, NO), goal=f"reach at least {RECALL_GOAL:.0%} recall on the unseen class {{omit}} with the "
                                      "smallest student you can (fewest parameters)"),
    Exercise("exercise.dark_recall", "How many of the test {omit}s (in %) will the distilled students recognise, "
             "never having seen one?", omitted_recall, number=(0.0, 100.0, 1.0), unit="%"),
    Exercise("exercise.dark_smoothed", "Will the label-smoothed teacher's students recognise the unseen {omit} "
             "better or worse than the normal teacher's?", smoothed_teacher, choices=SMOOTHING_CHOICES),
    Exercise("exercise.compare_best", "Which method will beat the baseline by the most here?", best_paradigm),
    Exercise("exercise.compare_loses", "Will KD lose to the baseline at your T and alpha?", kd_loses,
             choices=(YES, NO), goal="find a T and alpha where KD is clearly worse than the baseline (every seed, "
                                     "beyond the spread)"),
    Exercise("exercise.language_best", "Which method will save the most held-out bits per character over labels "
             "only?", best_language_method),
)}
