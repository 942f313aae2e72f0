"""Compare paradigms: every chosen KD method x several seeds as one population, beside the baseline.

Default regime (DESIGN.md): 5 overlapping blobs, the students never see class 3, T = 4,
alpha = 0.1, where Hinton's KD helps by ~+9 points here. Every method's students share initial
weights and batch order with the baseline students of the same seed, so gains are paired.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np

from kdviz.data import make_dataset
from kdviz.data.transforms import omit_class
from kdviz.methods import PARADIGMS, ParadigmRun
from kdviz.train.methods import METHODS

DATASETS = ("blobs", "moons", "circles", "spiral", "xor", "checkerboard", "digits")
CHOICES = ("kd", *PARADIGMS)  # methods a user may add beside the baseline
GRID = 50  # decision-region resolution
NAMES = {"baseline": "Baseline (labels only)", "kd": "KD (Hinton)", "dkd": "DKD", "fitnet": "FitNets",
         "attention": "Attention", "rkd": "RKD", "similarity": "Similarity", "multi_teacher": "Multi-teacher",
         "mutual": "Mutual learning", "born_again": "Born-again", "ema": "Mean teacher (EMA)"}


def parse_methods(text: str) -> tuple[str, ...]:
    """Parse "kd, dkd, fitnet" into a tuple of known method names (order kept, no duplicates)."""
    names = [p.strip() for p in str(text).replace(",", " ").split() if p.strip()]
    bad = [n for n in names if n not in CHOICES]
    if bad:
        raise ValueError(f"unknown method {bad[0]!r}; choose from {', '.join(CHOICES)}")
    if not names:
        raise ValueError("choose at least one method to compare with the baseline")
    return tuple(dict.fromkeys(names))


def _canonical(text: str) -> str:
    return ",".join(parse_methods(text))


@dataclass
class CompareConfig:
    """What the Compare paradigms page trains (round-tripped through the URL)."""

    dataset: str = field(default="blobs", metadata={"choices": DATASETS})
    methods: str = field(default="kd,dkd,fitnet,similarity,multi_teacher,mutual", metadata={"parse": _canonical})
    omit: int = field(default=3, metadata={"lo": -1, "hi": 9})  # class the students never see; -1: none
    T: float = field(default=4.0, metadata={"lo": 1.0, "hi": 20.0})
    alpha: float = field(default=0.1, metadata={"lo": 0.0, "hi": 1.0})  # weight of the hard-label term
    steps: int = field(default=1000, metadata={"lo": 50, "hi": 3000})
    seeds: int = field(default=3, metadata={"lo": 2, "hi": 5})  # students per method (mutual needs >= 2)
    seed: int = field(default=0, metadata={"lo": 0, "hi": 9999})  # data and teacher seed


def n_classes(dataset: str) -> int:
    """Number of classes of a page dataset."""
    return {"blobs": 5, "spiral": 3, "digits": 10}.get(dataset, 2)


def validate(cfg: CompareConfig) -> CompareConfig:
    """Check cross-field rules; ValueError with a message for the page."""
    parse_methods(cfg.methods)
    c = n_classes(cfg.dataset)
    if cfg.omit >= c:
        raise ValueError(f"{cfg.dataset} has {c} classes (0 to {c - 1}); the omitted class must be one of them or -1")
    if cfg.omit >= 0 and c == 2:
        raise ValueError(f"omitting a class of {cfg.dataset} leaves one class: choose -1 (none)")
    return cfg


def setup(cfg: CompareConfig) -> dict:
    """Architectures and training settings for a dataset: teacher/student widths, teacher config, lr, points."""
    from kdviz.train import TeacherConfig

    if cfg.dataset == "digits":
        return {"teacher": TeacherConfig(hidden=(256, 256), dropout=0.5, lr=1e-3, steps=1000, seed=cfg.seed),
                "student": (32,), "n": None, "extra": [(64,), (16,)]}
    return {"teacher": TeacherConfig(hidden=(128, 128), steps=1000, seed=cfg.seed), "student": (32,), "n": 2000,
            "extra": [(64,), (16,)]}


def build_data(cfg: CompareConfig):
    """(full dataset for the teachers, the students' transfer set)."""
    ds = make_dataset(cfg.dataset, n=setup(cfg)["n"] or 2000, noise=0.0, seed=cfg.seed, train_ratio=0.7)
    return ds, (omit_class(ds, cfg.omit) if cfg.omit >= 0 else ds)


def roles(cfg: CompareConfig) -> list[str]:
    """Methods of the population in order: the baseline first, then the chosen ones."""
    return ["baseline", *parse_methods(cfg.methods)]


def chunk_size(steps: int) -> int:
    """Steps between snapshots: about 25 redraws per run."""
    return max(10, math.ceil(steps / 25))


def build_run(cfg: CompareConfig, device=None, record_every: int | None = None):
    """(run, teacher, data) for a config: teachers trained (cached), born-again generation 0 trained first."""
    from kdviz.device import resolve_device
    from kdviz.train import MemberConfig, PopulationRun, TeacherConfig, train_teacher

    dev = resolve_device(device)
    s = setup(cfg)
    ds, sds = build_data(cfg)
    teacher = train_teacher(ds, s["teacher"], dev)
    methods = roles(cfg)
    extra = []
    if "multi_teacher" in methods:  # two more, smaller teachers: a committee that disagrees at the margins
        extra = [train_teacher(ds, TeacherConfig(hidden=h, dropout=s["teacher"].dropout, lr=s["teacher"].lr,
                                                 steps=1000, seed=cfg.seed + 1 + i), dev)
                 for i, h in enumerate(s["extra"])]
    seeds = [cfg.seed * 100 + k for k in range(cfg.seeds)]
    members = [MemberConfig(m, T=cfg.T, alpha=cfg.alpha, seed=sd) for m in methods for sd in seeds]
    targets = {}
    if "born_again" in methods:  # generation 0: the same students trained on labels alone
        gen0 = PopulationRun(sds, None, s["student"], [MemberConfig("baseline", seed=sd) for sd in seeds],
                             device=dev, record_every=cfg.steps).step(cfg.steps)
        z0 = gen0._forward_eval(gen0.ds.x_train)  # (S, N, C)
        first = methods.index("born_again") * cfg.seeds
        targets = {first + k: z0[k] for k in range(cfg.seeds)}
    run = ParadigmRun(sds, teacher, s["student"], members, device=dev, teachers=[teacher, *extra] if extra else None,
                      targets=targets, record_every=record_every or chunk_size(cfg.steps))
    return run, teacher, ds


def step_times(run, methods: list[str], seeds: int, steps: int = 20) -> dict[str, float]:
    """Milliseconds per training step of each method's students alone (a short separate timing run)."""
    out = {}
    for i, m in enumerate(methods):
        ix = list(range(i * seeds, (i + 1) * seeds))
        alone = ParadigmRun(run.ds, _teacher_model(run), run.hidden, [run.members[k] for k in ix],
                            device=run.device, teachers=getattr(run, "_teacher_models", None),
                            targets={j: run.targets[k] for j, k in enumerate(ix) if k in run.targets},
                            record_every=10_000)
        alone.step(2)  # warm-up (first-call setup: regressors, tables)
        t0 = time.perf_counter()
        alone.step(steps)
        out[m] = (time.perf_counter() - t0) / steps * 1000
    return out


def _teacher_model(run):
    """The teacher model the run was built from (kept on the run by train_compare)."""
    return getattr(run, "_teacher_model", None)


def train_compare(config: dict, emit, control) -> None:
    """Job task: train the population in chunks, emitting snapshots; at the end the metrics and step times.

    config: dataclasses.asdict(CompareConfig) plus optional "device".
    """
    from kdviz.train import grid_predictions

    cfg = validate(CompareConfig(**{k: v for k, v in config.items() if k != "device"}))
    emit({"phase": "teachers", "progress": 0.0})
    t0 = time.perf_counter()
    run, teacher, ds = build_run(cfg, config.get("device"))
    run._teacher_model = teacher
    run._teacher_models = None if run.teacher_set is None else list(run.teacher_set)
    methods = roles(cfg)
    base = {"phase": "students", "steps": cfg.steps, "methods": methods, "seeds": cfg.seeds,
            "class_names": list(ds.class_names), "device": str(run.device),
            "teacher_test_acc": float(teacher.info["test_acc"]), "setup_s": time.perf_counter() - t0}
    two_d = ds.n_features == 2
    if two_d:
        x = ds.x_train.cpu().numpy()
        lo, hi = x.min(0) - 0.5, x.max(0) + 0.5
        base["extent"] = ((float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])))
        base["points"], base["labels"] = x[:500], ds.y_train.cpu().numpy()[:500]
        base["teacher_grid"] = grid_predictions(teacher, *base["extent"], resolution=GRID).probs.astype(np.float32)
    t_train = 0.0
    while run.t < cfg.steps:
        if not control.proceed():
            return
        t1 = time.perf_counter()
        run.step(min(chunk_size(cfg.steps), cfg.steps - run.t))
        t_train += time.perf_counter() - t1
        snap = {**base, **run.snapshot(), "progress": run.t / cfg.steps, "train_s": t_train}
        if two_d:  # the first seed of each method
            probs = grid_predictions(run.population, *base["extent"], resolution=GRID).probs  # (K, H, W, C)
            snap["grids"] = probs[::cfg.seeds].astype(np.float32)
        if run.t >= cfg.steps:
            snap["final"] = run.evaluate("test")
            snap["ms_per_step"] = step_times(run, methods, cfg.seeds)
        emit(snap)


def task(cfg: CompareConfig, device: str | None = None) -> tuple[str, dict]:
    """The (function path, picklable config) pair for the job pool."""
    return "kdviz.lessons.paradigms:train_compare", {**dataclasses.asdict(cfg), "device": device}


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

    @property
    def verdict(self) -> str:
        """"better" / "worse" when every seed agrees and the mean gain exceeds its spread, else "within noise"."""
        g = self.gain
        if self.method == "baseline":
            return "reference"
        if len(g) > 1 and abs(g.mean()) > g.std(ddof=1) and (np.all(g > 0) or np.all(g < 0)):
            return "better" if g.mean() > 0 else "worse"
        return "within noise"


def summarise(snap: dict, omit: int) -> list[Row]:
    """The results table, one Row per method (needs snap["final"])."""
    fin, s, methods = snap["final"], snap["seeds"], snap["methods"]
    acc = fin["accuracy"].reshape(len(methods), s)  # (M, S)
    rows = []
    for i, m in enumerate(methods):
        sl = slice(i * s, (i + 1) * s)
        rows.append(Row(m, acc[i], acc[i] - acc[0], float(np.mean(fin["fidelity"][sl])),
                        float(np.mean(fin["kl_to_teacher"][sl])),
                        float(np.nanmean(fin["recall"][sl, omit])) if omit >= 0 else None,
                        float(snap["ms_per_step"][m]), [st for st in snap["status"][sl] if st != "ok"]))
    return rows


def table(rows: list[Row]) -> list[dict]:
    """Rows as plain records for st.dataframe (percent, 1 decimal)."""
    out = []
    for r in rows:
        sd = r.acc.std(ddof=1) if len(r.acc) > 1 else 0.0
        gsd = r.gain.std(ddof=1) if len(r.gain) > 1 else 0.0
        rec = {"method": NAMES.get(r.method, r.method), "test accuracy %": f"{r.acc.mean() * 100:.1f} ± {sd * 100:.1f}",
               "gain vs baseline (pts)": "" if r.method == "baseline" else f"{r.gain.mean() * 100:+.1f} ± {gsd * 100:.1f}",
               "verdict": r.verdict, "fidelity %": round(r.fidelity * 100, 1), "KL to teacher": round(r.kl, 3)}
        if r.recall_omitted is not None:
            rec["recall on unseen class %"] = round(r.recall_omitted * 100, 1)
        rec["ms / step"] = round(r.ms_per_step, 1)
        out.append(rec)
    return out


def takeaway(rows: list[Row]) -> str:
    """Plain sentences: which methods beat the baseline beyond the seed spread, and which did not."""
    groups = {v: [NAMES.get(r.method, r.method) for r in rows if r.verdict == v] for v in ("better", "within noise", "worse")}
    parts = []
    if groups["better"]:
        parts.append(f"Beat the baseline on every seed, by more than the seed spread: {', '.join(groups['better'])}.")
    if groups["within noise"]:
        parts.append(f"No difference from the baseline beyond the seed noise: {', '.join(groups['within noise'])}.")
    if groups["worse"]:
        parts.append(f"Worse than the baseline on every seed: {', '.join(groups['worse'])}.")
    return " ".join(parts)


def curves(snap: dict, metric: str = "test_acc") -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(steps (R,), {method: mean over seeds of the metric (R,)}) for learning curves."""
    h, s = snap["history"], snap["seeds"]
    return h["step"], {m: np.nanmean(h[metric][i * s:(i + 1) * s], axis=0) for i, m in enumerate(snap["methods"])}


def method_info(name: str):
    """(what it transfers, LaTeX formula, function computing it) for a method, from kdviz.losses.LOSS_NOTES."""
    from kdviz.losses import LOSS_FUNCTIONS, LOSS_NOTES

    key = {"ema": "mean_teacher"}.get(name, name)
    if key not in LOSS_NOTES:
        return ("Nothing from a teacher: cross-entropy on the labels alone.", r"\mathcal{L} = \mathrm{CE}(p, y)",
                "kdviz.train.methods.hard_loss")
    fn = LOSS_FUNCTIONS[key]
    return LOSS_NOTES[key].transfers, LOSS_NOTES[key].formula, f"{fn.__module__}.{fn.__name__}"


assert set(CHOICES) <= set(METHODS), "kdviz.methods registers every paradigm"
