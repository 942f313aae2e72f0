"""The command line runs exactly a page's experiment, and every export round-trips (safetensors, ONNX, config)."""
import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest
import torch
from safetensors.torch import load
from streamlit.testing.v1 import AppTest

from kdviz import cli, exports
from kdviz.experiments import compare
from kdviz.experiments.protocol import last
from kdviz.models import MLP, Population
from tests.tolerance import assert_reloaded_member, one_point

ROOT = Path(__file__).resolve().parents[1]
SMALL = dict(methods="kd", steps="60", seeds="2")


@pytest.fixture(scope="module")
def small_run():
    cfg = compare.CompareConfig(methods="kd,dkd", steps=60, seeds=2)
    return cfg, last(compare.run(cfg))


def test_compare_from_a_page_link_reproduces_the_pages_numbers(tmp_path):
    at = AppTest.from_file(str(ROOT / "app_pages" / "compare.py"), default_timeout=120)
    for k, v in SMALL.items():
        at.query_params[k] = v
    at.run()
    at.button(key="start").click().run()
    job = at.session_state["_job.compare"]
    deadline = time.time() + 120
    while not job.done and time.time() < deadline:
        time.sleep(0.3)
    assert job.state == "done", job.error
    page = job.snapshot().final["accuracy"]  # what the page's table and strip show
    link = "http://127.0.0.1:8501/compare?" + urlencode({k: at.query_params[k] for k in at.query_params})
    done = subprocess.run([sys.executable, "-m", "kdviz", "compare", "--from-url", link, "--out", str(tmp_path),
                           "--no-figures"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})  # as the page's job: the same kernels
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]  # a pipe: JSON lines
    assert lines[0]["phase"] == "teachers" and lines[-1]["done"]
    result = json.loads((tmp_path / "results.json").read_text())
    assert result["settings"]["steps"] == 60 and result["settings"]["methods"] == "kd"
    assert [m["accuracy"] for m in result["members"]] == pytest.approx(page.tolist(), abs=0)
    assert result["verdict"] == lines[-1]["verdict"] != ""


def test_bad_flags_and_links_get_the_pages_messages(capsys):
    assert cli.main(["compare", "--omit", "12", "--out", "unused"]) == 2
    assert "--omit='12'" in capsys.readouterr().err
    assert cli.main(["compare", "--T", "abc"]) == 2
    assert "--T='abc'" in capsys.readouterr().err
    assert cli.main(["compare", "--from-url", "http://x/compare"]) == 2
    assert "has no settings" in capsys.readouterr().err


def test_settings_come_from_config_then_link_then_flags(tmp_path, small_run):
    cfg, _ = small_run
    path = tmp_path / "config.json"
    path.write_bytes(exports.config_json("compare", cfg))
    args = cli.parser().parse_args(["compare", "--config", str(path), "--from-url",
                                    "http://h" + exports.config_url("compare", compare.CompareConfig(T=8.0, steps=60)),
                                    "--alpha", "0.5"])
    got = cli.settings("compare", args)
    assert (got.methods, got.seeds, got.T, got.alpha, got.steps) == ("kd,dkd,fitnet,similarity,multi_teacher,mutual",
                                                                     3, 8.0, 0.5, 60)  # the link set every field
    args = cli.parser().parse_args(["compare", "--config", str(path)])
    assert cli.settings("compare", args) == cfg


def test_results_hold_settings_per_seed_numbers_and_the_verdict(small_run):
    cfg, snap = small_run
    res = json.loads(exports.results_json("compare", cfg, snap))
    assert [m["method"] for m in res["members"]] == ["baseline"] * 2 + ["kd"] * 2 + ["dkd"] * 2
    assert [m["seed"] for m in res["members"]] == [0, 1] * 3
    assert res["verdict"] == compare.takeaway(compare.summarise(snap, cfg.omit))
    rows = list(csv.DictReader(io.StringIO(exports.results_csv("compare", cfg, snap).decode())))
    assert len(rows) == 6 and rows[2]["setting.methods"] == "kd,dkd" and rows[2]["method"] == "kd"
    assert float(rows[2]["accuracy"]) == pytest.approx(snap.final["accuracy"][2])


def test_a_student_reloads_from_safetensors_into_the_same_predictions(small_run):
    cfg, snap = small_run
    k = exports.best_member("compare", cfg, snap)
    card = exports.student_card("compare", cfg, snap, k)
    model = MLP(card["architecture"]["sizes"], card["architecture"]["activation"])
    model.load_state_dict(load(exports.student_safetensors("compare", cfg, snap, k)))
    ds, _ = compare.build_data(cfg)
    assert_reloaded_member(model, Population.from_arrays(snap.run.weights), k, ds.x_test)
    with torch.no_grad():
        acc = (model(ds.x_test).argmax(1) == ds.y_test).float().mean().item()
    # the card's accuracy is the population's (another kernel): one test point on the boundary may differ
    assert acc == pytest.approx(card["metrics"]["accuracy"], abs=one_point(len(ds.y_test)))
    assert card["metrics"]["accuracy"] == pytest.approx(snap.final["accuracy"].max())
    assert (card["method"], card["T"], card["alpha"]) == (snap.run.members[k]["method"], cfg.T, cfg.alpha)


def test_onnx_student_predicts_what_pytorch_predicts(small_run):
    cfg, snap = small_run
    model = exports.student_model(snap.run.weights, 0)
    ds, _ = compare.build_data(cfg)
    check = exports.onnx_check(model, exports.onnx_student(model, 2), ds.x_test, batch_sizes=(1, 64))
    assert check.same_predictions and check.max_abs_diff < 1e-5
    assert len(check.onnx_us) == 2 and all(u > 0 for u in check.onnx_us + check.torch_us)
    assert "the same class for every input" in check.text()


def test_market_exports_its_student_as_onnx():
    from kdviz.experiments import market

    cfg = market.MarketConfig(days=600, steps=100, seeds=1, members=2)
    snap = last(market.run(cfg))
    files = {e.file_name: e for e in exports.bundle("market", cfg, snap, with_figures=False)}
    check = json.loads(files["onnx-check.json"].build())
    assert check["same_predictions"] is True and check["batch_sizes"] == [1, 1024]
    import onnx

    graph = onnx.load_model_from_string(files["student.onnx"].build()).graph
    assert [i.name for i in graph.input] == ["x"] and [o.name for o in graph.output] == ["probs"]


def test_figures_render_offline_as_png_and_svg(small_run):
    cfg, snap = small_run
    figs = exports.figures("compare", cfg, snap)
    assert set(figs) == {"decision regions", "learning curves", "accuracy per seed"}
    assert exports.figure_bytes(figs["accuracy per seed"], "png")[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in exports.figure_bytes(figs["accuracy per seed"], "svg")[:400]


def test_the_command_line_trains_on_a_csv_with_the_experiments_numbers(tmp_path):
    from kdviz.data import csv as csv_data

    rng = np.random.default_rng(3)
    path = tmp_path / "mine.csv"
    path.write_text("a,b,c,kind\n" + "".join(f"{rng.normal() + i % 2},{rng.normal()},{rng.normal()},{'xy'[i % 2]}\n"
                                              for i in range(120)))
    out = tmp_path / "out"
    assert cli.main(["compare", "--csv", str(path), "--label", "kind", "--omit", "-1", "--methods", "kd", "--steps", "60",
                     "--seeds", "2", "--out", str(out), "--no-figures", "--progress", "none"]) == 0
    result = json.loads((out / "results.json").read_text())
    name = csv_data.store(csv_data.read_table(path.read_bytes(), "kind"))
    assert result["settings"]["dataset"] == name
    cfg = compare.CompareConfig(dataset=name, omit=-1, methods="kd", steps=60, seeds=2)
    try:
        snap = last(compare.run(cfg))
    finally:
        csv_data.remove(name)
    assert [m["accuracy"] for m in result["members"]] == snap.final["accuracy"].tolist()
    assert cli.main(["live", "--csv", str(path), "--omit", "-1"]) == 2  # 3 features: not on the plane
