"""The omitted-digit experiment (Hinton, Vinyals and Dean 2015) and the label-smoothed teacher, on digits.

Students 64-32-10 learn from a transfer set with no image of one digit. distil_task trains, in
one job, KD students of each teacher (label smoothing eps in config["teachers"]) and, if asked,
baselines on labels alone (same seeds, so the same initial weights and batch order). Its final
snapshot keeps every student's test and validation logits, so the page can raise the omitted
digit's bias (shift_bias, errors) and choose it on validation (best_bias) without retraining.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PAPER = {"errors": 206, "errors_on_digit": 133, "digit_count": 1010, "bias": 3.5, "errors_after": 109,
         "errors_on_digit_after": 14, "test_count": 10_000}  # Hinton et al. 2015, MNIST, digit 3 omitted
STUDENT = (32,)  # the students' hidden widths
BIAS_GRID = np.round(np.arange(-2.0, 10.0001, 0.25), 2)  # biases tried by best_bias


def distil_task(config: dict, emit, control) -> None:
    """Job task: KD students of each teacher (and baselines) on the transfer set without one digit.

    config: omit, T, alpha, steps, seeds, teachers (label smoothings, e.g. [0.0] or [0.0, 0.1]),
    baseline (bool). Emits {"progress", "step", "steps"}; the last snapshot adds "roles" (names),
    "test_logits" and "val_logits" {role: (S, N, C) float32}, "y_test", "y_val", "omit", "config", "status".
    """
    from kdviz.data.transforms import omit_class
    from kdviz.lessons.digits_teachers import digits_data, teacher_for
    from kdviz.train import MemberConfig, PopulationRun, model_logits

    omit, steps, seeds = int(config["omit"]), int(config["steps"]), int(config["seeds"])
    ds = digits_data(0)
    transfer = omit_class(ds, omit)
    runs = {}  # role -> (run, member slice)
    for i, eps in enumerate(config["teachers"]):
        if not control.proceed():
            return
        emit({"progress": 0.0, "step": 0, "steps": steps, "phase": f"teacher {i + 1}"})
        kd = [MemberConfig("kd", T=config["T"], alpha=config["alpha"], lr=1e-2, seed=s) for s in range(seeds)]
        base = [MemberConfig("baseline", lr=1e-2, seed=s) for s in range(seeds)] if config["baseline"] and i == 0 else []
        run = PopulationRun(transfer, teacher_for(ds, eps), STUDENT, kd + base, record_every=max(50, steps // 20))
        runs[role_name(eps)] = (run, slice(0, seeds))
        if base:
            runs["baseline"] = (run, slice(seeds, 2 * seeds))
    chunk = max(50, steps // 20)
    done = 0
    while done < steps:
        if not control.proceed():
            return
        n = min(chunk, steps - done)
        for run in {id(r): r for r, _ in runs.values()}.values():
            run.step(n)
        done += n
        emit({"progress": done / steps, "step": done, "steps": steps, "phase": "students"})
    emit({"progress": 1.0, "step": steps, "steps": steps, "phase": "done", "omit": omit, "roles": list(runs),
          "config": dict(config),
          "test_logits": {r: model_logits(run.population, ds.x_test)[sl].numpy().astype(np.float32) for r, (run, sl) in runs.items()},
          "val_logits": {r: model_logits(run.population, ds.x_val)[sl].numpy().astype(np.float32) for r, (run, sl) in runs.items()},
          "y_test": ds.y_test.numpy(), "y_val": ds.y_val.numpy(), "status": {r: run.status[sl] for r, (run, sl) in runs.items()}})


def role_name(eps: float) -> str:
    """The snapshot role of KD students of a teacher with label smoothing eps."""
    return "kd" if eps == 0 else f"kd_smoothed_{eps:g}"


def distil_job(omit: int, T: float, alpha: float, steps: int, seeds: int, teachers=(0.0,), baseline: bool = True):
    """The (function path, config) pair of a distil_task job."""
    return "kdviz.lessons.digits_omitted:distil_task", {
        "omit": int(omit), "T": float(T), "alpha": float(alpha), "steps": int(steps), "seeds": int(seeds),
        "teachers": [float(e) for e in teachers], "baseline": bool(baseline)}


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


def fmt(values: np.ndarray, digits: int = 1) -> str:
    """Mean +- std (sample std) of per-seed values, e.g. '23.3 ± 1.2' (just the mean for one seed)."""
    v = np.asarray(values, dtype=float)
    return f"{v.mean():.{digits}f}" + (f" ± {v.std(ddof=1):.{digits}f}" if len(v) > 1 else "")


def comparison_rows(snap: dict, bias: float, chosen: float) -> list[dict]:
    """Rows of the omitted-digit table: the paper's MNIST numbers and ours, each labelled as such."""
    c, y = snap["omit"], snap["y_test"]
    p = PAPER
    rows = [{"source": "Paper (Hinton et al. 2015, MNIST, digit 3 omitted)", "student": "distilled, bias unchanged",
             "test errors": f"{p['errors']} of {p['test_count']}",
             "errors on the omitted digit": f"{p['errors_on_digit']} of {p['digit_count']}"},
            {"source": "Paper (Hinton et al. 2015, MNIST, digit 3 omitted)", "student": f"distilled, bias +{p['bias']}",
             "test errors": f"{p['errors_after']} of {p['test_count']}",
             "errors on the omitted digit": f"{p['errors_on_digit_after']} of {p['digit_count']}"}]
    ours = [("baseline", "labels only (no KD), bias unchanged", 0.0), ("kd", "distilled, bias unchanged", 0.0),
            ("kd", f"distilled, bias {chosen:+g} (chosen on validation)", chosen),
            ("kd", f"distilled, bias {bias:+g} (your slider)", bias)]
    for role, what, b in ours:
        if role not in snap["test_logits"] or (what.endswith("(your slider)") and b in (0.0, chosen)):
            continue
        e = errors(snap["test_logits"][role], y, c, b)
        rows.append({"source": f"Ours (8x8 digits, digit {c} omitted, mean ± std of {len(e.total)} seeds)",
                     "student": what, "test errors": f"{fmt(e.total)} of {e.n}",
                     "errors on the omitted digit": f"{fmt(e.on_digit)} of {e.n_digit}"})
    return rows
