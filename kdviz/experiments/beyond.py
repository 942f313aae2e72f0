"""Beyond one teacher: several teachers, mutual learning, a mean (EMA) teacher, born-again generations.

One run computes the four topics of the page in turn on 5 overlapping blobs, each over several
seeds, and yields a snapshot after each topic. The regime setting chooses the students' data:
"own" gives each method the regime it was made for (a committee of weak teachers each trained on
a different third of the data; 30% flipped labels for mutual learning and born-again; 10 labels
per class and every other point unlabelled for the mean teacher, beside the labels-only student),
"plain" every class seen with clean labels, where none of them is expected to help.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from kdviz import metrics
from kdviz.config import learning_rate, setting
from kdviz.data import make_dataset
from kdviz.data.transforms import few_labels, flip_labels
from kdviz.device import resolve_device
from kdviz.experiments.protocol import Experiment, Plane
from kdviz.experiments import learned
from kdviz.experiments.stats import BETTER, WORSE, count, paired
from kdviz.paradigms import NOTES
from kdviz.paradigms.mean_teacher import ema_decay
from kdviz.paradigms.multi_teacher import RULE, RULE_NAMES, RULES, combine_teachers
from kdviz.train import MemberConfig, PopulationRun, TeacherConfig, grid_predictions, plane_extent, train_teacher

TEACHER_WIDTHS = ((128, 128), (8,), (3,))  # a committee of unequal teachers: they disagree near the boundaries
DECAYS = (0.9, 0.99, 0.999)
GRID = 50
STUDENT = (32,)
SHOWN_POINTS = 500
TOPICS = ("multi", "mutual", "ema", "born_again")
REGIMES = ("own", "plain")  # each method's own regime, or clean labels with every class seen
WEAK_TEACHERS = ((2,), (2,), (2,))  # the own regime's committee: weak, each trained on its own third of the data
NOISE, LABELS_PER_CLASS = 0.3, 10  # the own regime's label noise (mutual, born-again) and labels (mean teacher)
EMA_NOISE = 0.3  # the own regime's input noise (std, standardised units) on the mean teacher's view


@dataclass
class BeyondConfig:
    """What the Beyond one teacher page trains (round-tripped through the URL)."""

    steps: int = setting(800, "Steps per student", lo=50, hi=3000, step=50)
    seeds: int = setting(3, "Seeds", lo=2, hi=5)
    generations: int = setting(3, "Born-again generations", lo=1, hi=5, help="generations after the first")
    T: float = setting(4.0, "Temperature T", lo=1.0, hi=20.0, step=0.5)
    alpha: float = setting(0.1, "alpha (weight of hard labels)", lo=0.0, hi=1.0, step=0.05)
    seed: int = setting(0, "Data seed", lo=0, hi=9999)
    lr: float = learning_rate()
    regime: str = setting("own", "Regime", choices=REGIMES,
                          help="own: each method where it was made to help; plain: clean labels, every class seen")


def data(cfg: BeyondConfig):
    """The page's dataset: 5 overlapping blobs, 2000 points."""
    return make_dataset("blobs", n=2000, noise=0.0, seed=cfg.seed, train_ratio=0.7)


def students_data(cfg: BeyondConfig, topic: str, ds):
    """The students' training set of a topic in the chosen regime (validation and test untouched)."""
    if cfg.regime not in REGIMES:
        raise ValueError(f"unknown regime {cfg.regime!r}; choose one of {', '.join(REGIMES)}")
    if cfg.regime == "plain" or topic == "multi":
        return ds
    return few_labels(ds, LABELS_PER_CLASS, cfg.seed) if topic == "ema" else flip_labels(ds, NOISE, cfg.seed)


def regime_sentence(cfg: BeyondConfig) -> str:
    """What the chosen regime trains on, in one sentence for the page."""
    if cfg.regime == "plain":
        return "Regime *plain*: clean labels for every student, and a committee of unequal teachers."
    return (f"Regime *own*: a committee of {len(WEAK_TEACHERS)} weak teachers, each trained on its own third of the "
            f"data; {NOISE:.0%} of the labels flipped for mutual learning and born-again; {LABELS_PER_CLASS} labels "
            f"per class (every other point unlabelled) and Gaussian input noise of std {EMA_NOISE:g} on the teacher's "
            "view for the mean teacher, beside the labels-only student.")


def committee_widths(cfg: BeyondConfig) -> tuple[tuple[int, ...], ...]:
    """The hidden widths of the multi-teacher topic's teachers in the chosen regime, one tuple per teacher."""
    return TEACHER_WIDTHS if cfg.regime == "plain" else WEAK_TEACHERS


def committee_parts(cfg: BeyondConfig) -> int:
    """Into how many disjoint parts the training data is cut, one per teacher (1: every teacher sees all of it)."""
    return 1 if cfg.regime == "plain" else len(WEAK_TEACHERS)


def committee(cfg: BeyondConfig, ds, device, hook=None) -> list:
    """The teachers of the multi-teacher topic: unequal ones (plain), or weak ones on disjoint thirds (own);
    ``hook``: their training runs' step hook."""
    widths, n = committee_widths(cfg), committee_parts(cfg)
    if n == 1:
        return [train_teacher(ds, TeacherConfig(hidden=h, steps=1000, seed=cfg.seed + i), device, hook)
                for i, h in enumerate(widths)]
    parts = torch.randperm(len(ds.y_train), generator=torch.Generator().manual_seed(cfg.seed),
                           device="cpu").chunk(n)
    return [train_teacher(replace(ds, x_train=ds.x_train[p], y_train=ds.y_train[p]),
                          TeacherConfig(hidden=h, steps=1000, seed=cfg.seed + i), device, hook)
            for i, (h, p) in enumerate(zip(widths, parts))]


def seeds_of(cfg: BeyondConfig) -> list[int]:
    """The students' seeds."""
    return [cfg.seed * 100 + k for k in range(cfg.seeds)]


@dataclass
class MultiResult:
    """Several teachers: where they disagree, how each rule combines them, and students per rule over seeds."""

    teacher_grids: np.ndarray  # (M, GRID, GRID, C) each teacher's probabilities
    disagreement: np.ndarray  # (GRID, GRID) mean share of teacher pairs that disagree
    rule_grids: dict[str, np.ndarray]  # rule -> (GRID, GRID, C) combined probabilities
    dominant: np.ndarray  # (GRID, GRID) the teacher dominating the confidence rule
    teacher_acc: list[float]
    labels: list[str]  # one per student role
    methods: list[str]  # the engine method of each role
    acc: np.ndarray  # (roles, S) test accuracy
    frac_disagree: float  # share of the plane where any two teachers disagree
    status: list[str] | None = None  # per student (roles x S, role-major): "ok", or how it diverged or did not learn
    weights: list[dict] | None = None  # [Population.arrays()] of the students, in the same order
    failed: list[str] = field(default_factory=list)  # students that diverged or did not learn (learned.run_failures)
    teacher_widths: list[tuple[int, ...]] = field(default_factory=list)  # each teacher's hidden widths, as trained
    teacher_parts: int = 1  # each teacher trained on its own 1/teacher_parts of the training data (1: all of it)
    n_test: int = 0  # test points each accuracy was measured on


@dataclass
class MutualResult:
    """A cohort with mutual learning against the same students trained independently."""

    acc: np.ndarray  # (2, S): independent, mutual
    agreement: np.ndarray  # (2, S) mean top-1 agreement with peers
    labels: list[str]
    status: list[str] | None = None  # per student (2 x S)
    weights: list[dict] | None = None  # [Population.arrays()] in the same order
    failed: list[str] = field(default_factory=list)  # students that diverged or did not learn


@dataclass
class EmaResult:
    """Students with an EMA teacher at several decays, over time."""

    decays: list[float]
    steps: np.ndarray  # (R,)
    student_acc: np.ndarray  # (D, S, R)
    teacher_acc: np.ndarray  # (D, S, R)
    distance: np.ndarray  # (D, S, R) ||teacher - student|| / ||student|| in weight space
    lag_steps: list[float]  # per decay: how many steps old the teacher's weights are on average at the end (ema_lag)
    baseline_acc: np.ndarray | None = None  # (S,) the same students trained on the labelled points alone
    status: list[str] | None = None  # per student: the D x S EMA students, then the S labels-only ones
    weights: list[dict] | None = None  # [Population.arrays()] in the same order
    failed: list[str] = field(default_factory=list)  # students that diverged or did not learn


@dataclass
class BornAgainResult:
    """Generation 0 on labels, then each generation distilled from the one before."""

    acc: np.ndarray  # (G + 1, S)
    status: list[str] | None = None  # per student, generation-major
    weights: list[dict] | None = None  # one Population.arrays() per generation (S members each)
    failed: list[str] = field(default_factory=list)  # students that diverged or did not learn


@dataclass
class BeyondSnapshot:
    """The topics finished so far, and the plane they are drawn on."""

    progress: float
    plane: Plane
    results: dict = field(default_factory=dict)  # topic -> its result dataclass, as they finish


def judged(students: PopulationRun, labels: list[str]) -> tuple[list[str], list[str]]:
    """(each member's status: "ok" or why it failed; the failed ones named by ``labels``, one per member), from one
    learned.run_failures of the run."""
    why = learned.run_failures(students)
    return [w or "ok" for w in why], learned.named(labels, why)


def seed_labels(roles: list[str], seeds: int) -> list[str]:
    """One label per member of roles x seeds, role-major: "kd, seed 0", "kd, seed 1", ..."""
    return [f"{role}, seed {k}" for role in roles for k in range(seeds)]


def multi_teacher(cfg: BeyondConfig, ds, device, hook=None) -> MultiResult:
    """Teachers' disagreement on the plane, each rule's combined decision there, and students per rule over seeds
    (``hook``: every training run's step hook, as for each topic)."""
    teachers = committee(cfg, ds, device, hook)
    ext = plane_extent(ds.x_train)
    probs = np.stack([grid_predictions(t, *ext, resolution=GRID).probs for t in teachers])  # (M, H, W, C)
    top = probs.argmax(-1)  # (M, H, W)
    disagree = (top[:, None] != top[None]).mean((0, 1)) * len(top) / max(len(top) - 1, 1)  # mean pairwise, (H, W)
    logp = torch.from_numpy(np.log(np.clip(probs, 1e-12, None)))  # log-probs as logits (softmax-invariant)
    rules = {r: combine_teachers(logp.flatten(1, 2), r, 1.0, sharpness=5.0) for r in RULES}
    rule_grids = {r: mix.log_probs.exp().view(GRID, GRID, -1).numpy() for r, mix in rules.items()}
    dominant = rules["confidence"].dominant.view(GRID, GRID).numpy()
    methods = [("baseline", {}), ("kd", {})] + [("multi_teacher", {"rule": r}) for r in RULES]
    members = [MemberConfig(m, T=cfg.T, alpha=cfg.alpha, lr=cfg.lr, seed=s, options=o) for m, o in methods for s in seeds_of(cfg)]
    students = PopulationRun(ds, teachers[0], STUDENT, members, device=device, teachers=teachers,
                             record_every=cfg.steps, hook=hook)
    students.step(cfg.steps)
    flat = students.evaluate("test")["accuracy"]  # (M * S,)
    acc = flat.reshape(len(methods), cfg.seeds)
    test_acc = [float(t.info["test_acc"]) for t in teachers]
    labels = ([NOTES["baseline"].name, f"{NOTES['kd'].name} from teacher 1 alone"]
              + [f"{NOTES['multi_teacher'].name}: {RULE_NAMES[r]}" for r in RULES])
    status, failed = judged(students, seed_labels(labels, cfg.seeds))
    return MultiResult(probs.astype(np.float32), disagree.astype(np.float32),
                       {r: g.astype(np.float32) for r, g in rule_grids.items()}, dominant, test_acc,
                       labels, [m for m, _ in methods], acc, float((disagree > 0).mean()), status,
                       [students.population.arrays()], failed, [tuple(t.sizes[1:-1]) for t in teachers],
                       committee_parts(cfg), len(ds.y_test))


PARTS = {1: "all the training data", 2: "its own half of the training data", 3: "its own third of the training data",
         4: "its own quarter of the training data"}  # what each teacher of a committee cut into n parts trains on


def hidden_words(widths) -> str:
    """A network's hidden layers in words: (8,) -> "1 hidden layer of 8 units", (128, 128) -> "2 hidden layers of
    128 units", (64, 32) -> "2 hidden layers of 64 and 32 units"."""
    units = f"{widths[0]} unit{'s' if widths[0] != 1 else ''}" if len(set(widths)) == 1 else \
        ", ".join(map(str, widths[:-1])) + f" and {widths[-1]} units"
    return f"{count(len(widths), 'hidden layer')} of {units}"


def teachers_sentence(m: MultiResult) -> str:
    """Who the committee is, from the run: how many teachers, their hidden layers as trained, what data each saw,
    and each one's test accuracy."""
    w, n = m.teacher_widths, len(m.teacher_acc)
    data = PARTS.get(m.teacher_parts, f"its own 1/{m.teacher_parts} of the training data")
    acc = [f"{a:.0%}" for a in m.teacher_acc]
    if len(set(w)) == 1:
        listed = f"{', '.join(acc[:-1])} and {acc[-1]}" if n > 1 else acc[0]
        return f"{n} teachers, each with {hidden_words(w[0])} and trained on {data} (test accuracy {listed})"
    return (f"{n} teachers of different sizes, each trained on {data} ("
            + "; ".join(f"teacher {i + 1}: {hidden_words(h)}, {a} test accuracy"
                        for i, (h, a) in enumerate(zip(w, acc)))
            + ")")


def one_teacher_name(m: MultiResult) -> str:
    """The teacher the single-teacher KD students learn from (teacher 1), in words: the largest one where it is."""
    sizes = [sum(h) for h in m.teacher_widths]
    largest = ", the largest" if sizes and sizes[0] > max(sizes[1:], default=-1) else ""
    return f"teacher 1 alone ({hidden_words(m.teacher_widths[0])}{largest}, {m.teacher_acc[0]:.0%} test accuracy)"


def committee_label(m: MultiResult) -> str:
    """What the tab's verdict compares: students of the committee (the default rule) against students of teacher 1."""
    return (f"Students of the committee ({RULE_NAMES[RULE]}) vs students of {one_teacher_name(m)}")


def committee_effect(m: MultiResult):
    """The paired effect of the committee's students (the default rule) over teacher 1's students."""
    return paired(m.acc[1], m.acc[2 + RULES.index(RULE)], n_test=m.n_test or None)


def baseline_sentence(m: MultiResult) -> str:
    """Where the baseline (labels alone, no KD) stands against every distilled student of the topic, in words.

    Accuracies are compared as counts of correct test predictions summed over seeds (whole numbers, so a tie is
    exact); "beats every distilled student" needs each paired verdict to be clear (kdviz.experiments.stats). Empty
    when a student failed (the tab then says the run is not judged) or the test-set size is unknown.
    """
    if m.failed or not m.n_test:
        return ""
    s = m.acc.shape[1]
    correct = np.rint(np.asarray(m.acc, dtype=np.float64) * m.n_test).astype(int).sum(1)  # (roles,) over seeds
    base, rest = correct[0], range(1, len(correct))
    top = max(correct[i] for i in rest)
    base_pct, top_pct = (f"{c / (s * m.n_test):.1%}" for c in (base, top))
    who = f"the {NOTES['baseline'].name.lower()} (labels alone, no KD: {base_pct})"
    head = who[0].upper() + who[1:]
    best = " and ".join(f"*{m.labels[i]}*" for i in rest if correct[i] == top)  # every distilled role at the top

    def apart(more: bool) -> str:
        return (f"{count(abs(int(top - base)), 'correct test prediction')} {'more' if more else 'fewer'}, summed over "
                f"{count(s, 'seed')} of {m.n_test} test points each")

    directions = {i: paired(m.acc[0], m.acc[i], n_test=m.n_test).direction for i in rest}
    if all(d == WORSE for d in directions.values()):
        return (f"**{head} beats every distilled student here**, each of them on every seed by more than the seed "
                f"spread; the best distilled student, {best}, reaches {top_pct} ({apart(False)}).")
    if top < base:
        unclear = [m.labels[i] for i in rest if directions[i] != WORSE]
        return (f"{head} has the highest accuracy here: every distilled student is below it (the best, {best}, at "
                f"{top_pct}: {apart(False)}), though not clearly for {', '.join(f'*{u}*' for u in unclear)} (within "
                "the seed spread, or too few test points to tell).")
    if top == base:
        tied = [m.labels[i] for i in rest if correct[i] == base]
        who_tied = "every distilled student" if len(tied) == len(rest) else ", ".join(f"*{t}*" for t in tied)
        return (f"{head} ties {who_tied}: the same number of correct test predictions summed over "
                f"{count(s, 'seed')}; no distilled student is above it.")
    clear = [m.labels[i] for i in rest if directions[i] == BETTER]
    if clear:
        return f"Above {who} on every seed, by more than the seed spread: {', '.join(f'*{c}*' for c in clear)}."
    return (f"No distilled student beats {who} beyond the seed spread; the best, {best}, reaches {top_pct} "
            f"({apart(True)}).")


def agreement(z: np.ndarray) -> np.ndarray:
    """Mean pairwise top-1 agreement between members of a cohort: z (S, N, C) -> per member (S,)."""
    top = z.argmax(-1)  # (S, N)
    same = (top[:, None] == top[None]).mean(-1)  # (S, S)
    s = len(top)
    return (same.sum(1) - 1) / (s - 1)


def mutual(cfg: BeyondConfig, ds, device, hook=None) -> MutualResult:
    """A cohort trained with mutual learning against the same students trained independently (paired seeds)."""
    members = [MemberConfig(m, T=1.0, lr=cfg.lr, seed=s) for m in ("baseline", "mutual") for s in seeds_of(cfg)]
    students = PopulationRun(ds, None, STUDENT, members, device=device, record_every=cfg.steps,
                             hook=hook).step(cfg.steps)
    flat = students.evaluate("test")["accuracy"]
    acc = flat.reshape(2, cfg.seeds)
    z = students.logits(students.ds.x_test).cpu().numpy().reshape(2, cfg.seeds, len(ds.y_test), -1)
    labels = [f"{NOTES['baseline'].name}, trained independently", NOTES["mutual"].name]
    status, failed = judged(students, seed_labels(labels, cfg.seeds))
    return MutualResult(acc, np.stack([agreement(z[0]), agreement(z[1])]), labels, status,
                        [students.population.arrays()], failed)


def _weights(params) -> torch.Tensor:
    """Every member's parameters as one (K, P) matrix."""
    return torch.cat([p.detach().reshape(p.shape[0], -1) for p in params], 1)


def ema(cfg: BeyondConfig, ds, device, hook=None, chunks: int = 20) -> EmaResult:
    """Students with an EMA teacher at several decays: accuracy of student and teacher over time, and the lag."""
    noise = EMA_NOISE if cfg.regime == "own" else 0.0  # the teacher's view of the inputs is noised in its own regime
    members = [MemberConfig("ema", lr=cfg.lr, seed=s, options={"decay": d, "weight": 1.0, "noise": noise})
               for d in DECAYS for s in seeds_of(cfg)]
    n = len(members)  # the EMA students; the labels-only students follow
    members += [MemberConfig("baseline", lr=cfg.lr, seed=s) for s in seeds_of(cfg)]
    students = PopulationRun(ds, None, STUDENT, members, device=device, record_every=cfg.steps, hook=hook)
    per = max(1, cfg.steps // chunks)
    steps, stud, teach, dist = [], [], [], []
    xt, yt = students.ds.x_test, students.ds.y_test
    while students.t < cfg.steps:
        students.step(min(per, cfg.steps - students.t))
        pop = students.method_state("ema").teachers
        with torch.no_grad():
            stud.append(metrics.accuracy(students.logits(xt), yt).cpu().numpy())
            teach.append(metrics.accuracy(pop(xt), yt).cpu().numpy())
            flat_t, flat_s = _weights(pop.parameters()), _weights(students.population.parameters())[:n]
            dist.append((torch.linalg.vector_norm(flat_t - flat_s, dim=1)
                         / torch.linalg.vector_norm(flat_s, dim=1)).cpu().numpy())
        steps.append(students.t)
    k = len(DECAYS)

    def shape(a):
        return np.stack([v[:n] for v in a], -1).reshape(k, cfg.seeds, -1)  # (D, S, R): the EMA students

    labels = seed_labels([f"student, decay {d:g}" for d in DECAYS] + ["labels alone"], cfg.seeds)
    status, failed = judged(students, labels)
    return EmaResult(list(DECAYS), np.array(steps), shape(stud), shape(teach), shape(dist),
                     [ema_lag(cfg.steps, d) for d in DECAYS], stud[-1][n:], status,
                     [students.population.arrays()], failed)


def ema_lag(steps: int, decay: float) -> float:
    """How many steps old, on average, the EMA teacher's weights are after ``steps`` optimiser steps.

    The teacher is a weighted average of the student's iterates; with the decay that trains,
    gamma_t = min(1 - 1/(t+1), decay) (kdviz.paradigms.mean_teacher.ema_decay), its mean age
    obeys lag_t = gamma_t (lag_{t-1} + 1): the plain average of all iterates (lag ~ t/2) while
    t < 1/(1 - decay), then lag -> decay / (1 - decay).
    """
    lag = 0.0
    for t in range(steps):
        lag = ema_decay(t, decay) * (lag + 1.0)
    return lag


EMA_LIMIT_RTOL = 0.05  # a lag within this fraction of decay / (1 - decay) is "close to its limit"


def ema_lag_sentence(decays, lags, steps: int) -> str:
    """The EMA teacher's lag in words, each number computed by ema_lag for this run's steps; "close to its limit"
    only where the lag is within EMA_LIMIT_RTOL of decay / (1 - decay)."""
    parts = []
    for d, lag in zip(decays, lags):
        limit = d / (1 - d)
        if abs(lag - limit) <= EMA_LIMIT_RTOL * limit:
            regime = f"close to its limit decay / (1 - decay) = {limit:.0f}"
        elif steps < 1 / (1 - d):
            regime = f"the plain average of all iterates so far; its limit is {limit:.0f}"
        else:
            regime = f"{lag / limit:.0%} of its limit decay / (1 - decay) = {limit:.0f}, still rising"
        parts.append(f"**{lag:.0f} steps** at decay {d:g} ({regime})")
    return (f"After {steps} steps the EMA teacher's weights are on average " + ", ".join(parts) + " old. The decay "
            "that trains is min(1 - 1/(t+1), decay): until t reaches about 1/(1 - decay) the teacher is the plain "
            "average of the student's iterates (a lag of about t/2); after that the lag approaches decay / "
            "(1 - decay), reaching it only several times 1/(1 - decay) steps later.")


def born_again(cfg: BeyondConfig, ds, device, hook=None) -> BornAgainResult:
    """Generation 0 on labels; generation g distils from generation g-1 (same seed, same architecture)."""
    seeds = seeds_of(cfg)
    gen = PopulationRun(ds, None, STUDENT, [MemberConfig("baseline", lr=cfg.lr, seed=s) for s in seeds],
                        device=device, record_every=cfg.steps, hook=hook).step(cfg.steps)
    accs, weights = [gen.evaluate("test")["accuracy"]], [gen.population.arrays()]
    status, failed = judged(gen, seed_labels(["generation 0"], len(seeds)))
    for g in range(1, cfg.generations + 1):
        prev = gen.logits(gen.ds.x_train)  # (S, N, C)
        members = [MemberConfig("born_again", T=cfg.T, alpha=cfg.alpha, lr=cfg.lr, seed=s + 1000 * g) for s in seeds]
        gen = PopulationRun(ds, None, STUDENT, members, device=device, targets={k: prev[k] for k in range(len(seeds))},
                            record_every=cfg.steps, hook=hook).step(cfg.steps)
        accs.append(gen.evaluate("test")["accuracy"])
        weights.append(gen.population.arrays())
        more_status, more_failed = judged(gen, seed_labels([f"generation {g}"], len(seeds)))
        status, failed = status + more_status, failed + more_failed
    return BornAgainResult(np.stack(accs), status, weights, failed)


TOPIC_RUNS = {"multi": multi_teacher, "mutual": mutual, "ema": ema, "born_again": born_again}
TOPIC_METHODS = {"multi": "multi_teacher", "mutual": "mutual", "ema": "ema", "born_again": "born_again"}


def topic_names() -> list[str]:
    """The page's tab titles, one per topic: the display name of the paradigm each topic is about."""
    return [NOTES[TOPIC_METHODS[t]].name for t in TOPICS]


def run(cfg: BeyondConfig, device: str | None = None, hook=None) -> Iterator[BeyondSnapshot]:
    """The four topics in turn, a snapshot after each (the scene alone first); ``hook``: called before each training
    step (a job's preemption point), or None."""
    dev = resolve_device(device)
    ds = data(cfg)
    snap = BeyondSnapshot(0.0, Plane.of(ds, GRID, SHOWN_POINTS))
    yield snap
    for i, topic in enumerate(TOPICS):
        result = TOPIC_RUNS[topic](cfg, students_data(cfg, topic, ds), dev, hook)
        snap = replace(snap, progress=(i + 1) / len(TOPICS), results={**snap.results, topic: result})
        yield snap




def _places(cfg: BeyondConfig, snap: BeyondSnapshot) -> list[tuple[dict, object, int, int]]:
    """Every student of the finished topics in order: (its row without status, its result, run, member)."""
    seeds, out = seeds_of(cfg), []
    kd = {"T": cfg.T, "alpha": cfg.alpha}
    none = {"T": None, "alpha": None}
    r = snap.results
    if "multi" in r:
        m = r["multi"]
        out += [({"role": m.labels[i], "method": meth, "seed": s, **(none if meth == "baseline" else kd),
                  "accuracy": float(m.acc[i, j])}, m, 0, i * len(seeds) + j)
                for i, meth in enumerate(m.methods) for j, s in enumerate(seeds)]
    if "mutual" in r:
        u = r["mutual"]
        out += [({"role": u.labels[i], "method": meth, "seed": s, **(none if meth == "baseline" else {"T": 1.0, "alpha": None}),
                  "accuracy": float(u.acc[i, j]), "agreement": float(u.agreement[i, j])}, u, 0, i * len(seeds) + j)
                for i, meth in enumerate(("baseline", "mutual")) for j, s in enumerate(seeds)]
    if "ema" in r:
        e = r["ema"]
        out += [({"role": f"student of an EMA teacher, decay {d:g}", "method": "ema", "decay": d, "seed": s, **none,
                  "accuracy": float(e.student_acc[i, j, -1]), "teacher_accuracy": float(e.teacher_acc[i, j, -1]),
                  "distance": float(e.distance[i, j, -1])}, e, 0, i * len(seeds) + j)
                for i, d in enumerate(e.decays) for j, s in enumerate(seeds)]
        if e.baseline_acc is not None:
            out += [({"role": "labels only", "method": "baseline", "seed": s, **none, "accuracy": float(e.baseline_acc[j])},
                     e, 0, len(e.decays) * len(seeds) + j) for j, s in enumerate(seeds)]
    if "born_again" in r:
        b = r["born_again"]
        out += [({"role": f"generation {g}", "method": "baseline" if g == 0 else "born_again", "generation": g,
                  "seed": s + 1000 * g, **(none if g == 0 else kd), "accuracy": float(b.acc[g, j])}, b, g, j)
                for g in range(len(b.acc)) for j, s in enumerate(seeds)]
    return out


def students(cfg: BeyondConfig, snap: BeyondSnapshot) -> list[dict]:
    """One row per student of the finished topics: topic, role, method, seed, T, alpha, status, test accuracy
    (plus peer agreement for mutual learning, and the EMA teacher's accuracy and distance for the mean teacher)."""
    topic_of = {id(res): t for t, res in snap.results.items()}
    rows = []
    for row, res, run_, k in _places(cfg, snap):
        i = sum(len(w["weight"][0]) for w in (res.weights or [])[:run_]) + k  # position in the topic's status
        status = res.status[i] if res.status is not None else None
        rows.append({"topic": topic_of[id(res)], "dataset": "blobs", "steps": cfg.steps, **row, "status": status})
    return rows


def student_weights(cfg: BeyondConfig, snap: BeyondSnapshot, i: int) -> tuple[dict, int] | None:
    """(Population.arrays(), member) of the student in row i of students(), None when its weights are not kept."""
    _, res, run_, k = _places(cfg, snap)[i]
    return None if res.weights is None else (res.weights[run_], k)


EXPERIMENT = Experiment("beyond", "Beyond one teacher: committees, cohorts, EMA teachers, born-again generations",
                        BeyondConfig, run, BeyondSnapshot, students=students, weights=student_weights)
