"""Exports of Beyond one teacher and of every Dark knowledge run: one CSV row per student with the snapshot's
numbers, the page's figures, students that reload into the same predictions, and the command line's files."""
import csv
import io
import json

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from safetensors.torch import load

from kdviz import cli, exports
from kdviz.experiments import beyond
from kdviz.experiments import dark_knowledge as D
from kdviz.experiments.dark_knowledge import omitted as O
from kdviz.experiments.dark_knowledge.teachers import digits_data
from kdviz.experiments.protocol import last
from kdviz.models import MLP, Population
from tests.tolerance import assert_reloaded_member, one_point

BEYOND = beyond.BeyondConfig(steps=60, seeds=2, generations=2)
DARK = D.DarkConfig(image=7, T=2.0, steps=50, seeds=2, bias=1.5, sweep_steps=50, sweep_seeds=1)
DARK_FLAGS = ["--image", "7", "--T", "2", "--steps", "50", "--seeds", "2", "--bias", "1.5", "--sweep-steps", "50",
              "--sweep-seeds", "1"]


@pytest.fixture(scope="module")
def beyond_run():
    return last(beyond.run(BEYOND))


@pytest.fixture(scope="module")
def dark_run():
    return last(D.page.run(DARK))


def csv_rows(name, cfg, snap) -> list[dict]:
    return list(csv.DictReader(io.StringIO(exports.results_csv(name, cfg, snap).decode())))


def reloaded(name, cfg, snap, k) -> tuple[MLP, dict]:
    """Row k's student from its safetensors bytes and card, and the card."""
    card = exports.student_card(name, cfg, snap, k)
    model = MLP(card["architecture"]["sizes"], card["architecture"]["activation"])
    model.load_state_dict(load(exports.student_safetensors(name, cfg, snap, k)))
    return model.eval(), card


def test_beyond_rows_are_one_per_student_with_the_snapshots_numbers(beyond_run):
    r, s = beyond_run.results, BEYOND.seeds
    rows = csv_rows("beyond", BEYOND, beyond_run)
    by_topic = {t: [row for row in rows if row["topic"] == t] for t in beyond.TOPICS}
    assert [len(by_topic[t]) for t in beyond.TOPICS] == [5 * s, 2 * s, (len(beyond.DECAYS) + 1) * s,
                                                          (BEYOND.generations + 1) * s]
    assert len(rows) == sum(len(v) for v in by_topic.values())
    got = lambda t, key: np.array([float(row[key]) for row in by_topic[t]])  # noqa: E731
    np.testing.assert_allclose(got("multi", "accuracy"), r["multi"].acc.ravel(), rtol=1e-6)
    np.testing.assert_allclose(got("mutual", "agreement"), r["mutual"].agreement.ravel(), rtol=1e-6)
    e = r["ema"]
    np.testing.assert_allclose(got("ema", "accuracy"), np.r_[e.student_acc[..., -1].ravel(), e.baseline_acc], rtol=1e-6)
    np.testing.assert_allclose([float(row["teacher_accuracy"]) for row in by_topic["ema"][:-s]],
                               e.teacher_acc[..., -1].ravel(), rtol=1e-6)
    np.testing.assert_allclose(got("born_again", "accuracy"), r["born_again"].acc.ravel(), rtol=1e-6)
    assert [row["method"] for row in by_topic["multi"][::s]] == r["multi"].methods
    assert [row["seed"] for row in by_topic["born_again"]] == ["0", "1", "1000", "1001", "2000", "2001"]
    assert {row["status"] for row in rows} == {"ok"} and rows[0]["setting.regime"] == "own"
    assert by_topic["multi"][0]["T"] == "" and float(by_topic["multi"][s]["T"]) == BEYOND.T  # baseline has no T


def test_beyond_figures_are_the_pages(beyond_run):
    figs = exports.figures("beyond", BEYOND, beyond_run)
    assert all(isinstance(f, go.Figure) and len(f.data) > 0 for f in figs.values())
    assert [t.name for t in figs["ema distance"].data] == [f"decay {d}" for d in beyond.DECAYS]
    strip = figs["several teachers accuracy"]
    m = beyond_run.results["multi"]
    dots = strip.data[::2]  # per method: its seeds' dots, then its mean
    assert [t.x[0] for t in dots] == m.labels
    np.testing.assert_allclose([t.y for t in dots], m.acc * 100)
    assert len(figs) == 10 and figs["combination rules"].layout.height == 300


def test_a_beyond_student_reloads_into_the_same_predictions(beyond_run):
    k = exports.best_member("beyond", BEYOND, beyond_run)
    model, card = reloaded("beyond", BEYOND, beyond_run, k)
    weights, m = exports.student_weights("beyond", BEYOND, beyond_run, k)
    ds = beyond.data(BEYOND)
    assert_reloaded_member(model, Population.from_arrays(weights), m, ds.x_test)
    with torch.no_grad():
        acc = (model(ds.x_test).argmax(1) == ds.y_test).float().mean().item()
    rows = exports.members("beyond", BEYOND, beyond_run)
    # the card's accuracy is the population's (another kernel): one test point on the boundary may differ
    assert acc == pytest.approx(card["metrics"]["accuracy"], abs=one_point(len(ds.y_test)))
    assert card["metrics"]["accuracy"] == pytest.approx(max(r["accuracy"] for r in rows))
    assert card["topic"] == rows[k]["topic"] and card["data"]["name"] == "blobs"


def test_dark_rows_hold_every_part_with_the_snapshots_numbers(dark_run):
    parts = dark_run.parts
    rows = csv_rows("dark_knowledge", DARK, dark_run)
    by_part = {p: [row for row in rows if row["part"] == p] for p in D.page.PARTS}
    sweep_result = parts["sweep"].result
    assert [len(by_part[p]) for p in D.page.PARTS] == [2, 2 * DARK.seeds, 2 * DARK.seeds,
                                                       2 * sweep_result.accuracy["small"].size]
    np.testing.assert_allclose([float(r["accuracy"]) for r in by_part["teachers"]], parts["teachers"].test_acc)
    om = parts["omitted"]
    for role in ("kd", "baseline"):
        e = O.errors(om.test_logits[role], om.y_test, om.omit)
        got = [r for r in by_part["omitted"] if r["role"] == role]
        assert [int(r["errors"]) for r in got] == e.total.tolist()
        assert [int(r["errors_on_3"]) for r in got] == e.on_digit.tolist()
    assert {r["role"] for r in by_part["smoothing"]} == {"kd", "kd_smoothed_0.1"}
    np.testing.assert_allclose([float(r["accuracy"]) for r in by_part["sweep"]],
                               np.r_[sweep_result.accuracy["small"].ravel(), sweep_result.accuracy["tiny"].ravel()])
    assert [float(r["T"]) for r in by_part["sweep"][:4]] == [1.0] * 4  # grid order: T, then alpha, then seed
    assert float(by_part["omitted"][0]["T"]) == DARK.kd_T and rows[0]["setting.kd_T"] == "8.0"


def test_dark_figures_use_the_pages_display_settings(dark_run):
    figs = exports.figures("dark_knowledge", DARK, dark_run)
    assert set(figs) == {"teachers test image", "teachers soft targets", "teachers class similarity",
                         "teachers what T reveals", "omitted bias curve", "sweep accuracy heatmaps",
                         "sweep fidelity heatmaps", "sweep accuracy vs T"}
    assert all(isinstance(f, go.Figure) and len(f.data) > 0 for f in figs.values())
    assert f"Test image {DARK.image}" in figs["teachers test image"].layout.title.text
    bars = [t for t in figs["teachers soft targets"].data if t.type == "bar"]
    assert len(bars) == 2 and np.isclose(np.sum(bars[1].y), 1.0, atol=1e-6)
    assert sum(t.type == "heatmap" for t in figs["sweep accuracy heatmaps"].data) == 2  # small and tiny
    one_tab = exports.figures("dark_knowledge", DARK, D.page.part("sweep", dark_run.parts["sweep"]))
    assert set(one_tab) == {"sweep accuracy heatmaps", "sweep fidelity heatmaps", "sweep accuracy vs T"}


def test_dark_students_reload_into_the_logits_they_were_trained_to(dark_run):
    ds = digits_data(0)
    om = dark_run.parts["omitted"]
    part = D.page.part("omitted", om)
    rows = exports.members("dark_knowledge", DARK, part)
    for k, row in enumerate(rows):
        model, card = reloaded("dark_knowledge", DARK, part, k)
        with torch.no_grad():
            z = model(ds.x_test).numpy()
        np.testing.assert_allclose(z, om.test_logits[row["role"]][row["seed"]], atol=1e-5)
        assert card["metrics"]["errors"] == row["errors"] and card["method"] == row["method"]
    k = exports.best_member("dark_knowledge", DARK, dark_run)
    model, card = reloaded("dark_knowledge", DARK, dark_run, k)
    with torch.no_grad():
        acc = (model(ds.x_test).argmax(1) == ds.y_test).float().mean().item()
    # nn.Linear against the population that measured the card: one test point on the boundary may differ
    assert card["part"] == "sweep" and acc == pytest.approx(card["metrics"]["accuracy"], abs=one_point(len(ds.y_test)))
    assert exports.student_weights("dark_knowledge", DARK, dark_run, 0) is None  # row 0 is a teacher


def test_every_tab_exports_its_part_and_the_command_line_writes_them_all(dark_run, tmp_path):
    for name in D.page.PARTS:
        files = {e.file_name for e in exports.bundle("dark_knowledge", DARK, D.page.part(name, dark_run.parts[name]))}
        assert {"results.csv", "results.json", "config.json", "link.txt"} <= files
        assert ("student.safetensors" in files) == (name != "teachers")
    assert cli.main(["dark-knowledge", *DARK_FLAGS, "--out", str(tmp_path), "--progress", "none"]) == 0
    written = {p.name for p in tmp_path.iterdir()}
    expected = {e.file_name for e in exports.bundle("dark_knowledge", DARK, dark_run)}
    assert written == expected and "sweep-accuracy-heatmaps.png" in written and "teachers-soft-targets.svg" in written
    assert (tmp_path / "omitted-bias-curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = json.loads((tmp_path / "results.json").read_text())
    assert [m["accuracy"] for m in result["members"]] == pytest.approx(
        [r["accuracy"] for r in exports.members("dark_knowledge", DARK, dark_run)], abs=0)
    assert result["verdict"] == exports.verdict("dark_knowledge", DARK, dark_run) and "never saw a 3" in result["verdict"]
    link = (tmp_path / "link.txt").read_text()
    assert link.startswith("/dark_knowledge?") and "kd_T=8" in link
    args = cli.parser().parse_args(["dark-knowledge", "--from-url", "http://h" + link])
    assert cli.settings("dark_knowledge", args) == DARK  # the page link round-trips
    args = cli.parser().parse_args(["dark-knowledge", "--config", str(tmp_path / "config.json")])
    assert cli.settings("dark_knowledge", args) == DARK


def test_which_teacher_exports_its_panels_dots_and_verdicts():
    from kdviz.experiments import which_teacher

    cfg = which_teacher.WhichTeacherConfig(part="assistant", teacher_steps=200, steps=100, seeds=2)
    snap = last(which_teacher.run(cfg))
    rows = exports.members("which_teacher", cfg, snap)
    panel = snap.panels[0]
    assert len(rows) == sum(v.size for v in panel.series.values())
    name, values = next(iter(panel.series.items()))
    first = [r for r in rows if r["role"] == f"{panel.title}: {name}"]
    assert [r[panel.y_title] for r in first] == pytest.approx(values.ravel().tolist())
    figs = exports.figures("which_teacher", cfg, snap)
    assert list(figs) == [p.title for p in snap.panels] and all(len(f.data) > 0 for f in figs.values())
    assert exports.verdict("which_teacher", cfg, snap) == " ".join(v.sentence for v in snap.verdicts) != ""
    assert exports.best_member("which_teacher", cfg, snap) is None  # no weights kept: no student file


def test_one_tabs_experiment_links_to_its_page_and_the_command_line_says_which_command_reads_it(capsys):
    cfg = O.OmittedConfig(omit=5, T=2.0, alpha=0.3, steps=100, seeds=2)
    link = exports.config_url("dark_omitted", cfg)
    args = cli.parser().parse_args(["dark-knowledge", "--from-url", "http://h" + link])
    page = cli.settings("dark_knowledge", args)
    assert D.omitted_config(page) == cfg and page.T == D.DarkConfig().T  # the shown T stays the page's own
    assert cli.main(["dark-omitted", "--from-url", "http://h" + link]) == 2
    assert "python -m kdviz dark-knowledge --from-url" in capsys.readouterr().err
    sweep_cfg = D.sweep_config(D.DarkConfig(sweep_steps=300, sweep_seeds=2))
    assert "sweep_steps=300&sweep_seeds=2" in exports.config_url("dark_sweep", sweep_cfg)


def test_market_rows_carry_each_students_test_period_numbers_and_the_best_is_exported():
    from kdviz.experiments import market

    cfg = market.MarketConfig(days=600, steps=100, seeds=2, members=2)
    snap = last(market.run(cfg))
    rows = exports.members("market", cfg, snap)
    m = snap.result.models
    assert [r["method"] for r in rows] == ["kd", "baseline"] * 2
    assert [r["accuracy"] for r in rows] == pytest.approx([m["kd"]["accuracy"][0], m["baseline"]["accuracy"][0],
                                                           m["kd"]["accuracy"][1], m["baseline"]["accuracy"][1]])
    k = exports.best_member("market", cfg, snap)
    assert rows[k]["accuracy"] == max(r["accuracy"] for r in rows)
    assert set(exports.figures("market", cfg, snap)) == {"accuracy", "latency", "calibration", "equity"}
