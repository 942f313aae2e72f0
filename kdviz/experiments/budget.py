"""What a run costs before it starts: estimated seconds of one worker, from parameters x batch x steps x members.

A training loop of ``steps`` optimiser steps over ``members`` stacked networks of ``params`` weights each,
on batches of ``batch`` examples, costs about ``steps * (groups * STEP_SECONDS + params * batch * members *
UNIT_SECONDS)`` on one worker core: a fixed Python cost per step and per group of members that take
their own loss path (each method of a mixed population: Compare's seven methods pay it seven times),
plus the arithmetic. Both constants come from bench/bench_budget.py (least relative error over Live
runs of several sizes, one torch thread; ``--experiments`` checks the other experiments' estimates).
Each experiment registers its loops (teachers, students, evaluation grids) with ``@loops_of(name)``, here
or in its own module (LOOPS: one entry per experiment of kdviz.experiments.EXPERIMENTS); estimate() sums them.
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kdviz.config import parse_widths
from kdviz.data import names, spec
from kdviz.train.conv_net import ConvNet
from kdviz.train.conv_teacher import ConvTeacherConfig
from kdviz.experiments.dark_knowledge.page import PARTS, part_run

# Calibrated by bench/bench_budget.py (2 shared cores, one torch thread): Live runs of 1.6 s to 66 s,
# fitted within 35% (defaults: 2.8 s measured, 2.6 s fitted).
STEP_SECONDS = 1.18e-3  # fixed cost of one optimiser step of a stacked population
UNIT_SECONDS = 1.87e-10  # per parameter x example x member of one step (forward, backward, Adam)
MAX_RUN_SECONDS = 300.0  # a run longer than this (alone on one worker) is refused: KDVIZ_MAX_RUN_SECONDS
TEACHER_STEPS = 1000  # every page's teachers train this long


@dataclass(frozen=True)
class Loop:
    """One training (or evaluation) loop: weights per member, examples per step, steps, members."""

    params: int
    batch: int
    steps: int
    members: int = 1
    groups: int = 1  # members' loss paths (methods) computed one after another in each step

    def seconds(self) -> float:
        """Estimated seconds of this loop on one worker."""
        return self.steps * (self.groups * STEP_SECONDS + self.params * self.batch * self.members * UNIT_SECONDS)


def mlp_params(d_in: int, hidden: Iterable[int], d_out: int) -> int:
    """Weights and biases of an MLP d_in -> hidden... -> d_out."""
    sizes = [d_in, *hidden, d_out]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def widths(text_or_tuple) -> tuple[int, ...]:
    """Hidden widths from a setting ("128, 128") or a tuple."""
    return tuple(text_or_tuple) if isinstance(text_or_tuple, (tuple, list)) else parse_widths(text_or_tuple)


LOOPS: dict[str, Callable] = {}  # experiment name -> its loops: settings -> [Loop] (filled by loops_of)


def loops_of(name: str) -> Callable:
    """Decorator registering ``fn(cfg) -> [Loop]`` as the cost of experiment ``name`` (in LOOPS)."""

    def register(fn: Callable) -> Callable:
        if name in LOOPS:
            raise ValueError(f"experiment {name!r} has its loops registered twice")
        LOOPS[name] = fn
        return fn

    return register


def evaluation(params: int, points: int, snapshots: int, members: int) -> Loop:
    """Forward passes over ``points`` inputs at each of ``snapshots`` redraws (about a third of a training step)."""
    return Loop(params, max(1, points // 3), snapshots, members)


# ----------------------------------------------------------------------------- the loops of each experiment
TOY_IN, TOY_OUT = 2, 4  # the plane's datasets: 2 inputs, up to 4 classes (blobs)
DIGITS_IN, DIGITS_OUT = 64, 10  # 8x8 digits
MARKET_IN, MARKET_OUT = 16, 2  # up to ~16 features, up or down
SNAPSHOTS = 40  # redraws per run (every page's chunking)
IMAGE_SIDE, IMAGE_OUT = 28, 10  # Fashion-MNIST and MNIST: 28x28 pixels, 10 classes
IMAGE_POINTS = 12_000  # Compare's image runs: ~1,800 training and 10,000 test images
CONV_SLOWDOWN = 2.6  # a ConvNet step's cost per multiply-add in units of an MLP's per weight (16/32 channels)
STUDENT = (32,)  # the default student of the pages without a width setting
BATCH = 64


@loops_of("live")
def _live(cfg) -> list[Loop]:
    teacher = mlp_params(TOY_IN, widths(cfg.teacher), TOY_OUT)
    student = mlp_params(TOY_IN, widths(cfg.student), TOY_OUT)
    members = 2 * cfg.seeds  # a KD student and a baseline per seed
    return [Loop(teacher, BATCH, TEACHER_STEPS), Loop(student, cfg.batch, cfg.steps, members),
            evaluation(student, 60 * 60 + cfg.n, SNAPSHOTS, members)]


def conv_teacher() -> list[Loop]:
    """The convolutional teacher's training and its passes over the training and test images (Compare's teacher
    "conv"): a ConvNet's multiply-adds per image stand for an MLP's weights, times CONV_SLOWDOWN."""
    net = ConvNet(IMAGE_SIDE, IMAGE_OUT, ConvTeacherConfig().channels, ConvTeacherConfig().hidden)
    work = round(net.macs() * CONV_SLOWDOWN)
    return [Loop(work, BATCH, TEACHER_STEPS), evaluation(work, IMAGE_POINTS, 2, 1)]


@loops_of("compare")
def _compare(cfg) -> list[Loop]:
    image = spec(cfg.dataset).kind == "image" if cfg.dataset in names() else False
    d_in, d_out = (IMAGE_SIDE ** 2, IMAGE_OUT) if image else (TOY_IN, TOY_OUT)
    student = mlp_params(d_in, STUDENT, d_out)
    methods = len([m for m in str(cfg.methods).split(",") if m.strip()]) + 1  # and the baseline
    teachers = conv_teacher() if getattr(cfg, "teacher", "mlp") == "conv" else []
    return [*teachers, Loop(mlp_params(d_in, (256, 256) if image else (128, 128), d_out), BATCH, TEACHER_STEPS, 3),
            Loop(student, BATCH, cfg.steps, methods * cfg.seeds, methods),
            evaluation(student, IMAGE_POINTS if image else 3600, SNAPSHOTS, methods)]


@loops_of("beyond")
def _beyond(cfg) -> list[Loop]:
    student = mlp_params(TOY_IN, STUDENT, TOY_OUT)
    return [Loop(mlp_params(TOY_IN, (128, 128), TOY_OUT), BATCH, TEACHER_STEPS, 3),
            Loop(student, BATCH, cfg.steps, (4 + cfg.generations) * cfg.seeds)]


@loops_of("dark_teachers")
def _dark_teachers(cfg) -> list[Loop]:
    return [Loop(mlp_params(DIGITS_IN, (256, 256), DIGITS_OUT), BATCH, TEACHER_STEPS, 2)]


@loops_of("dark_omitted")
def _dark_omitted(cfg) -> list[Loop]:
    return [Loop(mlp_params(DIGITS_IN, STUDENT, DIGITS_OUT), BATCH, cfg.steps, 2 * cfg.seeds)]


@loops_of("dark_sweep")
def _dark_sweep(cfg) -> list[Loop]:
    cells = len(cfg.temperatures) * len(cfg.alphas) * int(cfg.seeds)
    return [Loop(mlp_params(DIGITS_IN, h, DIGITS_OUT), BATCH, cfg.steps, cells) for h in ((32,), (8,))]


@loops_of("dark_knowledge")
def _dark_knowledge(cfg) -> list[Loop]:
    """The whole Dark knowledge page (the command line's dark-knowledge): each of its tabs' runs in turn."""
    return [loop for name in PARTS for exp, sub in [part_run(cfg, name)] for loop in LOOPS[exp.name](sub)]


@loops_of("market")
def _market(cfg) -> list[Loop]:
    student = mlp_params(MARKET_IN, widths(cfg.student), MARKET_OUT)
    return [Loop(mlp_params(MARKET_IN, widths(cfg.teacher), MARKET_OUT), BATCH, TEACHER_STEPS, cfg.members),
            Loop(student, BATCH, cfg.steps, 2 * cfg.seeds)]


@loops_of("market_transfer")
def _market_transfer(cfg) -> list[Loop]:
    months = len([m for m in str(cfg.months).split(",") if m.strip()])
    student = mlp_params(MARKET_IN, widths(cfg.student), MARKET_OUT)
    return [Loop(mlp_params(MARKET_IN, (64, 64), MARKET_OUT), BATCH, TEACHER_STEPS, 5),
            Loop(student, BATCH, cfg.steps, 2 * cfg.seeds * months)]


CLAIM_GROUPS = {"temperature": 15, "alpha": 7, "hinton": 2, "smoothness": 2, "gradient": 10, "fidelity": 6}  # per seed
CLAIM_PATHS = {"temperature": 3, "hinton": 2, "smoothness": 2}  # populations run in turn, or methods mixed in one
WHICH_GROUPS = {"capacity": 5, "assistant": 3, "early_stop": 6}  # students per seed, the baseline included


@loops_of("which_teacher")
def _which_teacher(cfg) -> list[Loop]:
    student = mlp_params(DIGITS_IN, (cfg.student,), DIGITS_OUT)
    teachers = [Loop(mlp_params(DIGITS_IN, (256, 256), DIGITS_OUT), BATCH, TEACHER_STEPS, 4)]
    if cfg.part == "early_stop":
        teachers.append(Loop(mlp_params(DIGITS_IN, (64,), DIGITS_OUT), BATCH, cfg.teacher_steps))
    return [*teachers, Loop(student, BATCH, cfg.steps, WHICH_GROUPS.get(cfg.part, 6) * cfg.seeds)]


@loops_of("claims")
def _claims(cfg) -> list[Loop]:
    student = mlp_params(DIGITS_IN, (max(cfg.student, 128),) if cfg.claim == "temperature" else (cfg.student,),
                         DIGITS_OUT)
    return [Loop(mlp_params(DIGITS_IN, (256, 256), DIGITS_OUT), BATCH, TEACHER_STEPS),
            Loop(student, BATCH, cfg.steps, CLAIM_GROUPS.get(cfg.claim, 15) * cfg.seeds, CLAIM_PATHS.get(cfg.claim, 1))]


def estimate(name: str, cfg) -> float | None:
    """Estimated seconds of experiment ``name`` with settings ``cfg`` alone on one worker (None if unknown)."""
    loops = LOOPS.get(name)
    return None if loops is None else sum(loop.seconds() for loop in loops(cfg))


def max_run_seconds() -> float:
    """The longest run a server accepts: KDVIZ_MAX_RUN_SECONDS, else MAX_RUN_SECONDS."""
    raw = os.environ.get("KDVIZ_MAX_RUN_SECONDS", "").strip()
    try:
        value = float(raw) if raw else MAX_RUN_SECONDS
    except ValueError:
        raise ValueError(f"KDVIZ_MAX_RUN_SECONDS must be a number of seconds, got {raw!r}") from None
    return value if value > 0 else MAX_RUN_SECONDS


def duration(seconds: float) -> str:
    """'about 40 seconds', 'about 3 minutes', 'about 2 hours'."""
    if seconds < 90:
        return f"about {max(5, 5 * round(seconds / 5))} seconds"
    if seconds < 90 * 60:
        return f"about {math.ceil(seconds / 60)} minutes"
    return f"about {seconds / 3600:.1f} hours"


def refusal(seconds: float | None, limit: float | None = None) -> str | None:
    """The message refusing a run of ``seconds`` when it exceeds ``limit`` (default max_run_seconds()), else None."""
    limit = max_run_seconds() if limit is None else limit
    if seconds is None or seconds <= limit:
        return None
    return (f"This run would take {duration(seconds)} on this server, more than the {duration(limit)[6:]} one run "
            "may use here; lower Steps, Seeds or the widths, or run kdviz on your own machine.")
