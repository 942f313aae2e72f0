"""A run on an uploaded CSV reruns from what the page hands out: its URL names the CSV ("csv:<digest>"), its link and
config rerun it on the command line given the same file (the digest checked), and a link naming a CSV the session
does not hold asks for that file instead of training a built-in dataset."""
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest

from kdviz import exports
from kdviz.data import csv as csv_data
from kdviz.experiments import compare
from tests.test_app_live import wait_for_job

ROOT = Path(__file__).resolve().parents[1]
SMALL = dict(methods="kd", steps="60", seeds="2", omit="-1")


def table_bytes(rows: int = 120, seed: int = 0) -> bytes:
    """A two-feature, two-class CSV (both pages take it: Live draws two features)."""
    rng = np.random.default_rng(seed)
    lines = [f"{rng.normal() + 2 * (i % 2):.3f},{rng.normal():.3f},{'ab'[i % 2]}" for i in range(rows)]
    return ("f1,f2,kind\n" + "\n".join(lines) + "\n").encode()


def name_of(data: bytes) -> str:
    """The dataset name the page and the command line give these bytes."""
    return f"csv:{csv_data.read_table(data).digest}"


def warnings(at) -> list[str]:
    """The page's warnings, unescaped (the page escapes Markdown in what it echoes)."""
    return [w.value.replace("\\", "") for w in at.warning]


def kdviz_cli(*argv, timeout: int = 300) -> subprocess.CompletedProcess:
    """python -m kdviz in a subprocess, one thread as the page's jobs (the same kernels)."""
    return subprocess.run([sys.executable, "-m", "kdviz", *map(str, argv)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "OMP_NUM_THREADS": "1"})


def accuracies(folder: Path) -> list[float]:
    """Each student's test accuracy in a run's results.json."""
    return [m["accuracy"] for m in json.loads((folder / "results.json").read_text())["members"]]


@pytest.mark.parametrize("page", ["compare", "live"])
def test_the_url_names_the_uploaded_csv_and_the_builtin_dataset_once_it_is_removed(page_test, page):
    at = page_test(f"app_pages/{page}.py", **SMALL)
    assert at.query_params["dataset"] == "blobs"
    data = table_bytes()
    at.file_uploader(key=f"{page}_csv").set_value(("mine.csv", data, "text/csv")).run()
    assert not at.exception
    assert at.query_params["dataset"] == name_of(data)  # what the page trains on
    link = [c.value for c in at.code if f"/{page}?" in c.value]  # the Copy link box
    assert link and f"dataset=csv%3A{name_of(data)[4:]}" in link[0]
    at.file_uploader(key=f"{page}_csv").set_value(None).run()
    assert at.query_params["dataset"] == "blobs" and not warnings(at)


def test_a_link_naming_a_csv_asks_for_that_file_and_says_when_another_comes(page_test):
    data, other = table_bytes(), table_bytes(seed=1)
    at = page_test("app_pages/compare.py", dataset=name_of(data), **SMALL)
    assert not at.exception
    said = warnings(at)
    assert len(said) == 1 and name_of(data) in said[0] and "upload" in said[0]
    assert "start" not in [b.key for b in at.button]  # nothing trains until the file comes
    assert at.query_params["dataset"] == name_of(data) and at.query_params["methods"] == "kd"
    at.file_uploader(key="compare_csv").set_value(("other.csv", other, "text/csv")).run()
    said = warnings(at)
    assert len(said) == 1 and name_of(other) in said[0] and name_of(data) in said[0]
    assert at.query_params["dataset"] == name_of(other)  # the page shows the other file, and says so
    at.file_uploader(key="compare_csv").set_value(("mine.csv", data, "text/csv")).run()
    assert not warnings(at) and not at.exception
    assert "start" in [b.key for b in at.button] and at.query_params["dataset"] == name_of(data)


def test_a_malformed_csv_name_in_a_link_is_one_line_and_the_page_shows_what_the_url_says(page_test):
    at = page_test("app_pages/compare.py", dataset="csv:../../etc", **SMALL)
    assert not at.exception
    said = warnings(at)
    assert len(said) == 1 and "not the name of an uploaded CSV" in said[0] and "blobs" in said[0]
    assert at.query_params["dataset"] == "blobs" and "start" in [b.key for b in at.button]


def test_a_page_run_on_a_csv_reruns_from_its_link_and_its_exports_with_the_same_file(page_test, tmp_path):
    data = table_bytes()
    (tmp_path / "mine.csv").write_bytes(data)
    at = page_test("app_pages/compare.py", **SMALL)
    at.file_uploader(key="compare_csv").set_value(("mine.csv", data, "text/csv")).run()
    at.button(key="start").click().run()
    job = wait_for_job(at, "compare", timeout=180)
    assert job.state == "done", job.error
    page = job.snapshot().final["accuracy"].tolist()  # what the page's table and strip show
    menu = [c.value for c in at.code]
    assert "python -m kdviz compare --config config.json --csv yourfile.csv" in menu
    link = "http://127.0.0.1:8501/compare?" + urlencode(dict(at.query_params.items()))  # the browser's address
    assert f"dataset=csv%3A{name_of(data)[4:]}" in link

    done = kdviz_cli("compare", "--from-url", link, "--csv", tmp_path / "mine.csv", "--out", tmp_path / "a",
                     "--no-figures")
    assert done.returncode == 0, done.stderr
    # the same code on the same numbers (the page's job and the command line): equal
    assert accuracies(tmp_path / "a") == pytest.approx(page, abs=0)
    made = json.loads((tmp_path / "a" / "config.json").read_text())
    assert made["settings"]["dataset"] == name_of(data)
    for source in (["--config", tmp_path / "a" / "config.json"],
                   ["--from-url", (tmp_path / "a" / "link.txt").read_text()]):
        out = tmp_path / source[0].strip("-")
        done = kdviz_cli("compare", *source, "--csv", tmp_path / "mine.csv", "--out", out, "--no-figures")
        assert done.returncode == 0, done.stderr
        assert accuracies(out) == pytest.approx(page, abs=0)
        assert json.loads((out / "results.json").read_text())["settings"] == made["settings"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A config and a link of a run on mine.csv (as the export menu writes them), beside another file."""
    folder = tmp_path_factory.mktemp("exported")
    data = table_bytes()
    (folder / "mine.csv").write_bytes(data)
    (folder / "other.csv").write_bytes(table_bytes(seed=1))
    cfg = compare.CompareConfig(dataset=name_of(data), methods="kd", steps=60, seeds=2, omit=-1)
    (folder / "config.json").write_bytes(exports.config_json("compare", cfg))
    (folder / "link.txt").write_text("http://127.0.0.1:8501" + exports.config_url("compare", cfg))
    (folder / "bad.json").write_text(json.dumps({"experiment": "compare", "settings": {"dataset": "csv:xyz"}}))
    return folder, name_of(data)


@pytest.mark.parametrize("source", ["--config", "--from-url"])
@pytest.mark.parametrize("case", ["another file", "no file", "malformed"])
def test_a_csv_run_without_its_file_is_one_line_and_exit_code_2(exported, tmp_path, source, case):
    folder, name = exported
    given = {"--config": folder / "config.json", "--from-url": (folder / "link.txt").read_text()}[source]
    if case == "malformed":
        given = folder / "bad.json" if source == "--config" else "http://h/compare?dataset=csv%3Axyz&methods=kd"
    csv = [] if case == "no file" else ["--csv", folder / ("other.csv" if case == "another file" else "mine.csv")]
    done = kdviz_cli("compare", source, given, *csv, "--out", tmp_path, "--no-figures", timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    if case == "another file":
        assert name in lines[0] and name_of((folder / "other.csv").read_bytes()) in lines[0]
    elif case == "no file":
        assert name in lines[0] and "--csv FILE" in lines[0]
    else:
        assert "'csv:xyz' is not the name of an uploaded CSV" in lines[0]
    assert not (tmp_path / "results.json").exists()


def test_the_rerun_command_names_the_csv_only_for_a_run_on_one():
    assert exports.rerun_command("compare", compare.CompareConfig()) == "python -m kdviz compare --config config.json"
    on_csv = compare.CompareConfig(dataset="csv:0123456789abcdef")
    assert exports.rerun_command("compare", on_csv) == \
        "python -m kdviz compare --config config.json --csv yourfile.csv"
    assert exports.rerun_command("compare", on_csv, "my label") == \
        "python -m kdviz compare --config config.json --csv yourfile.csv --label 'my label'"
