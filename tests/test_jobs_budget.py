"""The queue's cost estimates follow the work: a mixed population pays the fixed step cost once per
method, so Compare's estimate grows with its methods, and its largest run is no longer taken for a
small one (bench/bench_budget.py --experiments measures the estimates against real runs)."""
from __future__ import annotations

import pytest

from kdviz.experiments import budget, experiment
from kdviz.paradigms import PARADIGMS


def compare(**settings) -> float:
    """Estimated seconds of a Compare run with ``settings``."""
    return budget.estimate("compare", experiment("compare").config(**settings))


def test_compares_estimate_pays_each_methods_step_and_grows_with_methods_seeds_and_steps():
    one = compare(methods="kd", seeds=2, steps=1000)  # kd and the baseline
    every = compare(methods=",".join(PARADIGMS), seeds=2, steps=1000)  # ten methods and the baseline
    # nine more loss paths, each paying the fixed cost of every one of the 1000 steps, and more members
    assert every - one >= 9 * 1000 * budget.STEP_SECONDS
    assert compare(methods="kd", seeds=4, steps=1000) > one
    students = compare(methods="kd", seeds=2, steps=2000) - one  # the teachers' part does not double
    assert students == pytest.approx(one - compare(methods="kd", seeds=2, steps=0), rel=1e-9)


def test_the_largest_compare_run_is_not_taken_for_a_small_one():
    from ui.jobs import SMALL_RUN_SECONDS

    largest = compare(methods=",".join(PARADIGMS), seeds=5, steps=3000)
    assert largest > SMALL_RUN_SECONDS  # it took about 25 s on the project's 2-core machine

