"""Fair share between sessions: one session's many runs beside another session's single default run; prints JSON.

Session A submits nine runs (the six Claims and the three Which teacher? experiments, page defaults),
session B one default Live run. Reports B's seconds from submit to result beside A, against B alone
on the same pool (best of ``--alone`` runs), and how many of A's runs the pool took. The pool is set up
like the server's (``--workers`` processes, KDVIZ_JOBS_PER_WORKER jobs each, the default per-session
limit). ``--root`` imports kdviz from another checkout, to compare with an older version.

    OMP_NUM_THREADS=1 python bench/bench_fairness.py [--workers 2] [--root /path/to/checkout]
"""
from __future__ import annotations

import _root  # noqa: F401  (the repository root on sys.path)

import argparse
import inspect
import json
import os
import sys
import tempfile
import time

A_RUNS = [("claims", {"claim": c}) for c in ("fidelity", "hinton", "temperature", "alpha", "smoothness", "gradient")] + \
         [("which_teacher", {"part": p}) for p in ("capacity", "assistant", "early_stop")]


def main() -> None:
    """Time B alone, then B beside A's nine runs, and print both with their ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--alone", type=int, default=2, help="runs of B alone (the best counts)")
    ap.add_argument("--root", help="import kdviz from this checkout instead")
    args = ap.parse_args()
    if args.root:
        sys.path.insert(0, os.path.abspath(args.root))
        for name in [m for m in sys.modules if m == "kdviz" or m.startswith("kdviz.")]:
            del sys.modules[name]
    os.environ.setdefault("KDVIZ_CACHE_DIR", tempfile.mkdtemp(prefix="kdviz-fairness-"))
    import kdviz
    from kdviz.experiments import experiment
    from kdviz.experiments.task import job
    from kdviz.jobs import JobPool

    options = {"jobs_per_worker": int(os.environ.get("KDVIZ_JOBS_PER_WORKER") or 4)}
    if "per_owner" in inspect.signature(JobPool).parameters:
        from kdviz.jobs.pool import runs_per_session

        options["per_owner"] = runs_per_session()
    pool = JobPool(workers=args.workers, **options)
    try:
        assert pool.wait_ready(300), "workers did not start"
        live = job("live", experiment("live").config(), device="cpu")

        def b_run() -> float:
            t0 = time.monotonic()
            b = pool.submit(live, owner="B")
            assert b.wait(900) and b.state == "done", b.error
            return time.monotonic() - t0

        b_run()  # trains and stores the Live teacher, as a warm server has
        alone = [b_run() for _ in range(args.alone)]
        a_jobs, refused = [], []
        for name, settings in A_RUNS:
            try:
                a_jobs.append(pool.submit(job(name, experiment(name).config(**settings), device="cpu"), owner="A"))
            except ValueError as exc:
                refused.append(str(exc))
        time.sleep(1.0)  # A's runs have taken their slots and started their teachers
        states = [j.state for j in a_jobs]
        beside = b_run()
        for j in a_jobs:
            j.close(30)
        print(json.dumps({"kdviz": os.path.dirname(os.path.dirname(kdviz.__file__)), "workers": args.workers,
                          "slots": pool.slots, "pool_options": options, "b_alone_s": [round(t, 2) for t in alone],
                          "a_submitted": len(a_jobs), "a_refused": len(refused),
                          "refusal": refused[0] if refused else None, "a_states_when_b_came": states,
                          "b_beside_a_s": round(beside, 2), "ratio": round(beside / min(alone), 2)}, indent=1))
    finally:
        pool.shutdown()


if __name__ == "__main__":
    main()
