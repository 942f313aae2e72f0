"""Server CPU of one live redraw of the Live training page: figures built afresh per redraw (before)
against figures kept per job and updated in place (after); prints JSON.

Runs the Live experiment with its defaults in this process to collect its snapshots, then for each
snapshot times what st.plotly_chart does with the page's two figures (to_dict, then to_json) after
building them (before) or after updating the kept ones (after), in CPU seconds of this process.
An unchanged redraw (same snapshot version) only serialises the kept figures.

    OMP_NUM_THREADS=1 python bench/bench_redraw.py
"""
from __future__ import annotations

import _root  # noqa: F401  (the repository root on sys.path)

import json
import time

import plotly.io
import torch

from kdviz.experiments import live
from kdviz.figures import live as live_figures
from kdviz.plots.training import FigureSpec

CONFIG = live.LiveConfig()  # the page's defaults


def figures(snap: live.LiveSnapshot, kept: tuple | None) -> tuple:
    """The page's two figures for ``snap`` (kdviz.figures.live, as the page builds them): new ones (kept None) or
    the kept ones updated."""
    made = live_figures.figures(CONFIG, snap)
    regions = made["decision regions"](into=kept and kept[0])
    curves = made["learning curves"](into=kept and kept[1])
    return (regions, curves) if kept is None else kept


def kept_figures(snap: live.LiveSnapshot) -> tuple:
    """The figures of the first snapshot frozen for in-place updates, as the page keeps them."""
    return tuple(FigureSpec(f) for f in figures(snap, None))


def send(figs: tuple) -> int:
    """What st.plotly_chart does with each figure: to_dict, then to_json; returns the bytes sent."""
    return sum(len(plotly.io.to_json(fig.to_dict(), validate=False)) for fig in figs)


def cpu_ms(fn, snaps: list) -> list[float]:
    """CPU milliseconds of fn(snapshot) for each snapshot."""
    out = []
    for snap in snaps:
        t0 = time.process_time()
        fn(snap)
        out.append(1000 * (time.process_time() - t0))
    return out


def summary(ms: list[float]) -> dict:
    """Mean and worst of a list of milliseconds."""
    return {"mean_ms": round(sum(ms) / len(ms), 2), "max_ms": round(max(ms), 2), "n": len(ms)}


def main() -> None:
    """Collect the snapshots, then time both ways of redrawing them."""
    torch.set_num_threads(1)
    snaps = [s for s in live.run(CONFIG, device="cpu") if isinstance(s, live.LiveSnapshot)]
    before = cpu_ms(lambda s: send(figures(s, None)), snaps)
    kept = kept_figures(snaps[0])
    after = cpu_ms(lambda s: send(figures(s, kept)), snaps[1:])
    unchanged = cpu_ms(lambda s: send(kept), snaps[1:])
    print(json.dumps({"snapshots": len(snaps), "bytes_per_redraw": send(kept),
                      "before_build_each_redraw": summary(before), "after_update_in_place": summary(after),
                      "after_unchanged_version": summary(unchanged)}, indent=1))


if __name__ == "__main__":
    main()
