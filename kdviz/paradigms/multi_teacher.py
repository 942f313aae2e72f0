"""Several teachers: their outputs combined into one target per sample (Hinton et al. 2015; You et al. 2017).

combine_teachers turns M teachers' logits into one target distribution (log-probabilities); a
multi-teacher student distils toward it with kdviz.paradigms.targets.soft_target_objective.
Teachers are fixed, so the engine combines once per run and dataset, not per step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from kdviz.paradigms.note import Note
from kdviz.paradigms.shapes import member_param
from kdviz.paradigms.targets import grad_on_table, objective_on_table, soft_target_objective, targets_table
from kdviz.train.methods import Batch, register_method
from kdviz.softening import as_logits, check_temperature

RULES = ("avg_prob", "avg_logit", "confidence")  # combination rules of combine_teachers
RULE_NAMES = {"avg_prob": "averaged probabilities", "avg_logit": "averaged logits",
              "confidence": "weighted by confidence"}  # each rule as a page names it
RULE, SHARPNESS = "avg_prob", 5.0  # the defaults of a multi-teacher student
CONFIDENCE = ("max_prob", "neg_entropy")  # per-teacher confidence scores for rule="confidence"
TRANSFERS = ("A consensus of several teachers: by default their averaged probabilities (rule `avg_prob`); "
             "averaged logits (`avg_logit`) or a per-sample mixture weighted by each teacher's confidence "
             "(`confidence`) are options.")
FORMULA = (r"\mathcal{L} = \alpha\,\mathrm{CE}(p, y) + (1-\alpha)\,T^2\,\mathrm{KL}(r \,\|\, p^T),\quad"
           r" r = \frac{1}{M}\sum_{m=1}^{M} q_m^T")  # as trained


@dataclass
class TeacherMix:
    """A combined teacher target, per sample."""

    log_probs: torch.Tensor  # (..., C) log of the combined target distribution at temperature T
    weights: torch.Tensor  # (M, ...) weight of each teacher per sample (sums to 1 over M)
    dominant: torch.Tensor  # (...) teacher giving the most weighted probability to the combined top class


def combine_teachers(teacher_logits, rule: str = "avg_prob", T=1.0, sharpness=1.0,
                     confidence: str = "max_prob") -> TeacherMix:
    """Combine M teachers' logits (M, B, C) (any (M, ..., C)) into one target distribution per sample.

    With q_m = softmax(v_m / T):
    - "avg_prob":   r = (1/M) sum_m q_m (an ensemble's averaged probabilities);
    - "avg_logit":  r = softmax(((1/M) sum_m v_m) / T) (averaged logits: the normalised geometric mean of
      the q_m; often sharper than avg_prob, but not always: teachers sure of two different classes
      give it the higher entropy);
    - "confidence": r = sum_m w_m q_m with w = softmax_m(sharpness * c_m), c_m the teacher's
      confidence on that sample at T = 1: its max probability ("max_prob") or its negative entropy
      ("neg_entropy"). sharpness = 0 gives avg_prob; a large sharpness follows the most confident.
    weights are w (uniform 1/M for the averaging rules); dominant[b] = argmax_m w_m q_m[c*] with c*
    the combined top class: the teacher that contributes most to the combined prediction.
    """
    v = as_logits(teacher_logits, "teacher logits")  # (M, B, C)
    if v.dim() < 2 or v.shape[0] == 0:
        raise ValueError(f"teacher logits need shape (teachers >= 1, batch, classes), got {tuple(v.shape)}")
    if rule not in RULES:
        raise ValueError(f"unknown combination rule {rule!r}; choose one of {', '.join(RULES)}")
    T = check_temperature(T)
    if isinstance(T, torch.Tensor) and T.numel() != 1:
        raise ValueError("combine_teachers takes one temperature; combine once per temperature")
    m = v.shape[0]
    logq = F.log_softmax(v / T, -1)  # (M, B, C)
    log_w = torch.full(v.shape[:-1], -math.log(m), dtype=v.dtype, device=v.device)  # (M, B)
    if rule == "confidence":
        if confidence not in CONFIDENCE:
            raise ValueError(f"unknown confidence score {confidence!r}; choose one of {', '.join(CONFIDENCE)}")
        sharp = member_param(sharpness, "sharpness", ())
        logp1 = F.log_softmax(v, -1)  # (M, B, C) at T = 1
        c = logp1.max(-1).values.exp() if confidence == "max_prob" else (logp1.exp() * logp1).sum(-1)
        log_w = F.log_softmax(sharp * c, dim=0)  # (M, B)
    if rule == "avg_logit":
        log_r = F.log_softmax(v.mean(0) / T, -1)  # (B, C)
    else:
        log_r = torch.logsumexp(log_w.unsqueeze(-1) + logq, dim=0)  # (B, C)
    top = log_r.argmax(-1, keepdim=True)  # (B, 1)
    contrib = log_w + logq.gather(-1, top.expand(m, *top.shape)).squeeze(-1)  # (M, B)
    return TeacherMix(log_probs=log_r, weights=log_w.exp(), dominant=contrib.argmax(0))


def multi_teacher_objective(z, labels, teacher_logits, T=4.0, alpha=0.1, rule=RULE, sharpness=SHARPNESS,
                            mask=None) -> torch.Tensor:
    """What a multi-teacher student trains: alpha CE + (1 - alpha) T^2 KL(r || p^T), r = combine_teachers(v, rule, T).

    teacher_logits: (M, B, C) for one student or (M, K, B, C) for K members on their batches; T
    one number (the combination is made at one temperature).
    """
    r = combine_teachers(teacher_logits, rule, T, sharpness=sharpness).log_probs  # (B, C) / (K, B, C)
    return soft_target_objective(z, labels, r, T, alpha, mask)


def _combined(run, members: torch.Tensor) -> torch.Tensor:
    """The combined targets of each multi-teacher member at its own T and rule, on every training point (K, C, N)."""
    if run.teacher_set is None:
        raise ValueError("multi_teacher members need teachers: pass teachers=[model, model, ...]")

    def make(i: int) -> torch.Tensor:
        m = run.members[i]
        mix = combine_teachers(run.teacher_set, m.options.get("rule", RULE), m.T,
                               sharpness=float(m.options.get("sharpness", SHARPNESS)))
        return mix.log_probs.t()  # (C, N)

    return targets_table(run, members, make)


@register_method("multi_teacher", teacher=False, unlabelled=True, setup=_combined, grad=grad_on_table)
def multi_teacher_method(b: Batch) -> torch.Tensor:
    """soft_target_objective toward the teachers combined by options["rule"] (tabulated once per run)."""
    return objective_on_table(b)


NOTE = Note("multi_teacher", "Multi-teacher", "#332288", "teachers", TRANSFERS, FORMULA, multi_teacher_objective,
            uses=("T", "alpha"), defaults={"rule": RULE},
            reference="Hinton et al. 2015 (ensembles); You et al. 2017, Learning from multiple teacher networks")
