"""The practitioner's journey in a real Chromium and on the command line: upload a CSV on Compare paradigms, run at
the page's defaults, download config.json, link.txt and results.json from the export menu, then rerun the config,
the link and the page's settings as flags with ``python -m kdviz compare ... --csv FILE`` and get the page's numbers
per student.

The page's worker and the command line run the same experiment generator with the same seeds, one torch thread
each, so every per-student number must agree; they are compared to 1e-9 (absolute) so the check holds on any CPU
where two processes running the same code could differ only in a float's last bits.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT, screenshot
from tests.journey import assert_clean, has_text, open_page, run_to_end

pytestmark = pytest.mark.browser

ROWS, CLASSES = 240, 3
TOLERANCE = 1e-9
TIMING = ("seconds", "time", "latency")  # per-run timings, the only numbers allowed to differ


def blobs_csv(path) -> None:
    """A CSV of 3 Gaussian blobs in 3 features (80 rows each), label column last."""
    rng = np.random.default_rng(7)
    centres = np.array([[0.0, 0.0, 0.0], [2.5, 0.5, -1.0], [0.5, 2.5, 1.0]])
    rows = [f"{x:.4f},{y:.4f},{z:.4f},c{k}" for k in range(CLASSES)
            for x, y, z in centres[k] + rng.normal(size=(ROWS // CLASSES, 3))]
    path.write_text("f1,f2,f3,kind\n" + "\n".join(rows) + "\n")


def download(page, key: str, folder):
    """Click the export button of element key ``key`` and save the file it downloads into ``folder``."""
    with page.expect_download(timeout=180_000) as done:
        page.locator(f".st-key-{key} button").click(timeout=120_000)
    target = folder / done.value.suggested_filename
    done.value.save_as(target)
    return target


def numbers(members: list[dict]) -> list[dict]:
    """Each student's numbers (timings left out), in the file's order."""
    return [{k: v for k, v in m.items() if not any(t in k for t in TIMING)} for m in members]


def assert_same_students(ours: list[dict], theirs: list[dict], what: str) -> None:
    """The same students with the same numbers: equal text, numbers within TOLERANCE."""
    assert len(ours) == len(theirs) > 0, f"{what}: {len(ours)} students against {len(theirs)}"
    for i, (a, b) in enumerate(zip(numbers(ours), numbers(theirs))):
        assert a.keys() == b.keys(), f"{what}, student {i}: fields differ"
        for k in a:
            if isinstance(a[k], float) or isinstance(b[k], float):
                assert math.isclose(a[k], b[k], rel_tol=0, abs_tol=TOLERANCE), f"{what}, student {i}, {k}: {a[k]} != {b[k]}"
            else:
                assert a[k] == b[k], f"{what}, student {i}, {k}: {a[k]!r} != {b[k]!r}"


def rerun(args: list[str], out) -> dict:
    """``python -m kdviz compare`` with ``args`` into ``out``; its results.json (fails with its stderr)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "kdviz", "compare", *args, "--out", str(out), "--no-figures",
                           "--progress", "none"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr.strip()[-500:]}"
    return json.loads((out / "results.json").read_text())


@pytest.fixture(scope="module")
def exported(browser, app_url, tmp_path_factory):
    """The page's run on an uploaded CSV at the defaults: the CSV and the three downloaded files."""
    folder = tmp_path_factory.mktemp("practitioner")
    data = folder / "blobs.csv"
    blobs_csv(data)
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        page = open_page(ctx, f"{app_url}/compare")
        page.get_by_text("Your own data (CSV)").click()
        page.locator(".st-key-compare_csv input[type=file]").set_input_files(str(data))
        page.get_by_text(f"Training on your CSV: {ROWS} rows, 3 features, {CLASSES} classes").wait_for(timeout=60_000)
        run_to_end(page, "start", has_text("Results over 3 seeds"), "journey-practitioner-compare")
        page.get_by_text("Export: figures, numbers, config, students").click()
        files = {name: download(page, f"compare_export_{name.replace('.', '_')}", folder)
                 for name in ("config.json", "link.txt", "results.json")}
        assert_clean(page, "the export menu")
        screenshot(page, "journey-practitioner-exported")
    finally:
        ctx.close()
    return data, files


def test_the_page_trains_on_the_upload_and_exports_its_settings(exported):
    _, files = exported
    page = json.loads(files["results.json"].read_text())
    config = json.loads(files["config.json"].read_text())
    link = files["link.txt"].read_text().strip()
    assert page["settings"]["dataset"].startswith("csv:") and config["settings"] == page["settings"]
    assert config["experiment"] == "compare" and "/compare?" in link
    assert len(page["members"]) == 7 * 3  # the six default methods and the baseline, three seeds each


def test_the_csv_with_the_pages_settings_as_flags_reruns_with_the_pages_numbers(exported, tmp_path):
    data, files = exported
    page = json.loads(files["results.json"].read_text())
    flags = [a for k, v in page["settings"].items() if k != "dataset" for a in (f"--{k}", str(v))]
    ours = rerun([*flags, "--csv", str(data)], tmp_path)
    assert ours["settings"] == page["settings"]  # the same table: the same csv:<digest>
    assert_same_students(ours["members"], page["members"], "flags")


def test_the_exported_config_reruns_on_the_command_line_with_the_pages_numbers(exported, tmp_path):
    data, files = exported
    ours = rerun(["--config", str(files["config.json"]), "--csv", str(data)], tmp_path)
    page = json.loads(files["results.json"].read_text())
    assert ours["settings"] == page["settings"]
    assert_same_students(ours["members"], page["members"], "--config")


def test_the_exported_link_reruns_on_the_command_line_with_the_pages_numbers(exported, tmp_path):
    data, files = exported
    ours = rerun(["--from-url", files["link.txt"].read_text().strip(), "--csv", str(data)], tmp_path)
    page = json.loads(files["results.json"].read_text())
    assert ours["settings"] == page["settings"]
    assert_same_students(ours["members"], page["members"], "--from-url")
