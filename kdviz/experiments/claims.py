"""Claims on trial: the textbook's and the papers' statements about KD, each tested by a population run.

Each claim is one function of the settings that trains its population(s) and returns a Finding:
per-seed figures, verdicts ("confirmed here" / "not seen here" / "reversed here", from the paired
effect over seeds) and sentences computed from the run. Students of one seed share initial
weights and batch order across every setting they are compared on.
- fidelity: Stanton et al. 2021, students disagree with teachers they could match; more transfer
  data (here: noisy copies of the inputs) raises agreement;
- hinton: Hinton et al. 2015's three-way result (teacher, student alone, student distilled);
- temperature: a temperature table repeated in KD tutorials, swept against student size and teacher confidence;
- alpha: "typical alpha in [0.1, 0.5]";
- smoothness: "KD converges smoothly, with lower loss variance than standard training";
- gradient: "higher temperature increases gradient magnitude during early training", with and without T^2.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from kdviz.config import setting
from kdviz.device import resolve_device
from kdviz.experiments.distil import StudentSettings, build_data, seeds_of, teacher_config
from kdviz.experiments import findings, learned
from kdviz.experiments.findings import TUTORIAL_ADVICE, Finding, Panel, Verdict, timed
from kdviz.experiments.protocol import Experiment, Phase
from kdviz.experiments.stats import mean_std, paired
from kdviz.train import MemberConfig, PopulationRun, TeacherOutputs, teacher_outputs, train_teacher

CLAIMS = ("fidelity", "hinton", "temperature", "alpha", "smoothness", "gradient")
TEACHER = (256, 256)  # the big teacher of every claim but fidelity
HINTON_T = 20.0  # the temperature of Hinton et al.'s MNIST result
TEMPERATURES = (1.0, 2.0, 4.0, 8.0, 20.0)  # the temperature table's values
SHARPEN = 4.0  # a high-confidence teacher: the same teacher's logits times this (same predictions)
SIMILAR = (128, 128)  # a student of similar complexity to TEACHER
ALPHAS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)
GRAD_TEMPERATURES = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
EARLY_STEPS = 10  # "early training" for the gradient claim
SMOOTH_STEPS, BURN_IN = 400, 50  # the smoothness claim's steps recorded one by one, and the steps skipped
NOISE_SD, NOISY_COPIES, SMALL_SHARE = 0.5, 2, 0.25  # fidelity's transfer sets
FIDELITY_ALPHAS = (0.0, 0.5)  # fidelity's alpha values, swept with TEMPERATURES


@dataclass
class ClaimsConfig(StudentSettings):
    """What one tab of the Claims on trial page trains (round-tripped through the URL)."""

    claim: str = setting("hinton", "Claim", choices=CLAIMS)


def _setup(cfg, dev, hidden=TEACHER, hook=None):
    """The claim's data and its teacher (trained with ``hook``, PopulationRun's step hook)."""
    ds = build_data(cfg.dataset, cfg.seed)
    return ds, train_teacher(ds, teacher_config(cfg.dataset, hidden, cfg.seed), dev, hook)


def _sweep(ds, teacher, hidden, seeds, dev, steps, T=(4.0,), alpha=(0.1,), record_every=None,
           hook=None) -> PopulationRun:
    """KD students (one per seed and (T, alpha) pair, T-major then alpha then seed) trained together (``hook``:
    the run's step hook)."""
    members = [MemberConfig("kd", T=t, alpha=a, seed=sd) for t in T for a in alpha for sd in seeds]
    return PopulationRun(ds, teacher, hidden, members, device=dev, record_every=record_every or steps,
                         hook=hook).step(steps)


def _test_acc(run: PopulationRun, s: int) -> np.ndarray:
    """(settings, S) test accuracy of a run whose members are grouped by setting, seeds innermost."""
    return run.evaluate("test")["accuracy"].reshape(-1, s)


def hinton(cfg: ClaimsConfig, dev, hook=None) -> Iterator:
    """Teacher, the student alone (no regularisation, trained until it overfits) and the same student distilled."""
    yield Phase("teacher", 0.0, "Training the big teacher…")
    ds, teacher = _setup(cfg, dev, hook=hook)
    seeds, n = seeds_of(cfg), len(ds.y_test)
    yield Phase("students", 0.4, "Training the students alone and distilled…")
    run = PopulationRun(ds, teacher, (cfg.student,), [MemberConfig(m, T=HINTON_T, alpha=cfg.alpha, seed=sd)
                                                      for m in ("baseline", "kd") for sd in seeds],
                        device=dev, record_every=cfg.steps, hook=hook).step(cfg.steps)
    errors = np.rint((1 - _test_acc(run, len(seeds))) * n)  # (2, S)
    t_err = round((1 - teacher.info["test_acc"]) * n)
    labels = ["teacher", "student alone", "student distilled"]
    series = {"test errors": np.column_stack([np.full(len(seeds), t_err), errors[0], errors[1]])}
    verdicts = [Verdict("Distillation recovers most of the teacher's advantage: 146 errors alone, 74 distilled.",
                        "Hinton et al. 2015", "MNIST (10,000 test digits): teacher 67 errors, 800-800 student alone "
                        "146, distilled at T = 20: 74.", f"Errors of the distilled student against the student alone "
                        f"(T = {HINTON_T:g})", paired(errors[0], errors[1]), -1, scale=1.0, unit=" errors")]
    notes = [f"On {n} test points: teacher {t_err} errors, the {cfg.student}-unit student alone "
             f"{mean_std(errors[0])}, distilled {mean_std(errors[1])} (over {len(seeds)} seeds, {cfg.steps} steps, "
             "no regularisation)."]
    yield Finding("hinton", [Panel("Test errors", "model", "errors on the test set", labels, series)], verdicts, notes,
                  failed=learned.run_named(run))


def temperature(cfg: ClaimsConfig, dev, hook=None) -> Iterator:
    """Accuracy against T for a small student, a small student of a sharpened teacher, and a similar-size student."""
    yield Phase("teacher", 0.0, "Training the big teacher…")
    ds, teacher = _setup(cfg, dev, hook=hook)
    seeds, s = seeds_of(cfg), cfg.seeds
    out = teacher_outputs(teacher, ds, dev, taps=False)
    sharp = TeacherOutputs(out.train * SHARPEN, out.test * SHARPEN, None, None)
    conditions = {f"small student ({cfg.student}), teacher as trained": (out, (cfg.student,)),
                  f"small student, high-confidence teacher (logits x{SHARPEN:g})": (sharp, (cfg.student,)),
                  f"similar-size student ({'x'.join(map(str, SIMILAR))})": (out, SIMILAR)}
    acc, failed = {}, []
    for i, (name, (t, hidden)) in enumerate(conditions.items()):
        yield Phase("students", 0.2 + 0.8 * i / len(conditions), f"Sweeping T: {name}…")
        sweep = _sweep(ds, t, hidden, seeds, dev, cfg.steps, TEMPERATURES, (cfg.alpha,), hook=hook)
        acc[name], failed = _test_acc(sweep, s), failed + learned.run_named(sweep)  # (nT, S)
    small, sharpened, similar = acc.values()
    at = {t: i for i, t in enumerate(TEMPERATURES)}
    verdicts = [
        Verdict("T = 1 for a high-confidence teacher.", TUTORIAL_ADVICE, "A table without an experiment.",
                "High-confidence teacher: T = 1 against T = 4", paired(sharpened[at[4.0]], sharpened[at[1.0]]), +1),
        Verdict("T = 8-10 for models of similar complexity.", TUTORIAL_ADVICE, "A table without an experiment.",
                "Similar-size student: T = 8 against T = 4", paired(similar[at[4.0]], similar[at[8.0]]), +1),
        Verdict("T = 20+ for very different models.", TUTORIAL_ADVICE, "A table without an experiment.",
                "Small student: T = 20 against T = 4", paired(small[at[4.0]], small[at[20.0]]), +1)]
    notes = [f"Best T for the {name}: {TEMPERATURES[int(np.argmax(a.mean(1)))]:g} "
             f"({mean_std(a[int(np.argmax(a.mean(1)))], 100)}%)." for name, a in acc.items()]
    yield Finding("temperature", [Panel("Test accuracy against T", "T", "test accuracy", list(TEMPERATURES),
                                        {n: a.T for n, a in acc.items()}, log_x=True, percent=True)], verdicts, notes,
                  failed=failed)


def alpha(cfg: ClaimsConfig, dev, hook=None) -> Iterator:
    """Accuracy against alpha at the page's T; the best alpha inside [0.1, 0.5] against the best outside."""
    yield Phase("teacher", 0.0, "Training the big teacher…")
    ds, teacher = _setup(cfg, dev, hook=hook)
    yield Phase("students", 0.4, "Sweeping alpha…")
    sweep = _sweep(ds, teacher, (cfg.student,), seeds_of(cfg), dev, cfg.steps, (cfg.T,), ALPHAS, hook=hook)
    acc = _test_acc(sweep, cfg.seeds)
    inside = [i for i, a in enumerate(ALPHAS) if 0.1 <= a <= 0.5]
    outside = [i for i in range(len(ALPHAS)) if i not in inside]
    best_in = max(inside, key=lambda i: acc[i].mean())
    best_out = max(outside, key=lambda i: acc[i].mean())
    verdicts = [Verdict("Typical alpha is in [0.1, 0.5].", TUTORIAL_ADVICE, "Stated without an experiment.",
                        f"Best alpha inside ({ALPHAS[best_in]:g}) against the best outside ({ALPHAS[best_out]:g})",
                        paired(acc[best_out], acc[best_in]), +1)]
    notes = [f"At T = {cfg.T:g}: alpha = {ALPHAS[best_in]:g} gives {mean_std(acc[best_in], 100)}%, alpha = "
             f"{ALPHAS[best_out]:g} {mean_std(acc[best_out], 100)}%; alpha = 0 (soft targets only) "
             f"{mean_std(acc[0], 100)}%, alpha = 1 (labels only: the baseline) {mean_std(acc[-1], 100)}%."]
    yield Finding("alpha", [Panel("Test accuracy against alpha", "alpha (weight of hard labels)", "test accuracy",
                                  list(ALPHAS), {f"T = {cfg.T:g}": acc.T}, percent=True)], verdicts, notes,
                  failed=learned.run_named(sweep))


def jitter(values: np.ndarray) -> np.ndarray:
    """Step-to-step variability of each row of ``values`` (K, R): the sample std of its first differences."""
    return np.std(np.diff(values, axis=1), axis=1, ddof=1)


def smoothness(cfg: ClaimsConfig, dev, hook=None) -> Iterator:
    """Step-to-step jitter of the training loss and relative jitter of the gradient norm, KD against the baseline."""
    yield Phase("teacher", 0.0, "Training the big teacher…")
    ds, teacher = _setup(cfg, dev, hook=hook)
    seeds, s = seeds_of(cfg), cfg.seeds
    yield Phase("students", 0.4, "Training KD and baseline students, recording every step…")
    steps = min(cfg.steps, SMOOTH_STEPS)
    run = PopulationRun(ds, teacher, (cfg.student,), [MemberConfig(m, T=cfg.T, alpha=cfg.alpha, seed=sd)
                                                      for m in ("baseline", "kd") for sd in seeds],
                        device=dev, record_every=1, hook=hook).step(steps)
    h = run.history
    ce = h["hard_loss"][:, BURN_IN:]  # (K, R'): cross-entropy on a fixed set of training points
    g = h["grad_norm"][:, BURN_IN:]  # (K, R')
    loss_jitter = jitter(ce).reshape(2, s)
    grad_jitter = (jitter(g) / g.mean(1)).reshape(2, s)
    claim = ("Student training converges smoothly, with lower loss variance than standard training.",
             TUTORIAL_ADVICE, "Stated without an experiment.")
    verdicts = [Verdict(*claim, "Step-to-step std of the training cross-entropy, KD against the baseline",
                        paired(loss_jitter[0], loss_jitter[1]), -1, scale=1.0, unit="", digits=4),
                Verdict(*claim, "Step-to-step std of the gradient norm over its mean, KD against the baseline",
                        paired(grad_jitter[0], grad_jitter[1]), -1, scale=1.0, unit="", digits=3)]
    steps_axis = h["step"][BURN_IN:]
    notes = [f"Over steps {BURN_IN}-{steps}: loss jitter baseline {mean_std(loss_jitter[0], 1, 4)}, KD "
             f"{mean_std(loss_jitter[1], 1, 4)}; relative gradient jitter baseline {mean_std(grad_jitter[0], 1, 3)}, "
             f"KD {mean_std(grad_jitter[1], 1, 3)}."]
    panel = Panel("Training cross-entropy, step by step (first seed)", "step", "cross-entropy on training points",
                  list(steps_axis), {"baseline": ce[:1], "KD": ce[s:s + 1]})
    yield Finding("smoothness", [panel], verdicts, notes, failed=learned.run_named(run))


GRADIENT_CLAIM = ("Higher temperature increases gradient magnitude during early training.", TUTORIAL_ADVICE,
                  "Stated without an experiment.")
GRADIENT_FORM = ("The soft gradient is T (p - q) with T^2 and (p - q) / T without it (`kdviz.softening.soft_gradient`). "
                 "Neither is monotone in T in general: below the logits' spread either can grow with T; once T is much "
                 "larger than the spread, the one without T^2 falls like 1/T^2 and the one with it settles at "
                 "||z~ - v~|| / N.")


def gradient(cfg: ClaimsConfig, dev, hook=None) -> Iterator:
    """Mean gradient norm over the first steps against T, with T^2 (as trained) and without (alpha = 0)."""
    yield Phase("teacher", 0.0, "Training the big teacher…")
    ds, teacher = _setup(cfg, dev, hook=hook)
    yield Phase("students", 0.5, "Measuring the first steps' gradients…")
    run = _sweep(ds, teacher, (cfg.student,), seeds_of(cfg), dev, EARLY_STEPS, GRAD_TEMPERATURES, (0.0,), record_every=1,
                 hook=hook)
    g = np.nanmean(run.history["grad_norm"][:, 1:], axis=1).reshape(len(GRAD_TEMPERATURES), cfg.seeds)  # (nT, S)
    t2 = np.square(GRAD_TEMPERATURES)[:, None]
    plain = g / t2  # alpha = 0: the loss without T^2 is the loss with it over T^2, and so is every gradient
    claim = GRADIENT_CLAIM
    hi = f"T = {GRAD_TEMPERATURES[-1]:g}"
    verdicts = [Verdict(*claim, f"With T^2 (as trained): {hi} against T = 1", paired(g[0], g[-1]), +1, 1.0, "", 3),
                Verdict(*claim, f"Without T^2: {hi} against T = 1", paired(plain[0], plain[-1]), +1, 1.0, "", 3)]
    peak = GRAD_TEMPERATURES[int(np.argmax(g.mean(1)))]
    notes = [f"Mean gradient norm over the first {EARLY_STEPS} steps (alpha = 0): with T^2 it is largest at T = "
             f"{peak:g}; from T = 1 to {hi} it goes {g[0].mean():.3f} -> {g[-1].mean():.3f} with T^2 and "
             f"{plain[0].mean():.3f} -> {plain[-1].mean():.5f} without.", GRADIENT_FORM]
    yield Finding("gradient", [Panel("Gradient norm over the first steps", "T", "gradient norm", list(GRAD_TEMPERATURES),
                                     {"with T^2 (as trained)": g.T, "without T^2": plain.T}, log_x=True)],
                  verdicts, notes)


def transfer_sets(ds, seed: int) -> dict:
    """Fidelity's transfer sets: a quarter of the training points, all of them, and all plus noisy copies."""
    gen = torch.Generator().manual_seed(seed)
    n = len(ds.y_train)
    few = torch.randperm(n, generator=gen, device="cpu")[:int(n * SMALL_SHARE)].to(ds.x_train.device)
    noisy = [ds.x_train + NOISE_SD * torch.randn(ds.x_train.shape, generator=gen, device="cpu").to(ds.x_train.device)
             for _ in range(NOISY_COPIES)]
    unlabelled = torch.full((n * NOISY_COPIES,), -1, dtype=ds.y_train.dtype, device=ds.y_train.device)
    return {f"{SMALL_SHARE:.0%} of the training points": dataclasses.replace(ds, x_train=ds.x_train[few],
                                                                              y_train=ds.y_train[few]),
            "all training points": ds,
            f"all + {NOISY_COPIES} noisy copies (sd {NOISE_SD:g})": dataclasses.replace(
                ds, x_train=torch.cat([ds.x_train, *noisy]), y_train=torch.cat([ds.y_train, unlabelled]))}


def fidelity(cfg: ClaimsConfig, dev, hook=None) -> Iterator:
    """A student of the teacher's own size distilled (alpha = 0) on growing transfer sets: agreement and accuracy."""
    hidden = (cfg.student,)
    yield Phase("teacher", 0.0, "Training the teacher (the student's own size)…")
    ds, teacher = _setup(cfg, dev, hidden, hook)
    seeds = seeds_of(cfg)
    fid, acc, curves, failed = {}, {}, {}, []
    sets = transfer_sets(ds, cfg.seed)
    for i, (name, tds) in enumerate(sets.items()):
        yield Phase("students", 0.2 + 0.8 * i / len(sets), f"Distilling on {name}…")
        run = _sweep(tds, teacher, hidden, seeds, dev, cfg.steps, (cfg.T,), (0.0,), record_every=max(cfg.steps // 20, 1),
                     hook=hook)
        h = run.history
        fid[name], acc[name], curves[name] = h["fidelity"][:, -1], h["test_acc"][:, -1], h["fidelity"]
        failed += learned.run_named(run)
    yield Phase("students", 0.9, "Sweeping T and alpha on all training points…")
    sweep = _sweep(ds, teacher, hidden, seeds, dev, cfg.steps, TEMPERATURES, FIDELITY_ALPHAS, hook=hook)
    ev = sweep.evaluate("test")
    shape = (len(TEMPERATURES), len(FIDELITY_ALPHAS), len(seeds))
    s_fid, s_acc, s_kl = (ev[k].reshape(shape) for k in ("fidelity", "accuracy", "kl_to_teacher"))  # (nT, nA, S)
    by_t = {}
    for j, a in enumerate(FIDELITY_ALPHAS):
        by_t[f"agreement, alpha = {a:g}"] = s_fid[:, j].T
        by_t[f"student accuracy, alpha = {a:g}"] = s_acc[:, j].T
    mean_fid, mean_acc = s_fid.mean(-1).ravel(), s_acc.mean(-1).ravel()
    settings = [(t, a) for t in TEMPERATURES for a in FIDELITY_ALPHAS]
    most_faithful, most_accurate = settings[int(np.argmax(mean_fid))], settings[int(np.argmax(mean_acc))]
    names = list(sets)
    full = fid[names[1]]
    verdicts = [
        Verdict("Students often disagree with their teachers, even with the capacity to match them.",
                "Stanton et al. 2021", "ResNet students of ResNet teachers on CIFAR-100: top-1 agreement well "
                "below 100% after distillation.", "Disagreement with the teacher on test (all training points)",
                paired(np.zeros_like(full), 1 - full), +1),
        Verdict("More transfer data (or augmentation) raises fidelity.", "Stanton et al. 2021",
                "Agreement rose with augmentation and more distillation data, yet stayed far from 100%.",
                f"Agreement on {names[2]} against {names[0]}", paired(fid[names[0]], fid[names[2]]), +1)]
    notes = [f"Teacher {teacher.info['test_acc']:.1%}, same size as the student ({cfg.student} units). "
             + "; ".join(f"{n}: agreement {mean_std(fid[n], 100)}%, student accuracy {mean_std(acc[n], 100)}%"
                         for n in names) + ".",
             f"Over T in {{{', '.join(f'{t:g}' for t in TEMPERATURES)}}} and alpha in "
             f"{{{', '.join(f'{a:g}' for a in FIDELITY_ALPHAS)}}}: the most faithful students (T = {most_faithful[0]:g}, "
             f"alpha = {most_faithful[1]:g}) agree on {mean_fid.max():.1%} and score {mean_acc[settings.index(most_faithful)]:.1%};"
             f" the most accurate (T = {most_accurate[0]:g}, alpha = {most_accurate[1]:g}) score {mean_acc.max():.1%} and "
             f"agree on {mean_fid[settings.index(most_accurate)]:.1%}; KL to the teacher ranges "
             f"{s_kl.mean(-1).min():.3f}-{s_kl.mean(-1).max():.3f}."]
    steps_axis = list(run.history["step"])
    yield Finding("fidelity", [Panel("Top-1 agreement with the teacher (test)", "step", "agreement", steps_axis,
                                     curves, percent=True),
                               Panel("Agreement and accuracy at the end", "transfer set", "fraction of test points",
                                     names, {"agreement": np.column_stack([fid[n] for n in names]),
                                             "student accuracy": np.column_stack([acc[n] for n in names])},
                                     percent=True),
                               Panel("Agreement and accuracy against T (all training points)", "T",
                                     "fraction of test points", list(TEMPERATURES), by_t, log_x=True, percent=True)],
                  verdicts, notes, failed=failed + learned.run_named(sweep))


CLAIM_RUNS = {"fidelity": fidelity, "hinton": hinton, "temperature": temperature, "alpha": alpha,
              "smoothness": smoothness, "gradient": gradient}


def run(cfg: ClaimsConfig, device: str | None = None, hook=None) -> Iterator:
    """Test the chosen claim: Phases while it trains, then one Finding; ``hook``: called before each training step
    (a job's preemption point), or None."""
    if cfg.claim not in CLAIM_RUNS:
        raise ValueError(f"unknown claim {cfg.claim!r}; choose one of {', '.join(CLAIMS)}")
    yield from timed(CLAIM_RUNS[cfg.claim](cfg, resolve_device(device), hook))


EXPERIMENT = Experiment("claims", "Claims on trial: the textbook's and the papers' KD claims, tested", ClaimsConfig, run,
                        Finding, students=findings.students, verdict=findings.verdict)
