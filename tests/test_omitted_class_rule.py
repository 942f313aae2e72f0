"""One rule moves the class the students never see onto a dataset's classes: Live, Compare and the command line."""
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from kdviz import cli
from kdviz.data import csv as csv_data
from kdviz.data.omission import check, fit, omission
from kdviz.experiments import compare, live

ROOT = Path(__file__).resolve().parents[1]


def _three_class_csv(rows: int = 150) -> bytes:
    rng = np.random.default_rng(0)
    y = np.arange(rows) % 3
    x = rng.normal(size=(rows, 2)) + y[:, None] * 2.0
    return ("a,b,label\n" + "".join(f"{p:.4f},{q:.4f},{c}\n" for (p, q), c in zip(x, y))).encode()


@pytest.fixture
def csv_name():
    name = csv_data.store(csv_data.read_table(_three_class_csv()))
    yield name
    csv_data.remove(name)


@pytest.mark.parametrize("dataset, requested, moved", [("blobs", 3, 3), ("blobs", -1, -1), ("spiral", 3, 2),
                                                       ("spiral", 9, 2), ("moons", 1, -1), ("moons", 0, -1),
                                                       ("moons", -1, -1)])
def test_the_rule_keeps_what_the_dataset_has_and_moves_the_rest(dataset, requested, moved):
    o = omission(dataset, requested)
    assert o.omit == moved and o.moved == (moved != requested)
    assert (o.notice() is None) == (moved == requested)


def test_a_three_class_upload_moves_class_3_to_2_and_says_so_in_words(csv_name):
    cfg, said = fit(compare.CompareConfig(dataset=csv_name))
    assert cfg.omit == 2 and cfg.dataset == csv_name
    assert said == "your CSV has 3 classes, so class 3 cannot be left out (it has classes 0 to 2): class 2 is left out instead."
    assert compare.validate(cfg) is cfg
    with pytest.raises(ValueError, match="your CSV has 3 classes"):
        check(compare.CompareConfig(dataset=csv_name))
    lcfg, said_live = fit(live.LiveConfig(dataset=csv_name))
    assert lcfg.omit == 2 and said_live == said  # the same rule, the same words


def test_lives_preview_draws_a_three_class_upload_at_the_default_omitted_class(csv_name):
    plane = live.preview(live.LiveConfig(dataset=csv_name))  # omit 3 of 3 classes: never raises
    assert len(plane.class_names) == 3


@pytest.mark.parametrize("page", ["compare", "live"])
def test_both_pages_move_the_omitted_class_of_an_uploaded_csv(monkeypatch, csv_name, page):
    at = AppTest.from_file(str(ROOT / "app_pages" / f"{page}.py"), default_timeout=60)
    monkeypatch.setattr("ui.upload.dataset", lambda cfg, key, two_d_only=False: dataclasses.replace(
        cfg, dataset=csv_name))  # the upload widget cannot be driven by AppTest: its result is fed in
    at.run()
    assert not at.exception and not at.error
    assert any("class 3 cannot be left out" in i.value and "class 2 is left out instead" in i.value for i in at.info)


def test_the_command_line_moves_it_too_and_says_so(tmp_path, capsys):
    path = tmp_path / "three.csv"
    path.write_bytes(_three_class_csv())
    out = tmp_path / "out"
    assert cli.main(["compare", "--csv", str(path), "--methods", "kd", "--steps", "50", "--seeds", "2",
                     "--out", str(out), "--no-figures", "--progress", "none"]) == 0
    assert "note: your CSV has 3 classes, so class 3 cannot be left out" in capsys.readouterr().err
    result = json.loads((out / "results.json").read_text())
    assert result["settings"]["omit"] == 2
