"""A finished run's students as rows: one record per member of a snapshot's PopulationRun (what it is, its status,
its test metrics), the rows every experiment without its own ``students`` hook exports (kdviz.exports.members)."""
from __future__ import annotations

import numpy as np


def run_members(cfg, snap) -> list[dict]:
    """One record per student of a snapshot holding a RunSnapshot ``run`` (and test metrics ``final``): its
    position, method, seed, T, alpha, status, test metrics. The default of experiments without a ``students`` hook."""
    run, final = getattr(snap, "run", None), getattr(snap, "final", None)
    if run is None:
        return []
    failed = getattr(snap, "failed", None) or [None] * len(run.members)  # why each failed (kdviz.experiments.learned)
    rows = []
    for k, m in enumerate(run.members):
        row = {"member": k, "method": m["method"], "seed": m["seed"], "T": m["T"], "alpha": m["alpha"],
               "lr": m["lr"], "status": failed[k] or run.status[k], "steps": run.step}
        row.update(metric_columns(final or {}, k))
        rows.append(row)
    return rows


def metric_columns(final: dict, k: int) -> dict:
    """Member k's test metrics of an evaluate() result as columns (per-class ones, recall, as metric_0, metric_1...)."""
    row = {}
    for metric, values in final.items():
        v = np.asarray(values)[k]
        if np.ndim(v) == 0:
            row[metric] = float(v)
        else:  # per class (recall)
            row.update({f"{metric}_{c}": float(x) for c, x in enumerate(v)})
    return row

