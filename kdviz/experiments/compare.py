"""Compare paradigms: every chosen KD method x several seeds as one population, beside the baseline.

Default regime: 5 overlapping blobs, the students never see class 3, T = 4, alpha = 0.1, where
the teacher's soft targets carry the unseen class (each run reports KD's paired gain, computed). Every method's students share initial weights and batch order
with the baseline students of the same seed, so gains are paired.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from kdviz import metrics
from kdviz.config import learning_rate, parse_list, setting
from kdviz.data import make_dataset, names, omission, spec
from kdviz.data.transforms import omit_class
from kdviz.device import resolve_device
from kdviz.experiments.protocol import Experiment, Phase, Plane
from kdviz.experiments import learned
from kdviz.experiments.stats import NO_DIFFERENCE, TOO_FEW, PairedEffect, mean_std, paired
from kdviz.paradigms import NOTES, PARADIGMS, names_to_type
from kdviz.train import MemberConfig, PopulationRun, RunSnapshot, TeacherConfig, grid_predictions, train_teacher
from kdviz.train.conv_teacher import ConvTeacherConfig, train_conv_teacher

DATASETS = (*names("toy"), *names("image"))
TEACHERS = ("mlp", "conv")  # the main teacher's network: an MLP, or a ConvNet on image datasets
TEACHER_NAMES = {"mlp": "an MLP", "conv": "a small convolutional network"}
GRID = 50  # decision-region resolution
SHOWN_POINTS = 500


def _method(name: str) -> str:
    """A paradigm's name as typed, checked."""
    if name not in PARADIGMS:
        raise ValueError(f"a method; choose from {', '.join(PARADIGMS)}")
    return name


def parse_methods(text: str) -> tuple[str, ...]:
    """Parse "kd, dkd, fitnet" into a tuple of known method names (order kept, no duplicates)."""
    return tuple(dict.fromkeys(parse_list(text, _method, "method names")))


def _canonical(text: str) -> str:
    return ",".join(parse_methods(text))


@dataclass
class CompareConfig:
    """What the Compare paradigms page trains (round-tripped through the URL)."""

    dataset: str = setting("blobs", "Dataset", choices=DATASETS)
    methods: str = setting("kd,dkd,fitnet,similarity,multi_teacher,mutual", "Methods (comma separated)",
                           parse=_canonical, help="Type the short names, comma separated (the baseline is always "
                           "trained): " + names_to_type())
    omit: int = setting(3, "Class the students never see (-1: none)", lo=-1, hi=9)
    T: float = setting(4.0, "Temperature T", lo=1.0, hi=20.0, step=0.5)
    alpha: float = setting(0.1, "alpha (weight of hard labels)", lo=0.0, hi=1.0, step=0.05)
    steps: int = setting(1000, "Steps", lo=50, hi=3000, step=50)
    seeds: int = setting(3, "Seeds per method", lo=2, hi=5, help="students per method (mutual learning needs 2)")
    lr: float = learning_rate()
    seed: int = setting(0, "Data seed", lo=0, hi=9999, help="seed of the data and the teachers")
    teacher: str = setting("mlp", "Teacher", choices=TEACHERS, help="mlp: a multilayer perceptron; conv: a small "
                           "convolutional network (two convolutions and a dense layer, image datasets only), whose "
                           "dense layer is the feature the feature and relation methods compare")


def validate(cfg: CompareConfig) -> CompareConfig:
    """Check cross-field rules; ValueError with a message for the page."""
    parse_methods(cfg.methods)
    if cfg.teacher == "conv" and spec(cfg.dataset).kind != "image":
        raise ValueError(f"the convolutional teacher needs an image dataset ({', '.join(names('image'))}); "
                         f"choose the mlp teacher for {cfg.dataset}")
    omission.check(cfg)  # pages and the command line move it first (omission.fit)
    return cfg


def teacher_config(cfg: CompareConfig, hidden=None, seed: int | None = None) -> TeacherConfig:
    """The teachers' training settings for the dataset (digits: wide, dropout 0.5, lr 1e-3)."""
    base = dict(dropout=0.5, lr=1e-3) if spec(cfg.dataset).kind == "image" else {}
    hidden = hidden or ((256, 256) if base else (128, 128))
    return TeacherConfig(hidden=hidden, steps=1000, seed=cfg.seed if seed is None else seed, **base)


def conv_teacher_config(cfg: CompareConfig) -> ConvTeacherConfig:
    """The convolutional teacher's training settings (seeded by the data seed)."""
    return ConvTeacherConfig(seed=cfg.seed)


def main_teacher(cfg: CompareConfig, ds, dev, hook=None):
    """The teacher the students distil (cfg.teacher: an MLP, or a ConvNet on image data), trained or cached."""
    if cfg.teacher == "conv":
        return train_conv_teacher(ds, conv_teacher_config(cfg), dev, hook)
    return train_teacher(ds, teacher_config(cfg), dev, hook)


STUDENT = (32,)  # the students' hidden widths
COMMITTEE = ((64,), (16,))  # the two extra, smaller teachers of multi-teacher students


def build_data(cfg: CompareConfig):
    """(full dataset for the teachers, the students' transfer set)."""
    ds = make_dataset(cfg.dataset, n=2000, noise=0.0, seed=cfg.seed, train_ratio=0.7)
    return ds, (omit_class(ds, cfg.omit) if cfg.omit >= 0 else ds)


def roles(cfg: CompareConfig) -> list[str]:
    """Methods of the population in order: the baseline first, then the chosen ones."""
    return ["baseline", *parse_methods(cfg.methods)]


def chunk_size(steps: int) -> int:
    """Steps between snapshots: about 25 redraws per run."""
    return max(10, math.ceil(steps / 25))


def seeds_of(cfg: CompareConfig) -> list[int]:
    """The students' seeds (one per paired group)."""
    return [cfg.seed * 100 + k for k in range(cfg.seeds)]


def build_run(cfg: CompareConfig, device=None, record_every: int | None = None, hook=None):
    """(run, teacher, data) for a config: teachers trained (cached), born-again generation 0 trained first;
    ``hook``: every training run's step hook (PopulationRun's)."""
    dev = resolve_device(device)
    ds, sds = build_data(cfg)
    teacher = main_teacher(cfg, ds, dev, hook)
    methods = roles(cfg)
    committee = None
    if "multi_teacher" in methods:  # two more, smaller teachers: a committee that disagrees at the margins
        committee = [teacher, *(train_teacher(ds, teacher_config(cfg, h, cfg.seed + 1 + i), dev, hook)
                                for i, h in enumerate(COMMITTEE))]
    seeds = seeds_of(cfg)
    members = [MemberConfig(m, T=cfg.T, alpha=cfg.alpha, lr=cfg.lr, seed=sd) for m in methods for sd in seeds]
    targets = {}
    if "born_again" in methods:  # generation 0: the same students trained on labels alone
        gen0 = PopulationRun(sds, None, STUDENT, [MemberConfig("baseline", lr=cfg.lr, seed=sd) for sd in seeds],
                             device=dev, record_every=cfg.steps, hook=hook).step(cfg.steps)
        z0 = gen0.logits(gen0.ds.x_train)  # (S, N, C)
        first = methods.index("born_again") * cfg.seeds
        targets = {first + k: z0[k] for k in range(cfg.seeds)}
    students = PopulationRun(sds, teacher, STUDENT, members, device=dev, teachers=committee, targets=targets,
                             record_every=record_every or chunk_size(cfg.steps), hook=hook)
    return students, teacher, ds


def teacher_text(scene: CompareScene) -> str:
    """One sentence on the run's main teacher: its network and its test accuracy (and, for a convolutional one,
    which of its layers the feature and relation methods compare)."""
    text = f"Teacher: {TEACHER_NAMES[scene.teacher]}, {scene.teacher_test_acc:.1%} test accuracy."
    if scene.teacher == "conv":
        text += (" Its dense layer, after the convolutions, is the teacher feature that the feature and relation "
                 "methods compare with the students' last hidden layer.")
    return text


def step_times(run: PopulationRun, methods: list[str], seeds: int, steps: int = 20) -> dict[str, float]:
    """Milliseconds per training step of each method's students alone (a short separate timing run, with
    ``run``'s step hook)."""
    out = {}
    teachers = None if run.teacher_set is None else list(run.teacher_set)
    for i, m in enumerate(methods):
        ix = list(range(i * seeds, (i + 1) * seeds))
        alone = PopulationRun(run.ds, run.teacher, run.hidden, [run.members[k] for k in ix], device=run.device,
                              teachers=teachers, targets={j: run.targets[k] for j, k in enumerate(ix) if k in run.targets},
                              record_every=10_000, hook=run.hook)
        alone.step(2)  # warm-up (first-call setup)
        t0 = time.perf_counter()
        alone.step(steps)
        out[m] = (time.perf_counter() - t0) / steps * 1000
    return out


@dataclass
class CompareScene:
    """What stays fixed during a comparison: methods, seeds, the teacher, and on 2-D data the plane."""

    methods: list[str]
    seeds: int
    class_names: list[str]
    device: str
    teacher_test_acc: float
    setup_s: float  # seconds spent on data, teachers and born-again generation 0
    teacher: str = "mlp"  # the main teacher's network (TEACHERS)
    plane: Plane | None = None  # 2-D data only
    teacher_grid: np.ndarray | None = None  # (GRID, GRID, C), 2-D data only


@dataclass
class CompareSnapshot:
    """The population after a chunk; at the end its test metrics and each method's cost per step."""

    progress: float
    steps: int
    scene: CompareScene
    run: RunSnapshot
    train_s: float  # seconds of training so far
    grids: np.ndarray | None = None  # (M, GRID, GRID, C) the first seed of each method, 2-D data only
    final: dict | None = None  # evaluate() of every member on the test set
    ms_per_step: dict | None = None  # method -> ms per step of its students alone
    failed: list | None = None  # per member: why it failed (learned.run_failures) or None, at the end
    hits: np.ndarray | None = None  # (K, N_test) bool at the end: whether each member got each test point right


def run(cfg: CompareConfig, device: str | None = None, hook=None) -> Iterator:
    """Train the population in chunks, yielding a CompareSnapshot after each (the teachers first); ``hook``: called
    before each training step (a job's preemption point), or None."""
    cfg = validate(cfg)
    yield Phase("teachers", 0.0, "Training the teachers…")
    t0 = time.perf_counter()
    students, teacher, ds = build_run(cfg, device, hook=hook)
    methods = roles(cfg)
    scene = CompareScene(methods, cfg.seeds, list(ds.class_names), str(students.device),
                         float(teacher.info["test_acc"]), time.perf_counter() - t0, cfg.teacher)
    two_d = spec(cfg.dataset).two_d
    if two_d:
        scene.plane = Plane.of(ds, GRID, SHOWN_POINTS)
        scene.teacher_grid = grid_predictions(teacher, *scene.plane.extent, resolution=GRID).probs.astype(np.float32)
    t_train = 0.0
    while students.t < cfg.steps:
        t1 = time.perf_counter()
        students.step(min(chunk_size(cfg.steps), cfg.steps - students.t))
        t_train += time.perf_counter() - t1
        snap = CompareSnapshot(students.t / cfg.steps, cfg.steps, scene,
                               students.snapshot(weights=students.t >= cfg.steps), t_train)  # weights: exports
        if two_d:  # the first seed of each method
            probs = grid_predictions(students.population, *scene.plane.extent, resolution=GRID).probs  # (K, H, W, C)
            snap.grids = probs[::cfg.seeds].astype(np.float32)
        if students.t >= cfg.steps:
            snap.final = students.evaluate("test")
            snap.hits = metrics.hits(students.logits(students.ds.x_test), students.ds.y_test).cpu().numpy()
            snap.ms_per_step = step_times(students, methods, cfg.seeds)
            snap.failed = learned.run_failures(students)
        yield snap


@dataclass
class Row:
    """One method's results over seeds (fractions, not percent)."""

    method: str
    acc: np.ndarray  # (S,) test accuracy per seed
    gain: np.ndarray  # (S,) paired gain over the baseline student of the same seed
    fidelity: float  # mean top-1 agreement with the teacher
    kl: float  # mean KL(teacher || student) on test
    recall_omitted: float | None  # mean recall on the omitted class
    ms_per_step: float  # training cost of this method's students alone
    status: list[str]  # members that diverged
    hits: np.ndarray | None = None  # (S, N_test) bool: this method's students per test point, when known
    base_hits: np.ndarray | None = None  # (S, N_test) the baseline students of the same seeds

    @property
    def name(self) -> str:
        """The method's display name."""
        return NOTES[self.method].name

    @property
    def effect(self) -> PairedEffect:
        """The paired gain over the baseline, judged on the seeds and on the test points (kdviz.experiments.stats)."""
        return paired(np.zeros_like(self.gain), self.gain, hits_a=self.base_hits, hits_b=self.hits)

    @property
    def verdict(self) -> str:
        """"better" / "worse" when clear (stats.PairedEffect.clear), else "within noise", "no difference" or
        "too few test points to tell"; "reference" for the baseline, "failed" when a student failed."""
        if self.status:
            return "failed"
        return "reference" if self.method == "baseline" else self.effect.direction


def summarise(snap: CompareSnapshot, omit: int) -> list[Row]:
    """The results table, one Row per method (needs snap.final)."""
    fin, s, methods = snap.final, snap.scene.seeds, snap.scene.methods
    acc = fin["accuracy"].reshape(len(methods), s)  # (M, S)
    hits = None if snap.hits is None else snap.hits.reshape(len(methods), s, -1)  # (M, S, N_test)
    rows = []
    for i, m in enumerate(methods):
        sl = slice(i * s, (i + 1) * s)
        rows.append(Row(m, acc[i], acc[i] - acc[0], float(np.mean(fin["fidelity"][sl])),
                        float(np.mean(fin["kl_to_teacher"][sl])),
                        float(np.nanmean(fin["recall"][sl, omit])) if omit >= 0 else None,
                        float(snap.ms_per_step[m]), failed_members(snap, sl),
                        None if hits is None else hits[i], None if hits is None else hits[0]))
    return rows


def failed_members(snap: CompareSnapshot, members: slice) -> list[str]:
    """Status lines of the members in ``members`` that diverged or did not learn (learned.run_failures)."""
    failed = snap.failed if snap.failed is not None else [None] * len(snap.run.status)
    idx = range(*members.indices(len(snap.run.status)))
    return learned.named([f"seed {i - members.start}" for i in idx], [failed[i] for i in idx])


def table(rows: list[Row]) -> list[dict]:
    """Rows as plain records for a table (percent, 1 decimal)."""
    out = []
    for r in rows:
        rec = {"method": r.name, "test accuracy %": mean_std(r.acc, 100),
               "gain vs baseline (pts)": "" if r.method == "baseline" else r.effect.text(unit=""),
               "verdict": r.verdict, "fidelity %": round(r.fidelity * 100, 1), "KL to teacher": round(r.kl, 3)}
        if r.recall_omitted is not None:
            rec["recall on unseen class %"] = round(r.recall_omitted * 100, 1)
        rec["ms / step"] = round(r.ms_per_step, 1)
        out.append(rec)
    return out


def takeaway(rows: list[Row]) -> str:
    """Plain sentences: which methods beat the baseline beyond the seed spread, and which did not."""
    groups = {v: [r for r in rows if r.verdict == v]
              for v in ("better", "within noise", NO_DIFFERENCE, TOO_FEW, "worse", "failed")}
    names = {v: ", ".join(r.name for r in group) for v, group in groups.items()}
    parts = []
    if groups["better"]:
        parts.append(f"Beat the baseline on every seed, by more than the seed spread: {names['better']}.")
    if groups["within noise"]:
        parts.append(f"No difference from the baseline beyond the seed noise: {names['within noise']}.")
    if groups[NO_DIFFERENCE]:
        parts.append(f"Exactly the baseline's accuracy on every seed: {names[NO_DIFFERENCE]}.")
    if groups[TOO_FEW]:
        first = groups[TOO_FEW][0]
        parts.append(f"Too few test points to tell from the baseline: {names[TOO_FEW]} ({first.name}: "
                     f"{first.effect.points.text(first.effect.n)}).")
    if groups["worse"]:
        parts.append(f"Worse than the baseline on every seed: {names['worse']}.")
    if groups["failed"]:
        parts.append(f"Did not learn, so not judged (lower the learning rate or T): {names['failed']}.")
    return " ".join(parts)


def curves(snap: CompareSnapshot, metric: str = "test_acc") -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(steps (R,), {method: mean over seeds of the metric (R,)}) for learning curves."""
    h, s = snap.run.history, snap.scene.seeds
    return h["step"], {m: np.nanmean(h[metric][i * s:(i + 1) * s], axis=0) for i, m in enumerate(snap.scene.methods)}


def verdict(cfg: CompareConfig, snap: CompareSnapshot) -> str:
    """The page's takeaway of a finished run ("" before the end)."""
    return takeaway(summarise(snap, cfg.omit)) if snap.final is not None else ""


EXPERIMENT = Experiment("compare", "Compare paradigms: every method over seeds, beside the baseline", CompareConfig, run,
                        CompareSnapshot, verdict=verdict)
