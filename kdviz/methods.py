"""The KD paradigms beyond Hinton's KD, registered as engine methods (kdviz.train.METHODS).

Importing this module adds: "dkd", "fitnet", "attention", "rkd", "similarity" (a transfer term
from a fixed teacher), "multi_teacher" and "born_again" (KD toward another target distribution),
"mutual" (deep mutual learning in a cohort) and "ema" (mean teacher: an EMA of the student's own
weights). Every loss comes from kdviz.losses (one formula, one place); this module only wires it
to a Batch. Conventions (as in CRD's benchmark): feature and relation methods train on
CE(labels) + weight * term; response methods mix alpha * CE with the (1 - alpha) T^2 soft term;
DKD uses CE + T^2 (a TCKD + b NCKD) as in its paper. Per-member settings come from
MemberConfig.options (e.g. {"weight": 10.0}, {"rule": "avg_prob"}, {"decay": 0.99}).

Extra state (FitNets regressors, EMA teachers) lives in a per-run store (state(run)), trained
beside the population: regressors by their own Adam in an after_step hook, EMA weights by
ema_update. multi_teacher and born_again need targets the engine does not hold: ParadigmRun, a
PopulationRun with ``teachers`` (several teacher models) and ``targets`` (per-member logits).
"""
from __future__ import annotations

import weakref

import torch
import torch.nn.functional as F

from kdviz.losses import (HintRegressor, attention_loss, combine_teachers, consistency_loss, dkd_loss, ema_decay,
                          ema_update, fitnet_loss, rkd_loss, sigmoid_rampup, similarity_loss)
from kdviz.models import Population
from kdviz.softening import kl_from_log
from kdviz.train import METHODS, Batch, PopulationRun, hard_loss, register_method, teacher_outputs
from kdviz.train.methods import kl_fm

PARADIGMS = ("dkd", "fitnet", "attention", "rkd", "similarity", "multi_teacher", "mutual", "born_again", "ema")
DEFAULT_WEIGHTS = {"fitnet": 1.0, "attention": 10.0, "rkd": 1.0, "similarity": 100.0, "mutual": 1.0, "ema": 1.0}
NOTE_KEYS = {"ema": "mean_teacher", "baseline": None}  # method name -> LOSS_NOTES key where they differ

_STATE: "weakref.WeakKeyDictionary[PopulationRun, dict]" = weakref.WeakKeyDictionary()


def state(run: PopulationRun) -> dict:
    """The per-run store of method state (regressors, EMA teachers), keyed by method name."""
    return _STATE.setdefault(run, {})


def option(b: Batch, key: str, default: float) -> torch.Tensor:
    """Per-member numeric option ``key`` of the batch's members as a (K',) tensor (default where absent)."""
    vals = [float(o.get(key, default)) for o in b.options]
    return torch.tensor(vals, dtype=b.logits_fm.dtype, device=b.logits_fm.device)


def _weight(b: Batch, name: str) -> torch.Tensor:
    """The transfer term's weight per member (K',): options["weight"], else the method's default."""
    return option(b, "weight", DEFAULT_WEIGHTS[name])


def _last_tap(taps: dict[str, torch.Tensor]) -> torch.Tensor:
    """The deepest hidden layer of a taps dict {"h1": ..., "h2": ...}."""
    return taps[max(taps, key=lambda k: int(k[1:]))]


def _soft_toward(b: Batch, log_target_fm: torch.Tensor) -> torch.Tensor:
    """alpha CE + (1 - alpha) T^2 KL(r || p^T) toward target log-probabilities r (K', C, B) at each member's T."""
    logp = F.log_softmax(b.logits_fm / b.T, 1)  # (K', C, B)
    return b.alpha * hard_loss(b) + b.soft_weight * kl_fm(log_target_fm, logp)


# ---- response: DKD
@register_method("dkd", teacher=True, unlabelled=False)
def dkd_method(b: Batch) -> torch.Tensor:
    """CE + DKD (kdviz.losses.dkd_loss) with options "dkd_alpha" (TCKD weight, 1) and "beta" (NCKD weight, 8)."""
    dkd = dkd_loss(b.logits, b.teacher_logits, b.labels, b.T.view(-1), option(b, "dkd_alpha", 1.0),
                   option(b, "beta", 8.0))
    return hard_loss(b) + dkd


# ---- feature: FitNets hints and attention
def _regressor(b: Batch) -> tuple[HintRegressor, torch.optim.Optimizer]:
    """The FitNets regressors of the run's fitnet members (one per member, seeded by its seed), made once."""
    st = state(b.run)
    if "fitnet" not in st:
        hs = _last_tap(b.taps).shape[-1]
        ht = _last_tap(b.teacher_taps).shape[-1]
        seeds = [b.run.members[i].seed for i in b.members.tolist()]
        reg = HintRegressor(hs, ht, seeds, device=b.logits_fm.device)  # weight (K', Hs, Ht)
        opt = torch.optim.Adam(reg.parameters(), lr=b.run.members[int(b.members[0])].lr, foreach=True)
        st["fitnet"] = (reg, opt)
    return st["fitnet"]


def _fitnet_after(run: PopulationRun, members: torch.Tensor) -> None:
    """Step the regressors with the gradients the population's backward pass left on them."""
    if "fitnet" in state(run):
        _, opt = state(run)["fitnet"]
        opt.step()
        opt.zero_grad(set_to_none=False)


@register_method("fitnet", teacher=True, unlabelled=False, taps=True, after_step=_fitnet_after)
def fitnet_method(b: Batch) -> torch.Tensor:
    """CE + weight * FitNets hint loss between the regressed last student layer and the teacher's last layer."""
    reg, _ = _regressor(b)
    hint = fitnet_loss(_last_tap(b.taps), _last_tap(b.teacher_taps), reg.weight, reg.bias)
    return hard_loss(b) + _weight(b, "fitnet") * hint


@register_method("attention", teacher=True, unlabelled=False, taps=True)
def attention_method(b: Batch) -> torch.Tensor:
    """CE + weight * attention loss (normalised activation energy) between the last hidden layers."""
    return hard_loss(b) + _weight(b, "attention") * attention_loss(_last_tap(b.taps), _last_tap(b.teacher_taps))


# ---- relation: RKD and similarity preserving
@register_method("rkd", teacher=True, unlabelled=False, taps=True)
def rkd_method(b: Batch) -> torch.Tensor:
    """CE + weight * RKD (distance 25, angle 50) between the last hidden layers as embeddings."""
    return hard_loss(b) + _weight(b, "rkd") * rkd_loss(_last_tap(b.taps), _last_tap(b.teacher_taps))


@register_method("similarity", teacher=True, unlabelled=False, taps=True)
def similarity_method(b: Batch) -> torch.Tensor:
    """CE + weight * similarity-preserving loss between the last hidden layers."""
    return hard_loss(b) + _weight(b, "similarity") * similarity_loss(_last_tap(b.taps), _last_tap(b.teacher_taps))


# ---- several teachers, earlier generations: targets held by ParadigmRun
class ParadigmRun(PopulationRun):
    """A PopulationRun that also holds what multi_teacher and born_again distil toward.

    teachers: several teacher models (or their (N, C) train logits) for "multi_teacher" members,
    combined per member by options["rule"] ("avg_prob", "avg_logit", "confidence") at the member's T.
    targets: {member position: (N, C) train logits} of the previous generation for "born_again"
    members. Every other argument is PopulationRun's.
    """

    def __init__(self, ds, teacher, hidden, members, *, teachers=None, targets=None, **kwargs):
        super().__init__(ds, teacher, hidden, members, **kwargs)
        logits = [t if isinstance(t, torch.Tensor) else teacher_outputs(t, self.ds, self.device, taps=False).train
                  for t in (teachers or [])]
        n, c = len(self.ds.y_train), self.ds.n_classes
        for v in [*logits, *(targets or {}).values()]:
            if tuple(v.shape) != (n, c):
                raise ValueError(f"target logits have shape {tuple(v.shape)}; expected ({n}, {c}) for this data")
        self.teacher_set = torch.stack([v.to(self.device).float() for v in logits]) if logits else None  # (M, N, C)
        self.targets = {int(k): v.to(self.device).float() for k, v in (targets or {}).items()}  # k -> (N, C)
        for i, m in enumerate(self.members):
            if m.method == "multi_teacher" and self.teacher_set is None:
                raise ValueError("multi_teacher members need teachers: pass teachers=[model, model, ...]")
            if m.method == "born_again" and i not in self.targets:
                raise ValueError(f"born_again member {i} needs the previous generation's logits in targets[{i}]")


def _targets_table(b: Batch, name: str, make) -> torch.Tensor:
    """Per-member target log-probabilities on every training point (K, C, N), made once per run by make(i)."""
    st = state(b.run)
    if name not in st:
        run = b.run
        rows = [make(i) if m.method == name else make_zero(run) for i, m in enumerate(run.members)]
        st[name] = torch.stack(rows)  # (K, C, N)
    return st[name]


def make_zero(run: PopulationRun) -> torch.Tensor:
    """A (C, N) table of zeros for members a target table does not concern."""
    return torch.zeros(run.ds.n_classes, len(run.ds.y_train), device=run.device)


def _require(run: PopulationRun, name: str) -> ParadigmRun:
    """The run as a ParadigmRun, else a ValueError saying which method needs one."""
    if not isinstance(run, ParadigmRun):
        raise ValueError(f"method {name!r} needs a kdviz.methods.ParadigmRun (with its teachers or targets)")
    return run


@register_method("multi_teacher", teacher=False, unlabelled=True)
def multi_teacher_method(b: Batch) -> torch.Tensor:
    """alpha CE + (1 - alpha) T^2 KL(r || p^T), r = combine_teachers(teachers, options["rule"], T)."""
    run = _require(b.run, "multi_teacher")

    def make(i: int) -> torch.Tensor:
        m = run.members[i]
        mix = combine_teachers(run.teacher_set, m.options.get("rule", "avg_prob"), m.T,
                               sharpness=float(m.options.get("sharpness", 5.0)))
        return mix.log_probs.t()  # (C, N)

    return _soft_toward(b, b.gather_members(_targets_table(b, "multi_teacher", make)))


@register_method("born_again", teacher=False, unlabelled=True)
def born_again_method(b: Batch) -> torch.Tensor:
    """alpha CE + (1 - alpha) T^2 KL(q_prev^T || p^T) toward the previous generation's logits (targets[k])."""
    run = _require(b.run, "born_again")
    make = (lambda i: F.log_softmax(run.targets[i] / run.members[i].T, -1).t())  # (C, N)
    return _soft_toward(b, b.gather_members(_targets_table(b, "born_again", make)))


# ---- mutual learning: cohorts of students, no teacher
@register_method("mutual", teacher=False, unlabelled=False)
def mutual_method(b: Batch) -> torch.Tensor:
    """Deep mutual learning: CE + weight * T^2 mean_{j != k} KL(p_j^T || p_k^T) on member k's own batch.

    Members of the group with the same options["cohort"] (default 0) form a cohort (>= 2 members).
    Peers have their own batch order, so their (detached) predictions are recomputed on member
    k's batch: the formula of kdviz.losses.mutual_mimicry, evaluated where each member trains.
    """
    cohorts = [o.get("cohort", 0) for o in b.options]
    k = len(cohorts)
    same = torch.tensor([[a == c for c in cohorts] for a in cohorts], device=b.logits_fm.device)  # (K', K')
    peers = same & ~torch.eye(k, dtype=torch.bool, device=same.device)
    if bool((peers.sum(1) == 0).any()):
        raise ValueError("mutual learning needs at least 2 students per cohort: train 2 or more seeds")
    with torch.no_grad():
        z_all = b.run.population(b.x.reshape(-1, b.x.shape[-1]))  # (K, K' B, C): every member on every batch
        z_peer = z_all.index_select(0, b.members).view(k, k, -1, z_all.shape[-1])  # (K'_j, K'_k, B, C)
        logq = F.log_softmax(z_peer / b.T.view(1, -1, 1, 1), -1)  # peer j at member k's T
    logp = F.log_softmax(b.logits / b.T, -1)  # (K', B, C)
    kl = kl_from_log(logq, logp.unsqueeze(0)).mean(-1)  # (K'_j, K'_k): KL(p_j || p_k), batch mean
    mimic = (kl * peers.t()).sum(0) / peers.sum(1)  # (K',) mean over peers
    return hard_loss(b) + _weight(b, "mutual") * b.T.view(-1) ** 2 * mimic


# ---- mean teacher: an EMA of the student's weights
def _ema_members(run: PopulationRun, members: torch.Tensor) -> Population:
    """The EMA teachers of ``members`` (a Population holding copies of their weights), made once."""
    st = state(run)
    if "ema" not in st:
        pop = Population.from_arrays(run.population.arrays(), device=run.device)
        keep = members.to(run.device)
        with torch.no_grad():
            for p in pop.parameters():
                p.data = p.data.index_select(0, keep).clone()
        pop.requires_grad_(False)
        st["ema"] = pop
    return st["ema"]


def _ema_after(run: PopulationRun, members: torch.Tensor) -> None:
    """theta' <- d theta' + (1 - d) theta with each member's d = ema_decay(step, options["decay"])."""
    pop = _ema_members(run, members)
    decays = torch.tensor([ema_decay(run.t - 1, float(run.members[i].options.get("decay", 0.99)))
                           for i in members.tolist()], device=run.device)
    ema_update(list(pop.parameters()), [p.detach().index_select(0, members) for p in run.population.parameters()],
               decays)


def ema_teacher(run: PopulationRun) -> Population | None:
    """The EMA teachers of the run's "ema" members, in their order (None before the first step)."""
    return state(run).get("ema")


@register_method("ema", teacher=False, unlabelled=True, after_step=_ema_after)
def ema_method(b: Batch) -> torch.Tensor:
    """Mean teacher: CE + weight * sigmoid_rampup(t, options["rampup"]) * consistency_loss(z, z_ema) (MSE)."""
    pop = _ema_members(b.run, b.members)
    with torch.no_grad():
        z_t = pop(b.x)  # (K', B, C) EMA teacher on each member's batch
    ramp = sigmoid_rampup(b.step, int(b.options[0].get("rampup", 200)))
    return hard_loss(b) + _weight(b, "ema") * ramp * consistency_loss(b.logits, z_t)


def needs_teacher(methods) -> bool:
    """Whether any of these method names needs the (single) teacher model."""
    return any(METHODS[m].teacher or METHODS[m].taps for m in methods)
