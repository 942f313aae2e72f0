"""The omitted-digit experiment (Hinton, Vinyals and Dean 2015) and the label-smoothed teacher, on digits.

Students 64-32-10 learn from a transfer set with no image of one digit. One run trains KD
students of each teacher (label smoothings ``teachers``) and, if asked, baselines on labels
alone (same seeds, so the same initial weights and batch order). Its final snapshot keeps every
student's test and validation logits, so the page can raise the omitted digit's bias (errors
after shift_bias) and choose it on validation (best_bias) without retraining.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from kdviz.config import learning_rate, setting
from kdviz.data.transforms import omit_class
from kdviz.experiments.dark_knowledge.settings import from_omitted
from kdviz.experiments.dark_knowledge.teachers import digits_data, teacher_for
from kdviz.experiments.protocol import Experiment, Phase, chunks
from kdviz.experiments import learned
from kdviz.experiments.stats import PairedEffect, count, mean_std, not_judged, paired
from kdviz.softening_curves import T_CHOICES
from kdviz.train import MemberConfig, PopulationRun

PAPER = {"errors": 206, "errors_on_digit": 133, "digit_count": 1010, "bias": 3.5, "errors_after": 109,
         "errors_on_digit_after": 14, "test_count": 10_000}  # Hinton et al. 2015, MNIST, digit 3 omitted
STUDENT = (32,)  # the students' hidden widths
BIAS_GRID = np.round(np.arange(-2.0, 10.0001, 0.25), 2)  # biases tried by best_bias


@dataclass
class OmittedConfig:
    """One omitted-digit run: which digit, how the students are distilled, from which teachers."""

    omit: int = setting(3, "Digit left out of the students' transfer set", lo=0, hi=9)
    T: float = setting(8.0, "Distillation temperature", choices=T_CHOICES)
    alpha: float = setting(0.1, "alpha (weight of the hard labels)", lo=0.0, hi=1.0, step=0.05)
    steps: int = setting(2000, "Training steps", lo=50, hi=5000, step=50)
    seeds: int = setting(3, "Seeds (students per role)", lo=1, hi=5)
    teachers: tuple[float, ...] = (0.0,)  # label smoothing of each teacher whose KD students are trained
    baseline: bool = True  # also train the students on labels alone
    lr: float = learning_rate()


def role_name(eps: float) -> str:
    """The snapshot role of KD students of a teacher with label smoothing eps."""
    return "kd" if eps == 0 else f"kd_smoothed_{eps:g}"


@dataclass
class OmittedSnapshot:
    """Progress; at the end every student's logits on the test and validation splits."""

    progress: float
    step: int
    steps: int
    omit: int
    roles: list[str] | None = None  # at the end: "kd", "kd_smoothed_0.1", "baseline", ...
    test_logits: dict | None = None  # role -> (S, N, C) float32
    val_logits: dict | None = None  # role -> (S, N_val, C) float32
    y_test: np.ndarray | None = None
    y_val: np.ndarray | None = None
    status: dict | None = None  # role -> per-seed status
    weights: dict | None = None  # role -> Population.arrays() of its S students (for exports)
    failed: list[str] = field(default_factory=list)  # students that diverged or did not learn (learned.failures)
    teacher_acc: dict | None = None  # at the end: teacher role ("kd", "kd_smoothed_0.1") -> its test accuracy

    @property
    def done(self) -> bool:
        """Whether the final numbers are there."""
        return self.test_logits is not None


def chunk_size(steps: int) -> int:
    """Steps per snapshot: about 20 per run."""
    return max(50, steps // 20)


def run(cfg: OmittedConfig, device: str | None = None, hook=None) -> Iterator:
    """KD students of each teacher (and baselines) on the transfer set without one digit.

    hook: called before each training step (a job's preemption point), or None.
    """
    ds = digits_data(0)
    transfer = omit_class(ds, cfg.omit)
    runs = {}  # role -> (run, member slice)
    teacher_acc = {}  # role -> the teacher's test accuracy
    for i, eps in enumerate(cfg.teachers):
        yield Phase("teachers", 0.0, f"Training teacher {i + 1}…")
        kd = [MemberConfig("kd", T=cfg.T, alpha=cfg.alpha, lr=cfg.lr, seed=s) for s in range(cfg.seeds)]
        base = ([MemberConfig("baseline", lr=cfg.lr, seed=s) for s in range(cfg.seeds)]
                if cfg.baseline and i == 0 else [])
        teacher = teacher_for(ds, eps, device, hook)
        teacher_acc[role_name(eps)] = float(teacher.info["test_acc"])
        students = PopulationRun(transfer, teacher, STUDENT, kd + base, device=device,
                                 record_every=chunk_size(cfg.steps), hook=hook)
        runs[role_name(eps)] = (students, slice(0, cfg.seeds))
        if base:
            runs["baseline"] = (students, slice(cfg.seeds, 2 * cfg.seeds))
    distinct = list({id(r): r for r, _ in runs.values()}.values())
    for done in chunks(distinct, cfg.steps, chunk_size(cfg.steps)):
        yield OmittedSnapshot(done / cfg.steps, done, cfg.steps, cfg.omit)

    def outputs(x):
        return {r: s.logits(x)[sl].cpu().numpy().astype(np.float32) for r, (s, sl) in runs.items()}

    def members(arrays: dict, sl: slice) -> dict:
        return {**arrays, "weight": [w[sl] for w in arrays["weight"]], "bias": [b[sl] for b in arrays["bias"]]}

    test = outputs(ds.x_test)
    y = ds.y_test.numpy()
    seen = learned.seen_classes(transfer.y_train, ds.n_classes)
    why = {r: learned.failures(torch.as_tensor(test[r], device="cpu"), ds.y_test, seen, s.history["hard_loss"][sl], s.status[sl],
                               class_names=ds.class_names) for r, (s, sl) in runs.items()}  # role -> (S,) str or None
    failed = [line for r, w in why.items() for line in learned.named([f"{r}, seed {k}" for k in range(cfg.seeds)], w)]
    yield OmittedSnapshot(1.0, cfg.steps, cfg.steps, cfg.omit, list(runs), test, outputs(ds.x_val),
                          y, ds.y_val.numpy(), {r: [w or "ok" for w in why[r]] for r in runs},
                          {r: members(s.population.arrays(), sl) for r, (s, sl) in runs.items()}, failed, teacher_acc)


def shift_bias(logits: np.ndarray, c: int, bias: float) -> np.ndarray:
    """Logits (..., C) with ``bias`` added to class c's logit (a raised output bias)."""
    out = np.array(logits, dtype=np.float64, copy=True)
    out[..., c] += bias
    return out


@dataclass
class Errors:
    """Test errors of S students (arrays (S,)): all of them, and those on the omitted digit's images."""

    total: np.ndarray  # misclassified test images
    on_digit: np.ndarray  # misclassified images of the omitted digit
    n: int  # test images
    n_digit: int  # test images of the omitted digit

    @property
    def recall(self) -> np.ndarray:
        """Share of the omitted digit's images recognised, per student (S,)."""
        return 1 - self.on_digit / self.n_digit


def errors(logits: np.ndarray, y: np.ndarray, c: int, bias: float = 0.0) -> Errors:
    """Errors of each student (logits (S, N, C)) on labels y (N,), after raising class c's bias."""
    pred = shift_bias(logits, c, bias).argmax(-1)  # (S, N)
    wrong = pred != y
    return Errors(wrong.sum(-1), wrong[:, y == c].sum(-1), int(len(y)), int((y == c).sum()))


def best_bias(val_logits: np.ndarray, y_val: np.ndarray, c: int, grid=BIAS_GRID) -> float:
    """The bias for class c (from grid) with the fewest validation errors, averaged over students; ties: smallest |b|."""
    errs = np.array([errors(val_logits, y_val, c, b).total.mean() for b in grid])
    best = np.flatnonzero(errs == errs.min())
    return float(grid[best[np.argmin(np.abs(grid[best]))]])


def bias_curve(logits: np.ndarray, y: np.ndarray, c: int, grid=BIAS_GRID) -> dict[str, np.ndarray]:
    """Mean errors (total and on digit c) over students for each bias in grid: arrays (len(grid),)."""
    rows = [errors(logits, y, c, b) for b in grid]
    return {"bias": np.asarray(grid), "total": np.array([r.total.mean() for r in rows]),
            "on_digit": np.array([r.on_digit.mean() for r in rows])}


def comparison_rows(snap: OmittedSnapshot, bias: float, chosen: float, data: str = "8x8 digits",
                    names: list[str] | None = None) -> list[dict]:
    """Rows of the omitted-digit table: the paper's MNIST numbers and ours (on ``data``, the omitted class called by
    ``names``, its number when None), each labelled as such."""
    c, y = snap.omit, snap.y_test
    p = PAPER
    source = "Paper (Hinton et al. 2015, MNIST, digit 3 omitted)"
    rows = [{"source": source, "student": "distilled, bias unchanged",
             "test errors": f"{p['errors']} of {p['test_count']}",
             "errors on the omitted digit": f"{p['errors_on_digit']} of {p['digit_count']}"},
            {"source": source, "student": f"distilled, bias +{p['bias']}",
             "test errors": f"{p['errors_after']} of {p['test_count']}",
             "errors on the omitted digit": f"{p['errors_on_digit_after']} of {p['digit_count']}"}]
    ours = [("baseline", "baseline (labels only), bias unchanged", 0.0), ("kd", "distilled, bias unchanged", 0.0),
            ("kd", f"distilled, bias {chosen:+g} (chosen on validation)", chosen),
            ("kd", f"distilled, bias {bias:+g} (your slider)", bias)]
    for role, what, b in ours:
        if role not in snap.test_logits or (what.endswith("(your slider)") and b in (0.0, chosen)):
            continue
        e = errors(snap.test_logits[role], y, c, b)
        omitted_name = f"digit {c}" if names is None else names[c]
        rows.append({"source": f"Ours ({data}, {omitted_name} omitted, mean ± std of {count(len(e.total), 'seed')})",
                     "student": what, "test errors": f"{mean_std(e.total)} of {e.n}",
                     "errors on the omitted digit": f"{mean_std(e.on_digit)} of {e.n_digit}"})
    return rows


def smoothing_effect(snap: OmittedSnapshot, eps: float) -> PairedEffect:
    """How much more often students of the smoothed teacher recognise the omitted digit than the normal
    teacher's (paired per seed: same initial weights and batch order); negative when they recognise it less."""
    normal = errors(snap.test_logits["kd"], snap.y_test, snap.omit).recall
    smoothed = errors(snap.test_logits[role_name(eps)], snap.y_test, snap.omit).recall

    def hits(role: str) -> np.ndarray:  # (S, N_digit) whether each student recognises each test image of the digit
        return snap.test_logits[role][:, snap.y_test == snap.omit].argmax(-1) == snap.omit

    return paired(normal, smoothed, hits_a=hits("kd"), hits_b=hits(role_name(eps)))


def omitted_sentence(snap: OmittedSnapshot, chosen: float, names: list[str] | None = None) -> str:
    """What the baseline and the KD students make of the class they never saw (called by ``names``, its number when
    None), before and after the chosen bias (stats.not_judged instead, when a student failed)."""
    if snap.failed:
        return not_judged(snap.failed)
    y = snap.y_test
    c = snap.omit if names is None else names[snap.omit]
    base = errors(snap.test_logits["baseline"], y, snap.omit)
    kd, raised = errors(snap.test_logits["kd"], y, snap.omit), errors(snap.test_logits["kd"], y, snap.omit, chosen)
    one, many = (f"a {c}", f"test {c}s") if names is None else (f"an image of {c}", f"test images of {c}")
    return (f"The students never saw {one}. Without KD they miss {base.on_digit.mean():.0f} of the {base.n_digit} "
            f"{many}. Distilled, they recognise {kd.recall.mean():.0%} of them from the soft targets on other "
            f"{'digits' if names is None else 'classes'}' images; raising the {c}'s bias by {chosen:+g} (chosen on the "
            "validation split) brings that "
            f"to {raised.recall.mean():.0%}.")


def smoothing_rows(snap: OmittedSnapshot, eps: float, names: tuple[str, str]) -> list[dict]:
    """Table rows for the KD students of the normal and the label-smoothed teacher (names: their labels)."""
    rows = []
    for role, name in (("kd", names[0]), (role_name(eps), names[1])):
        e = errors(snap.test_logits[role], snap.y_test, snap.omit)
        rows.append({"student distilled from": name, "test errors": f"{mean_std(e.total)} of {e.n}",
                     f"errors on the {e.n_digit} test {snap.omit}s": mean_std(e.on_digit),
                     f"recall of {snap.omit}": f"{e.recall.mean():.0%}"})
    return rows


TEACHER_ACC_MARGIN = 0.01  # teachers whose test accuracies differ by at most this are "about as accurate"


def smoothing_sentence(snap: OmittedSnapshot, eps: float) -> str:
    """How often the smoothed teacher's students recognise the unseen digit against the normal teacher's, in words
    (stats.not_judged instead, when a student failed); the teachers' own accuracies as computed."""
    if snap.failed:
        return not_judged(snap.failed)
    effect = smoothing_effect(snap, eps)
    how = (f"{abs(effect.mean) * 100:.0f} points {'less' if effect.mean < 0 else 'more'} often"
           if effect.mean else "exactly as often")
    verdict = ("larger than its seed spread" if effect.clear else f"not clear in this run: {effect.reading().rstrip('.')}")
    return (f"{_teachers_compared(snap, eps)} Students distilled from the smoothed one recognise the unseen "
            f"{snap.omit} {how} ({effect.text()}, {verdict}). Müller, Kornblith and Hinton (2019) found that "
            "label-smoothed teachers make worse students: a better teacher is not always a better teacher to distil "
            "from.")


def _teachers_compared(snap: OmittedSnapshot, eps: float) -> str:
    """The two teachers' test accuracies in words, "about as accurate" only within TEACHER_ACC_MARGIN."""
    acc = snap.teacher_acc or {}
    normal, smoothed = acc.get("kd"), acc.get(role_name(eps))
    if normal is None or smoothed is None:
        return "The teachers' own accuracies were not recorded in this run."
    gap = smoothed - normal
    how = ("the two are about as accurate" if abs(gap) <= TEACHER_ACC_MARGIN else
           f"the smoothed one is {abs(gap) * 100:.1f} points {'more' if gap > 0 else 'less'} accurate")
    return (f"The normal teacher gets {normal:.1%} of the test digits right and the smoothed one (label smoothing "
            f"{eps:g}) {smoothed:.1%}: {how}.")


def _places(snap: OmittedSnapshot) -> list[tuple[str, int]]:
    """(role, seed) of every student, in the rows' order."""
    return [(role, k) for role in snap.roles for k in range(len(snap.test_logits[role]))]


def students(cfg: OmittedConfig, snap: OmittedSnapshot) -> list[dict]:
    """One row per student: role, its teacher's label smoothing, seed, T, alpha, status, test accuracy and errors
    (all, on the omitted digit, and that digit's recall) at the unchanged bias."""
    if not snap.done:
        return []
    rows = []
    for role, k in _places(snap):
        kd = role != "baseline"
        e = errors(snap.test_logits[role][k:k + 1], snap.y_test, snap.omit)
        rows.append({"role": role, "dataset": "digits", "method": "kd" if kd else "baseline",
                     "teacher": f"label smoothing {cfg.teachers[[role_name(x) for x in cfg.teachers].index(role)]:g}"
                     if kd else None, "seed": k, "T": cfg.T if kd else None, "alpha": cfg.alpha if kd else None,
                     "lr": cfg.lr, "steps": snap.steps, "status": snap.status[role][k],
                     "accuracy": 1 - float(e.total[0]) / e.n, "errors": int(e.total[0]),
                     f"errors_on_{snap.omit}": int(e.on_digit[0]), f"recall_{snap.omit}": float(e.recall[0])})
    return rows


def student_weights(cfg: OmittedConfig, snap: OmittedSnapshot, i: int) -> tuple[dict, int] | None:
    """(Population.arrays(), member) of row i's student; None when the snapshot keeps no weights."""
    if snap.weights is None:
        return None
    role, k = _places(snap)[i]
    return snap.weights[role], k


def verdict(cfg: OmittedConfig, snap: OmittedSnapshot) -> str:
    """The tab's sentence: the omitted-digit one, or the label-smoothing one for a run of two teachers."""
    if not snap.done:
        return ""
    if "baseline" in snap.test_logits:
        return omitted_sentence(snap, best_bias(snap.val_logits["kd"], snap.y_val, snap.omit))
    return " ".join(smoothing_sentence(snap, e) for e in cfg.teachers if e != 0)


EXPERIMENT = Experiment("dark_omitted", "The omitted digit: students that never saw one digit", OmittedConfig, run,
                        OmittedSnapshot, students=students, weights=student_weights, verdict=verdict,
                        page_config=from_omitted)
