"""Distilling a language model: character GRU students of one stored teacher, one per method and seed, beside
labels only.

Every student of a seed starts from the same weights and reads the same windows of CPython's documentation
(kdviz.lm.distil.Students); only its method differs. The run reports, at each evaluation point, every student's
held-out bits per character, top-1 agreement with the teacher, KL(teacher || student) and the probability it puts
where the teacher puts little; the "torn position" (a held-out position where the teacher's two most likely next
characters are close) with each student's distribution there; and samples of the teacher and of each method's
first student from one prompt and seed. At the end each method is judged against labels only over paired seeds
(kdviz.experiments.stats), and three claims of the papers are tested on the run (claims()).
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from kdviz.config import learning_rate, parse_list, setting, short
from kdviz.device import resolve_device
from kdviz.experiments.budget import Loop, evaluation, loops_of
from kdviz.experiments.protocol import Experiment, Phase
from kdviz.experiments.stats import NO_DIFFERENCE, NOT_SEEN, PairedEffect, claim_verdict, count, mean_std, paired
from kdviz.lm import teacher as lm_teacher
from kdviz.lm.corpus import decode, encode, python_docs
from kdviz.lm.distil import LOW, METHODS, DistilSettings, Students, held_out_metrics, own_text_bits
from kdviz.lm.losses import TOP_K_MODES
from kdviz.lm.model import Shape
from kdviz.softening import kl_from_log

NAMES = {"labels": "labels only", "forward_kl": "forward KL", "reverse_kl": "reverse KL", "jsd": "JSD(β)",
         "top_k": "top-k forward KL", "sequence": "sequence-level KD", "on_policy": "on-policy JSD(β)"}
EMBED = 16  # the students' embedding width
WINDOW, BATCH = 32, 16  # characters per training window, windows per step
EVAL_WINDOWS, EVAL_LENGTH = 24, 64  # the held-out windows every evaluation reads
SAMPLE_CHARS = 160  # characters each sample continues the prompt by
OWN_PROMPTS, OWN_CHARS = 16, 48  # own_text_bits at the end: prompts from the held-out text, characters written
TORN_MASS = 0.6  # a torn position's two leading characters hold at least this much of the teacher's probability
TORN_CONTEXT = 16  # characters of context a torn position has at least
SHOWN_CHARS = 8  # characters the torn position's figure shows (the teacher's most likely)
MOST = 0.5  # top-k "keeps most of the gain": at least this share of forward KL's


def parse_methods(text: str) -> tuple[str, ...]:
    """Parse "labels, forward_kl" into known method names (order kept, no duplicates, labels only always first)."""
    def one(name: str) -> str:
        if name not in METHODS:
            raise ValueError(f"a method; choose from {', '.join(METHODS)}")
        return name
    chosen = tuple(dict.fromkeys(parse_list(text, one, "method names")))
    return ("labels", *(m for m in chosen if m != "labels"))


def _canonical_methods(text: str) -> str:
    return ",".join(parse_methods(text))


def parse_prompt(text: str) -> str:
    """A prompt of 1 to 60 characters of the model's vocabulary (printable ASCII); ValueError saying what is wrong."""
    s = str(text)
    if not 1 <= len(s) <= 60:
        raise ValueError(f"the prompt needs 1 to 60 characters, got {len(s)}")
    try:
        encode(s)
    except ValueError as err:
        raise ValueError(f"prompt {short(s)}: {err}") from None
    return s


@dataclass
class LanguageConfig:
    """What the Distilling a language model page trains (round-tripped through the URL)."""

    methods: str = setting(",".join(METHODS), "Methods (comma separated)", parse=_canonical_methods,
                           help="labels only is always trained; the others: " + ", ".join(METHODS[1:]))
    T: float = setting(1.0, "Temperature T", lo=0.5, hi=8.0, step=0.5, help="of the teacher's and student's "
                       "distributions in every distillation loss")
    beta: float = setting(0.5, "β of JSD(β)", lo=0.05, hi=0.95, step=0.05, help="0: forward KL, 1: reverse KL")
    k: int = setting(5, "Top-k: probabilities kept", lo=1, hi=96, help="of the vocabulary's 96 per position")
    top_k_mode: str = setting("renormalise", "Top-k: the rest", choices=TOP_K_MODES,
                              help="renormalise the k kept probabilities, or lump the rest into one bin")
    steps: int = setting(200, "Steps", lo=10, hi=3000, step=10)
    seeds: int = setting(3, "Seeds per method", lo=2, hi=5)
    lr: float = learning_rate(0.01)
    hidden: int = setting(64, "Student width (GRU state)", lo=16, hi=256, step=16)
    sample_T: float = setting(0.8, "Sampling temperature", lo=0.1, hi=2.0, step=0.1)
    prompt: str = setting("The ", "Prompt", parse=parse_prompt, help="1 to 60 characters of printable ASCII")
    seed: int = setting(0, "Seed", lo=0, hi=9999, help="seed of the students, their batches and the samples")


def validate(cfg: LanguageConfig) -> LanguageConfig:
    """Check the settings; ValueError with a message for the page and the command line."""
    parse_methods(cfg.methods)
    parse_prompt(cfg.prompt)
    return cfg


def seeds_of(cfg: LanguageConfig) -> list[int]:
    """The students' seeds, one per paired group."""
    return [cfg.seed * 100 + k for k in range(cfg.seeds)]


def every(steps: int) -> int:
    """Steps between evaluations: ten per run."""
    return max(1, math.ceil(steps / 10))


@dataclass
class Torn:
    """A held-out position where the teacher hesitates between two next characters."""

    context: str  # the held-out text up to the position
    actual: str  # the character that came next there
    window: int  # which evaluation window
    position: int  # the input position in it
    teacher: np.ndarray  # (V,) the teacher's next-character distribution at T there
    torn: bool  # whether a position with the two leading characters holding TORN_MASS was found


def torn_position(v: torch.Tensor, windows: torch.Tensor, T: float) -> Torn:
    """The position of ``windows`` (N, L + 1) where the teacher's logits ``v`` (N, L, V) at T give the two most
    likely next characters the closest probabilities, among positions where those two hold at least TORN_MASS
    (the first of equals); when none does, the position where the second is most likely (torn False)."""
    q = torch.softmax(v.double() / T, -1)  # (N, L, V)
    top = q.topk(2, dim=-1).values  # (N, L, 2)
    top[:, :TORN_CONTEXT] = 0.0  # too little context
    held = (top.sum(-1) >= TORN_MASS) & (top[..., 1] > 0)
    found = bool(held.any())
    score = torch.where(held, top[..., 0] - top[..., 1], torch.inf) if found else -top[..., 1]
    n, t = divmod(int(torch.argmin(score.flatten())), score.shape[1])
    return Torn(decode(windows[n, :t + 1].tolist()), decode([int(windows[n, t + 1])]), n, t,
                q[n, t].numpy(), found)


@dataclass
class LanguageScene:
    """What stays fixed in a run: the methods and seeds, the teacher and its corpus, the torn position."""

    methods: list[str]
    seeds: int
    teacher_shape: str
    teacher_params: int
    teacher_bits: float  # the teacher's held-out bits per character
    student_params: int
    corpus: str
    device: str
    setup_s: float  # seconds spent loading (or training) the teacher and the teacher-written text
    torn: Torn
    k_share: float  # the share of the teacher's values top-k stores: k / V


@dataclass
class LanguageSnapshot:
    """The students after a chunk of steps: curves, their distributions at the torn position, samples."""

    progress: float
    step: int
    steps: int
    scene: LanguageScene
    history: dict[str, np.ndarray]  # "step" (R,); each metric of held_out_metrics (K, R)
    torn_students: np.ndarray  # (K, V) each member's next-character distribution at T at the torn position
    samples: dict[str, str]  # "teacher" and each method: its first seed's continuation of the prompt
    train_s: float
    own_bits: np.ndarray | None = None  # (K,) at the end: the teacher's bits per character on each student's text
    failed: list[str] = field(default_factory=list)  # members whose loss or metrics are not finite

    @property
    def done(self) -> bool:
        """Whether every step is trained."""
        return self.step >= self.steps


def _samples(cfg: LanguageConfig, students: Students, methods: list[str]) -> dict[str, str]:
    """The teacher's and each method's first student's continuation of the prompt, at the sampling temperature,
    each drawn with the same seed."""
    device = students.teacher.embed.device
    prompt = encode(cfg.prompt).to(device).view(1, -1)  # (1, P)
    out = {}
    for name, model in (("teacher", students.teacher), ("students", students.model)):
        g = torch.Generator(device=device).manual_seed(cfg.seed)
        ids = model.sample(prompt, SAMPLE_CHARS, T=cfg.sample_T, generator=g)[:, 0]  # (K, P + SAMPLE_CHARS)
        if name == "teacher":
            out["teacher"] = decode(ids[0].tolist())
        else:
            out.update({m: decode(ids[i].tolist()) for i, m in enumerate(methods)})  # member i: seed 0 of method i
    return out


@torch.no_grad()
def _at_torn(students: Students, windows: torch.Tensor, torn: Torn, T: float) -> np.ndarray:
    """Each member's next-character distribution (K, V) at T at the torn position."""
    z, _ = students.model(windows[torn.window:torn.window + 1, :torn.position + 1])  # (K, 1, t + 1, V)
    return torch.softmax(z[:, 0, -1].double() / T, -1).cpu().numpy()


def run(cfg: LanguageConfig, device: str | None = None, hook=None,
        recipe: lm_teacher.TeacherRecipe = lm_teacher.RECIPE) -> Iterator:
    """Train every method's students in chunks, yielding a Phase, then a LanguageSnapshot after each evaluation;
    ``hook``: called before each training step (a job's preemption point); ``recipe``: the stored teacher's."""
    cfg = validate(cfg)
    dev = resolve_device(device)
    yield Phase("teacher", 0.0, "Loading the teacher…" if lm_teacher.is_stored(dev, recipe)
                else "Training the teacher (once per server, a few minutes)…")
    t0 = time.perf_counter()
    corpus = python_docs()
    teacher = lm_teacher.stored_teacher(corpus, dev, recipe)
    methods = list(parse_methods(cfg.methods))
    settings = DistilSettings(T=cfg.T, beta=cfg.beta, k=cfg.k, top_k_mode=cfg.top_k_mode, window=WINDOW, batch=BATCH,
                              lr=cfg.lr)
    shape = Shape(embed=EMBED, hidden=cfg.hidden)
    students = Students(teacher, corpus, shape, tuple(methods), tuple(seeds_of(cfg)), settings, data_seed=cfg.seed)
    windows = corpus.windows("held_out", EVAL_LENGTH, EVAL_WINDOWS, seed=2).to(dev)  # (N, L + 1)
    with torch.no_grad():
        torn = torn_position(teacher(windows[:, :-1])[0][0].cpu(), windows.cpu(), cfg.T)
    scene = LanguageScene(methods, cfg.seeds, f"GRU (embedding {teacher.shape.embed}, state {teacher.shape.hidden})",
                          teacher.shape.params, float(teacher.bits_per_char), shape.params, corpus.source, str(dev),
                          time.perf_counter() - t0, torn, cfg.k / shape.vocab)
    history: dict[str, list] = {"step": []}
    t_train, gap = 0.0, every(cfg.steps)

    def record() -> None:
        history["step"].append(students.step_count)
        for name, values in held_out_metrics(students.model, teacher, windows).items():
            history.setdefault(name, []).append(values.cpu().numpy())

    record()
    while students.step_count < cfg.steps:
        t1 = time.perf_counter()
        for _ in range(min(gap, cfg.steps - students.step_count)):
            if hook is not None:
                hook()
            students.train_step()
        t_train += time.perf_counter() - t1
        record()
        hist = {"step": np.asarray(history["step"])}
        hist.update({k: np.stack(v, axis=1) for k, v in history.items() if k != "step"})  # (K, R)
        snap = LanguageSnapshot(students.step_count / cfg.steps, students.step_count, cfg.steps, scene, hist,
                                _at_torn(students, windows, torn, cfg.T), _samples(cfg, students, methods), t_train)
        if snap.done:
            prompts = windows[:OWN_PROMPTS, :TORN_CONTEXT]  # (P, TORN_CONTEXT) held-out beginnings
            snap.own_bits = own_text_bits(students.model, teacher, prompts, OWN_CHARS, seed=cfg.seed).cpu().numpy()
            snap.failed = failed_members(snap)
        yield snap


def failed_members(snap: LanguageSnapshot) -> list[str]:
    """Members ("forward KL, seed 1") whose last held-out metrics are not finite."""
    last = np.stack([snap.history[m][:, -1] for m in ("bits_per_char", "kl_to_teacher")])  # (2, K)
    methods, s = snap.scene.methods, snap.scene.seeds
    return [f"{NAMES[methods[i % len(methods)]]}, seed {i // len(methods)}" for i in range(last.shape[1])
            if not np.all(np.isfinite(last[:, i]))]


# ----------------------------------------------------------------------------- results in numbers and words
def per_seed(snap: LanguageSnapshot, values: np.ndarray, method: str) -> np.ndarray:
    """The values (K,) of ``method``'s students, one per seed (S,)."""
    m = len(snap.scene.methods)
    return np.asarray(values)[snap.scene.methods.index(method)::m]


def final(snap: LanguageSnapshot, metric: str, method: str) -> np.ndarray:
    """``metric``'s last value for each of ``method``'s seeds (S,); "own_bits" for own_text_bits."""
    values = snap.own_bits if metric == "own_bits" else snap.history[metric][:, -1]
    return per_seed(snap, values, method)


def gain(snap: LanguageSnapshot, method: str) -> PairedEffect:
    """Bits per character ``method`` saves over labels only, paired over seeds (positive: fewer bits, better)."""
    return paired(-final(snap, "bits_per_char", "labels"), -final(snap, "bits_per_char", method))


@dataclass
class Row:
    """One method's results over seeds."""

    method: str
    bits: np.ndarray  # (S,) held-out bits per character
    agreement: float  # mean top-1 agreement with the teacher
    kl: float  # mean KL(teacher || student), nats per character
    low_mass: float  # mean probability where the teacher gives less than LOW
    own_bits: float  # mean teacher's bits per character on the student's own text
    effect: PairedEffect | None  # bits saved over labels only (None for labels only itself)

    @property
    def verdict(self) -> str:
        """"better" / "worse" when clear, else "within noise" or "no difference"; "reference" for labels only."""
        return "reference" if self.effect is None else self.effect.direction


def summarise(snap: LanguageSnapshot) -> list[Row]:
    """One Row per method (needs a finished run)."""
    return [Row(m, final(snap, "bits_per_char", m), float(final(snap, "agreement", m).mean()),
                float(final(snap, "kl_to_teacher", m).mean()), float(final(snap, "low_mass", m).mean()),
                float(final(snap, "own_bits", m).mean()), None if m == "labels" else gain(snap, m))
            for m in snap.scene.methods]


def table(rows: list[Row]) -> list[dict]:
    """Rows as plain records for a table."""
    return [{"method": NAMES[r.method], "held-out bits/char": mean_std(r.bits, digits=3),
             "saved vs labels only (bits/char)": "" if r.effect is None else r.effect.text(1.0, 3, ""),
             "verdict": r.verdict, "top-1 agreement %": round(r.agreement * 100, 1), "KL to teacher": round(r.kl, 3),
             f"mass where teacher < {LOW:.0%} (%)": round(r.low_mass * 100, 2),
             "teacher's bits/char on its own text": round(r.own_bits, 3)} for r in rows]


def takeaway(rows: list[Row]) -> str:
    """Plain sentences: which methods beat labels only beyond the seed spread, and which did not."""
    groups: dict[str, list[str]] = {}
    for r in rows:
        if r.effect is not None:
            groups.setdefault(r.verdict, []).append(NAMES[r.method])
    said = {"better": "Fewer held-out bits per character than labels only on every seed, by more than the seed "
                      "spread: {}.",
            "within noise": "No difference from labels only beyond the seed spread: {}.",
            NO_DIFFERENCE: "Exactly labels only's bits per character on every seed: {}.",
            "worse": "More bits per character than labels only on every seed, beyond the spread: {}."}
    parts = [text.format(", ".join(groups[v])) for v, text in said.items() if groups.get(v)]
    return " ".join(parts) or "Only labels only was trained: add a distillation method to compare."


@dataclass(frozen=True)
class Claim:
    """One paper's claim tested on the run."""

    claim: str  # the claim as the papers make it
    verdict: str  # "confirmed here", "not seen here", "reversed here" or "not tested"
    evidence: str  # the sentence with the numbers it was decided on


NOT_TESTED = "not tested"


def _missing(snap: LanguageSnapshot, *methods: str) -> str | None:
    absent = [m for m in methods if m not in snap.scene.methods]
    return None if not absent else f"This run trained no {' and no '.join(NAMES[m] for m in absent)} students " \
                                   f"(add {', '.join(absent)} to the methods)."


def _difference(effect: PairedEffect, unit: str, digits: int = 3, scale: float = 1.0) -> str:
    """"-0.012 ± 0.003 bits/char over 3 seeds: <the reading>" with ties said in words."""
    return f"{effect.text(scale, digits, unit)} over {count(effect.n, 'seed')}: {effect.reading()}"


def claims(snap: LanguageSnapshot) -> list[Claim]:
    """The papers' three claims a small model can test, each decided on this run's paired seeds."""
    out = []
    text = "Reverse KL (MiniLLM) avoids the teacher's low-probability regions, where forward KL spreads mass."
    missing = _missing(snap, "forward_kl", "reverse_kl")
    if missing:
        out.append(Claim(text, NOT_TESTED, missing))
    else:
        fwd, rev = final(snap, "low_mass", "forward_kl"), final(snap, "low_mass", "reverse_kl")
        effect = paired(fwd, rev)  # reverse - forward: the claim expects it below zero
        out.append(Claim(text, claim_verdict(effect, -1),
                         f"Probability put on next characters the teacher gives less than {LOW:.0%}: reverse KL "
                         f"{rev.mean():.2%}, forward KL {fwd.mean():.2%}; reverse minus forward "
                         f"{_difference(effect, ' points', 2, 100.0)}"))
    text = ("On-policy distillation (GKD) helps where the student's own mistakes lead it off the teacher's "
            "distribution: the teacher finds its own text more likely than that of the same loss on the corpus.")
    missing = _missing(snap, "jsd", "on_policy")
    if missing:
        out.append(Claim(text, NOT_TESTED, missing))
    else:
        off, on = final(snap, "own_bits", "jsd"), final(snap, "own_bits", "on_policy")
        effect = paired(off, on)  # on - off: expected below zero
        out.append(Claim(text, claim_verdict(effect, -1),
                         f"The teacher's bits per character on text each student writes from held-out beginnings: "
                         f"on-policy {on.mean():.3f}, JSD(β) on the corpus {off.mean():.3f}; on-policy minus corpus "
                         f"{_difference(effect, ' bits/char')}"))
    out.append(_top_k_claim(snap))
    return out


def _top_k_claim(snap: LanguageSnapshot) -> Claim:
    """Top-k keeps most of forward KL's gain over labels only while storing k of the vocabulary's values."""
    share = snap.scene.k_share
    text = f"Top-k distillation keeps most of the gain at a fraction of the storage (here {share:.1%} of the values)."
    missing = _missing(snap, "forward_kl", "top_k")
    if missing:
        return Claim(text, NOT_TESTED, missing)
    full, top = gain(snap, "forward_kl"), gain(snap, "top_k")
    said = f"Bits per character saved over labels only: forward KL {_difference(full, ' bits/char')} Top-k " \
           f"{_difference(top, ' bits/char')}"
    if full.direction != "better":
        return Claim(text, NOT_SEEN, f"{said} Forward KL itself shows no clear gain here, so there is no gain to keep.")
    kept = top.mean / full.mean  # full.mean > 0: a clear gain
    verdict = "confirmed here" if top.direction == "better" and kept >= MOST else NOT_SEEN
    return Claim(text, verdict, f"{said} Top-k kept {kept:.0%} of forward KL's gain (most means at least {MOST:.0%}, "
                                "with a clear gain of its own).")


def verdict(cfg: LanguageConfig, snap: LanguageSnapshot) -> str:
    """The run's conclusion in words: the methods against labels only, then each claim's verdict ("" before the end)."""
    if not isinstance(snap, LanguageSnapshot) or not snap.done:
        return ""
    if snap.failed:
        return f"Not judged: {count(len(snap.failed), 'student')} did not learn ({'; '.join(snap.failed[:3])}); " \
               "lower T or the steps."
    return " ".join([takeaway(summarise(snap)), *(f"{c.claim} {c.verdict.capitalize()}." for c in claims(snap))])


def students(cfg: LanguageConfig, snap: LanguageSnapshot) -> list[dict]:
    """One row per student: its method, seed and held-out metrics (the exports' students)."""
    methods, rows = snap.scene.methods, []
    for i in range(len(methods) * snap.scene.seeds):
        m, s = methods[i % len(methods)], seeds_of(cfg)[i // len(methods)]
        rows.append({"member": i, "method": m, "seed": s, "T": cfg.T, "steps": snap.step,
                     **{k: float(snap.history[k][i, -1]) for k in snap.history if k != "step"},
                     "own_text_bits": None if snap.own_bits is None else float(snap.own_bits[i])})
    return rows


def curves(snap: LanguageSnapshot, metric: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(steps (R,), {method: mean over seeds of ``metric`` (R,)})."""
    m = len(snap.scene.methods)
    return snap.history["step"], {name: snap.history[metric][i::m].mean(0) for i, name in enumerate(snap.scene.methods)}


# ----------------------------------------------------------------------------- cost
# A GRU's step costs more than an MLP step of the same weights x examples (many small per-character matmuls and
# element-wise gates): measured on 2 shared cores, one torch thread, the defaults' 21 students (75 s for 200 steps)
# and the teacher's training (240 s for 1,500 steps).
GRU_FACTOR, TEACHER_FACTOR = 4.5, 1.7


@loops_of("language")
def _loops(cfg) -> list[Loop]:
    """The students' steps, the teacher's targets, the on-policy students' writing, the evaluations, and the
    teacher's own training when it is not stored yet."""
    methods = parse_methods(cfg.methods)
    student = Shape(embed=EMBED, hidden=int(cfg.hidden)).params
    teacher = lm_teacher.RECIPE.shape.params
    members = len(methods) * int(cfg.seeds)
    chars = WINDOW * BATCH
    own = int(cfg.seeds) if "on_policy" in methods else 0
    loops = [Loop(student, int(GRU_FACTOR * chars), cfg.steps, members, len(methods)),
             Loop(teacher, int(GRU_FACTOR * chars * (1 + own)) // 3, cfg.steps),  # forward only
             Loop(student, int(GRU_FACTOR * chars) // 2 if own else 0, cfg.steps, members),  # on-policy writing
             evaluation(student, int(GRU_FACTOR * EVAL_WINDOWS * EVAL_LENGTH), 11, members)]
    if not lm_teacher.is_stored():
        r = lm_teacher.RECIPE
        loops.append(Loop(teacher, int(TEACHER_FACTOR * r.window * r.batch), r.steps))
    return loops


EXPERIMENT = Experiment("language", "Distilling a language model: seven token- and sequence-level methods on a "
                        "character GRU, beside labels only", LanguageConfig, run, LanguageSnapshot,
                        students=students, weights=lambda cfg, snap, k: None, verdict=verdict)


def kl_directions(snap: LanguageSnapshot, method: str) -> tuple[float, float]:
    """At the torn position, ``method``'s first student p_s against the teacher p_t (at T): (KL(p_s || p_t), the
    misstated "KL(p_s || p_t)" = -sum p_t log(p_s / p_t)), which is KL(p_t || p_s): two numbers that differ."""
    p_s = torch.from_numpy(snap.torn_students[snap.scene.methods.index(method)]).clamp_min(1e-300)
    p_t = torch.from_numpy(snap.scene.torn.teacher).clamp_min(1e-300)
    return float(kl_from_log(p_s.log(), p_t.log())), float(kl_from_log(p_t.log(), p_s.log()))
