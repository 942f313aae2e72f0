"""Grid sweeps: a cell reproduces Compare's student, the Ray backend gives the local backend's numbers, reruns resume."""
import argparse
import csv
from pathlib import Path

import pytest

from kdviz import cli
from kdviz.experiments import compare, grid
from kdviz.experiments.protocol import last
from tests.tolerance import one_point

GRID = grid.Grid(dataset="blobs", T=(4.0,), alpha=(0.1, 0.5), method=("kd", "baseline"), teacher=("128, 128",),
                 student=("32",), seeds=(0, 1), steps=60, omit=3)
METRICS = ("accuracy", "fidelity", "kl_to_teacher")


def rows(path: Path) -> dict:
    with open(path, newline="") as f:
        return {grid.Cell(**{k: grid._typed(k, r[k]) for k in grid.KEYS}).key: r for r in csv.DictReader(f)}


def test_a_grid_cell_is_comparees_student_and_reruns_resume(tmp_path):
    out = tmp_path / "sweep.csv"
    summary = grid.sweep(GRID, out, "local", population=3, workers=1)
    assert summary["trained"] == 8 and summary["tasks"] == 3
    got = rows(out)
    cfg = compare.CompareConfig(methods="kd", steps=60, seeds=2)
    snap, n_test = last(compare.run(cfg)), len(compare.build_data(cfg)[0].y_test)
    for k, (method, seed) in enumerate([("baseline", 0), ("baseline", 1), ("kd", 0), ("kd", 1)]):
        cell = grid.Cell("blobs", 0, 3, 60, 0.01, 64, "128, 128", "32", method, 4.0, 0.1, seed)
        # a member of a population of 3 against one of 4 (batched matmuls of other shapes): one test point may differ
        assert float(got[cell.key]["accuracy"]) == pytest.approx(snap.final["accuracy"][k], abs=one_point(n_test))
    again = grid.sweep(GRID, out, "local", population=3, workers=1)
    assert again["skipped"] == 8 and again["trained"] == 0 and len(rows(out)) == 8


def test_ray_backend_gives_the_local_numbers(tmp_path):
    ray = pytest.importorskip("ray")
    grid.sweep(GRID, tmp_path / "local.csv", "local", population=4, workers=1)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        summary = grid.sweep(GRID, tmp_path / "ray.parquet", "ray", population=4)
    finally:
        ray.shutdown()
    assert summary["trained"] == 8
    import pyarrow.parquet as pq

    local = rows(tmp_path / "local.csv")
    remote = {grid.Cell(**{k: r[k] for k in grid.KEYS}).key: r for r in pq.read_table(tmp_path / "ray.parquet").to_pylist()}
    assert set(local) == set(remote)
    for key, r in local.items():
        assert [float(r[m]) for m in METRICS] == [remote[key][m] for m in METRICS]


def test_grid_flags_are_checked():
    p = argparse.ArgumentParser()
    cli.sweep_arguments(p)
    with pytest.raises(ValueError, match="a grid method"):
        cli.grid_of(p.parse_args(["--method", "kd, mutual"]))
    g = cli.grid_of(p.parse_args(["--T", "1, 2", "--seeds", "0-9", "--student", "8", "--student", "32, 32"]))
    assert len(g.cells()) == 2 * 1 * 2 * 10 * 2 and g.student == ("8", "32, 32")
