"""Beyond one teacher: several teachers, mutual learning, a mean (EMA) teacher, born-again generations.

One job computes the four topics of the page in turn on 5 overlapping blobs (every class seen),
each over several seeds, and emits a snapshot after each topic. Numbers only; no streamlit.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from kdviz.data import make_dataset
from kdviz.losses import RULES, combine_teachers
from kdviz.methods import ParadigmRun, ema_teacher

TEACHER_WIDTHS = ((128, 128), (8,), (3,))  # a committee of unequal teachers: they disagree near the boundaries
DECAYS = (0.9, 0.99, 0.999)
GRID = 50
TOPICS = ("multi", "mutual", "ema", "born_again")


@dataclass
class BeyondConfig:
    """What the Beyond one teacher page trains (round-tripped through the URL)."""

    steps: int = field(default=800, metadata={"lo": 50, "hi": 3000})  # steps per student
    seeds: int = field(default=3, metadata={"lo": 2, "hi": 5})
    generations: int = field(default=3, metadata={"lo": 1, "hi": 5})  # born-again generations after the first
    T: float = field(default=4.0, metadata={"lo": 1.0, "hi": 20.0})
    alpha: float = field(default=0.1, metadata={"lo": 0.0, "hi": 1.0})
    seed: int = field(default=0, metadata={"lo": 0, "hi": 9999})


def data(cfg: BeyondConfig):
    """The page's dataset: 5 overlapping blobs, 2000 points."""
    return make_dataset("blobs", n=2000, noise=0.0, seed=cfg.seed, train_ratio=0.7)


def _seeds(cfg: BeyondConfig) -> list[int]:
    return [cfg.seed * 100 + k for k in range(cfg.seeds)]


def extent(ds) -> tuple[tuple[float, float], tuple[float, float]]:
    """Plot range around the training points."""
    x = ds.x_train.cpu().numpy()
    lo, hi = x.min(0) - 0.5, x.max(0) + 0.5
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def multi_teacher(cfg: BeyondConfig, ds, device) -> dict:
    """Teachers' disagreement on the plane, each rule's combined decision there, and students per rule over seeds."""
    from kdviz.train import MemberConfig, TeacherConfig, grid_predictions, model_logits, train_teacher

    teachers = [train_teacher(ds, TeacherConfig(hidden=h, steps=1000, seed=cfg.seed + i), device)
                for i, h in enumerate(TEACHER_WIDTHS)]
    ext = extent(ds)
    grids = [grid_predictions(t, *ext, resolution=GRID) for t in teachers]
    probs = np.stack([g.probs for g in grids])  # (M, H, W, C)
    top = probs.argmax(-1)  # (M, H, W)
    disagree = (top[:, None] != top[None]).mean((0, 1)) * len(top) / max(len(top) - 1, 1)  # mean pairwise, (H, W)
    import torch
    logp = torch.from_numpy(np.log(np.clip(probs, 1e-12, None)))  # log-probs as logits (softmax-invariant)
    rules = {r: combine_teachers(logp.flatten(1, 2), r, 1.0, sharpness=5.0) for r in RULES}
    rule_grids = {r: mix.log_probs.exp().view(GRID, GRID, -1).numpy() for r, mix in rules.items()}
    dominant = rules["confidence"].dominant.view(GRID, GRID).numpy()
    methods = [("baseline", {}), ("kd", {})] + [("multi_teacher", {"rule": r}) for r in RULES]
    members = [MemberConfig(m, T=cfg.T, alpha=cfg.alpha, seed=s, options=o) for m, o in methods for s in _seeds(cfg)]
    run = ParadigmRun(ds, teachers[0], (32,), members, device=device, teachers=teachers, record_every=cfg.steps)
    run.step(cfg.steps)
    acc = run.evaluate("test")["accuracy"].reshape(len(methods), cfg.seeds)
    test_acc = [float((model_logits(t, ds.x_test.to(device)).argmax(-1) == ds.y_test.to(device)).float().mean())
                for t in teachers]
    return {"teacher_grids": probs.astype(np.float32), "disagreement": disagree.astype(np.float32),
            "rule_grids": {r: g.astype(np.float32) for r, g in rule_grids.items()}, "dominant": dominant,
            "teacher_acc": test_acc, "labels": ["baseline", "kd (big teacher)"] + [f"multi: {r}" for r in RULES],
            "acc": acc, "frac_disagree": float((disagree > 0).mean())}


def _agreement(z: np.ndarray) -> np.ndarray:
    """Mean pairwise top-1 agreement between members of a cohort: z (S, N, C) -> per member (S,)."""
    top = z.argmax(-1)  # (S, N)
    same = (top[:, None] == top[None]).mean(-1)  # (S, S)
    s = len(top)
    return (same.sum(1) - 1) / (s - 1)


def mutual(cfg: BeyondConfig, ds, device) -> dict:
    """A cohort trained with mutual learning against the same students trained independently (paired seeds)."""
    from kdviz.train import MemberConfig, PopulationRun

    members = [MemberConfig(m, T=1.0, seed=s) for m in ("baseline", "mutual") for s in _seeds(cfg)]
    run = PopulationRun(ds, None, (32,), members, device=device, record_every=cfg.steps).step(cfg.steps)
    acc = run.evaluate("test")["accuracy"].reshape(2, cfg.seeds)
    z = run._forward_eval(run.ds.x_test).cpu().numpy().reshape(2, cfg.seeds, len(ds.y_test), -1)
    return {"acc": acc, "agreement": np.stack([_agreement(z[0]), _agreement(z[1])]),
            "labels": ["independent", "mutual learning"]}


def ema(cfg: BeyondConfig, ds, device, chunks: int = 20) -> dict:
    """Students with an EMA teacher at several decays: accuracy of student and teacher over time, and the lag."""
    import torch

    from kdviz import metrics
    from kdviz.train import MemberConfig

    members = [MemberConfig("ema", seed=s, options={"decay": d, "weight": 1.0}) for d in DECAYS for s in _seeds(cfg)]
    run = ParadigmRun(ds, None, (32,), members, device=device, record_every=cfg.steps)
    per = max(1, cfg.steps // chunks)
    steps, stud, teach, dist = [], [], [], []
    xt, yt = run.ds.x_test, run.ds.y_test
    while run.t < cfg.steps:
        run.step(min(per, cfg.steps - run.t))
        pop = ema_teacher(run)
        with torch.no_grad():
            stud.append(metrics.accuracy(run._forward_eval(xt), yt).cpu().numpy())
            teach.append(metrics.accuracy(pop(xt), yt).cpu().numpy())
            flat_t = torch.cat([p.reshape(p.shape[0], -1) for p in pop.parameters()], 1)
            flat_s = torch.cat([p.detach().reshape(p.shape[0], -1) for p in run.population.parameters()], 1)
            dist.append((torch.linalg.vector_norm(flat_t - flat_s, dim=1)
                         / torch.linalg.vector_norm(flat_s, dim=1)).cpu().numpy())
        steps.append(run.t)
    k = len(DECAYS)
    shape = lambda a: np.stack(a, -1).reshape(k, cfg.seeds, -1)  # noqa: E731  (D, S, R)
    return {"decays": list(DECAYS), "steps": np.array(steps), "student_acc": shape(stud), "teacher_acc": shape(teach),
            "distance": shape(dist), "lag_steps": [1 / (1 - d) for d in DECAYS]}


def born_again(cfg: BeyondConfig, ds, device) -> dict:
    """Generation 0 on labels; generation g distils from generation g-1 (same seed, same architecture)."""
    from kdviz.train import MemberConfig, PopulationRun

    seeds = _seeds(cfg)
    run = PopulationRun(ds, None, (32,), [MemberConfig("baseline", seed=s) for s in seeds], device=device,
                        record_every=cfg.steps).step(cfg.steps)
    accs = [run.evaluate("test")["accuracy"]]
    for g in range(1, cfg.generations + 1):
        prev = run._forward_eval(run.ds.x_train)  # (S, N, C)
        members = [MemberConfig("born_again", T=cfg.T, alpha=cfg.alpha, seed=s + 1000 * g) for s in seeds]
        run = ParadigmRun(ds, None, (32,), members, device=device, targets={k: prev[k] for k in range(len(seeds))},
                          record_every=cfg.steps).step(cfg.steps)
        accs.append(run.evaluate("test")["accuracy"])
    return {"acc": np.stack(accs)}  # (G + 1, S)


def train_beyond(config: dict, emit, control) -> None:
    """Job task: the four topics in turn, a snapshot after each ({"multi": ..., "progress": ...})."""
    from kdviz.device import resolve_device

    cfg = BeyondConfig(**{k: v for k, v in config.items() if k != "device"})
    device = resolve_device(config.get("device"))
    ds = data(cfg)
    out = {"extent": extent(ds), "points": ds.x_train.cpu().numpy()[:500], "labels": ds.y_train.cpu().numpy()[:500],
           "class_names": list(ds.class_names), "progress": 0.0}
    emit(dict(out))
    funcs = {"multi": multi_teacher, "mutual": mutual, "ema": ema, "born_again": born_again}
    for i, name in enumerate(TOPICS):
        if not control.proceed():
            return
        out[name] = funcs[name](cfg, ds, device)
        out["progress"] = (i + 1) / len(TOPICS)
        emit(dict(out))


def task(cfg: BeyondConfig, device: str | None = None) -> tuple[str, dict]:
    """The (function path, picklable config) pair for the job pool."""
    return "kdviz.lessons.teachers:train_beyond", {**dataclasses.asdict(cfg), "device": device}


def spread(a: np.ndarray) -> str:
    """'mean ± std' of fractions, in percent."""
    sd = a.std(ddof=1) if len(a) > 1 else 0.0
    return f"{a.mean() * 100:.1f} ± {sd * 100:.1f}"


def paired_verdict(a: np.ndarray, b: np.ndarray, what: str) -> str:
    """One sentence: is b - a (paired per seed) larger than its seed spread?"""
    g = b - a
    sd = g.std(ddof=1) if len(g) > 1 else float("nan")
    head = f"{what}: {g.mean() * 100:+.1f} ± {sd * 100:.1f} points (paired over {len(g)} seeds)"
    if len(g) > 1 and abs(g.mean()) > sd and (np.all(g > 0) or np.all(g < 0)):
        return head + ", the same sign on every seed and larger than the spread."
    return head + ": within the seed spread, no clear effect here."
