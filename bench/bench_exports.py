"""Wall time of writing a run's figures: each image rendered on its own (a browser started per image,
before) against every image rendered in one kaleido session (kdviz.exports.one_browser, after);
prints JSON.

Trains Compare paradigms at its defaults in this process (as ``python -m kdviz compare`` does),
builds the page's figures once, then writes the same PNG and SVG files both ways, and finally
times kdviz.exports.write_bundle on the whole bundle (what the command line writes).

    OMP_NUM_THREADS=1 python bench/bench_exports.py
"""
from __future__ import annotations

import _root  # noqa: F401  (the repository root on sys.path)

import json
import tempfile
import time
from pathlib import Path

from kdviz import exports
from kdviz.experiments import compare
from kdviz.experiments.protocol import last


def main() -> None:
    """Run Compare's defaults, then time the figures one by one and in one session."""
    cfg = compare.CompareConfig()
    t0 = time.perf_counter()
    snap = last(compare.run(cfg))
    train_s = time.perf_counter() - t0
    figs = exports.figures("compare", cfg, snap)
    jobs = [(title, fmt) for title in figs for fmt in ("png", "svg")]

    t0 = time.perf_counter()
    alone = [exports.figure_bytes(figs[t], f) for t, f in jobs]
    alone_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with exports.one_browser():
        shared = [exports.figure_bytes(figs[t], f) for t, f in jobs]
    shared_s = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        written = exports.write_bundle(exports.bundle("compare", cfg, snap), Path(tmp))
        bundle_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        exports.write_bundle(exports.bundle("compare", cfg, snap, with_figures=False), Path(tmp) / "plain")
        plain_s = time.perf_counter() - t0
    print(json.dumps({
        "experiment": "compare (defaults)", "train_s": round(train_s, 2), "images": len(jobs),
        "one_by_one_s": round(alone_s, 2), "one_session_s": round(shared_s, 2),
        "speedup": round(alone_s / shared_s, 2) if shared_s > 0 else None,
        "same_file_kinds": all(a[:4] == b[:4] for a, b in zip(alone, shared)),
        "bundle_files": len(written), "bundle_with_figures_s": round(bundle_s, 2),
        "bundle_without_figures_s": round(plain_s, 2)}, indent=1))


if __name__ == "__main__":
    main()
