"""Small rules with one source each: the sweep's methods come from the paradigm registry, one check for "a finite
number in range" serves every caller, and a run's preemption hook is what its caller passes."""
import argparse
import math

import pytest
import torch

from kdviz import cli, models, softening
from kdviz.board.rules import BoardError, clean_numbers
from kdviz.checks import ECHO, NotANumber, OutOfRange, finite_number, finite_numbers
from kdviz.config import parse_floats
from kdviz.data import make_dataset, toy
from kdviz.experiments import grid
from kdviz.experiments.dark_knowledge import sweep as dk_sweep
from kdviz.experiments.task import job, run_experiment
from kdviz.paradigms import NOTES
from kdviz.paradigms.shapes import member_param
from kdviz.train import MemberConfig, PopulationRun
from kdviz.train import run as run_module
from kdviz.train.methods import lookup


# ----------------------------------------------------------------------------- the sweep's methods
def sweep_args(*flags: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    cli.sweep_arguments(p)
    return p.parse_args(list(flags))


def test_every_sweep_method_is_a_registered_engine_method_under_its_registered_name():
    assert grid.GRID_METHODS and all(lookup(m).name == m for m in grid.GRID_METHODS)
    assert set(grid.GRID_METHODS) | set(grid.ELSEWHERE) == set(NOTES)


def test_the_sweep_accepts_ema_by_its_registered_name():
    assert cli.grid_of(sweep_args("--method", "ema, kd")).method == ("ema", "kd")


def test_the_sweep_refuses_mean_teacher_in_one_line_naming_ema(tmp_path, capsys):
    assert cli.main(["sweep", "--method", "mean_teacher", "--out", str(tmp_path / "s.csv")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert "'mean_teacher' is registered as 'ema'" in err
    assert not (tmp_path / "s.csv").exists()


# ----------------------------------------------------------------------------- a finite number in range
@pytest.mark.parametrize("value, kwargs, error, text", [
    ("abc", {}, NotANumber, "x must be a number, got 'abc'"),
    (None, {"low": 0}, NotANumber, "x must be a number, got None"),
    (float("nan"), {}, OutOfRange, "x must be a finite number, got nan"),
    (-0.5, {"low": 0}, OutOfRange, "x must be a finite number >= 0, got -0.5"),
    (1.0, {"low": 0, "high": 1, "open_high": True}, OutOfRange, "x must be a finite number in [0, 1), got 1.0"),
    (0, {"low": 0, "open_low": True}, OutOfRange, "x must be a positive number, got 0"),
    (10 ** 400, {"high": 5}, OutOfRange, "x must be a finite number <= 5, got 1000"),
], ids=["text", "None", "nan", "below", "open top", "not positive", "beyond a float"])
def test_one_check_says_what_the_number_must_be(value, kwargs, error, text):
    with pytest.raises(error) as caught:
        finite_number(value, "x", **kwargs)
    assert str(caught.value).startswith(text)
    assert isinstance(caught.value, ValueError)


def test_a_number_in_range_comes_back_as_a_float_ends_included():
    assert finite_number("0.25", "x", 0, 1) == 0.25 and finite_number(1, "x", 0, 1) == 1.0
    assert finite_number(0, "x", 0, 1, open_high=True) == 0.0


def test_a_long_value_is_echoed_cut_to_length():
    with pytest.raises(NotANumber) as caught:
        toy.xor(n=50, noise="z" * 1000)
    assert len(str(caught.value)) < len("noise must be a number, got ") + ECHO + 2


def test_every_tensor_value_is_checked_and_the_first_bad_one_named():
    t = torch.tensor([1.0, 0.0, 2.0])
    assert finite_numbers(t, "T", 0, 3) is t
    with pytest.raises(OutOfRange, match=r"T must hold finite numbers in \[0.5, 3\], got 0"):
        finite_numbers(t, "T", 0.5, 3)


def test_each_caller_names_its_quantity_and_keeps_its_own_sentences():
    with pytest.raises(ValueError, match="noise must be a finite number >= 0, got -0.1"):
        toy.xor(n=50, noise=-0.1)
    with pytest.raises(ValueError, match=r"dropout must be a finite number in \[0, 1\), got 1"):
        models.check_dropout(1)
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="temperature must be a positive number"):
            softening.check_temperature(bad)
    with pytest.raises(ValueError, match=r"temperature must be a finite number in \[0.001, 100000\]"):
        softening.check_temperature(1e-5)
    with pytest.raises(ValueError, match=r"'nan' is not a finite number \(no nan or inf\)"):
        parse_floats("1, nan")
    with pytest.raises(ValueError, match="'x' is not a number"):
        parse_floats("1, x")
    with pytest.raises(ValueError, match=r"weight must be a finite number >= 0, got -1"):
        member_param(-1, "weight", ())
    with pytest.raises(BoardError, match="The value of acc is not finite."):
        clean_numbers({"acc": math.inf})
    with pytest.raises(BoardError, match="The value of acc is not a number."):
        clean_numbers({"acc": "high"})


def test_a_number_too_big_for_a_float_is_refused_as_out_of_range_not_a_crash():
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        toy.xor(n=50, noise=10 ** 400)
    with pytest.raises(BoardError, match="not finite"):
        clean_numbers({"acc": 10 ** 400})


# ----------------------------------------------------------------------------- the run's preemption hook
def tiny_run(**kwargs) -> PopulationRun:
    ds = make_dataset("moons", n=60, noise=0.1, seed=0)
    return PopulationRun(ds, None, [4], [MemberConfig("baseline", seed=s) for s in range(2)], record_every=5, **kwargs)


def test_a_run_calls_the_hook_it_was_given_once_before_each_step():
    seen = []

    def hook(run):
        seen.append((run, run.t))  # the run and the steps it had taken when asked

    run = tiny_run(hook=hook).step(3)
    assert [r for r, _ in seen] == [run] * 3 and [t for _, t in seen] == [0, 1, 2]


def test_a_run_without_a_hook_consults_no_global():
    assert not hasattr(run_module, "STEP_HOOK")
    other = []
    tiny_run(hook=other.append).step(1)  # a run with a hook in the same thread...
    tiny_run().step(2)  # ...leaves nothing behind for a run without one
    assert len(other) == 1 and tiny_run().hook is None


def test_a_job_passes_its_tick_to_every_training_run_of_its_experiment():
    ticks: dict[int, int] = {}

    class Control:
        def proceed(self):
            return True

        def tick(self, run=None):
            assert isinstance(run, PopulationRun)
            ticks[id(run)] = ticks.get(id(run), 0) + 1

    cfg = dk_sweep.SweepConfig(temperatures=(3.0,), alphas=(0.3,), seeds=1, steps=7)  # not in the result cache
    _, payload = job("dark_sweep", cfg)
    run_experiment(payload, lambda snap, progress: None, Control())
    assert sum(1 for n in ticks.values() if n == cfg.steps) >= len(dk_sweep.STUDENTS)  # each student run, every step
