"""End to end: the command line runs a real-image experiment and writes its exports; the page in Chromium shows a
stored result on first load and trains the three-way."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kdviz.data.image_files import FASHION, locate
from tests.conftest import screenshot

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"n": 300, "test_n": 200, "teacher": "quick", "width": 30, "steps": 50, "seeds": 2}
needs_images = pytest.mark.skipif(locate(FASHION) is None, reason="Fashion-MNIST is not installed here "
                                  "(sudo apt-get install dataset-fashion-mnist)")


def kdviz(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """python -m kdviz with ``args`` in a fresh process (one torch thread), its output captured."""
    return subprocess.run([sys.executable, "-m", "kdviz", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})})


@needs_images
def test_the_command_line_runs_the_three_way_and_writes_its_exports(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(SMALL))
    done = kdviz("real-threeway", "--config", str(config), "--out", str(tmp_path / "out"), "--progress", "none")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    results = json.loads((out / "results.json").read_text())
    assert results["experiment"] == "real_threeway" and results["settings"]["test_n"] == 200
    rows = results["members"]
    assert [r["role"] for r in rows] == ["baseline", "baseline", "kd", "kd"]
    assert all(r["errors"] == round((1 - r["accuracy"]) * 200) for r in rows)
    assert "KD over the baseline" in results["verdict"]
    assert (out / "test-errors.png").stat().st_size > 0 and (out / "student-kd.safetensors").exists()
    link = (out / "link.txt").read_text()
    assert link.startswith("/real_images?") and "test_n=200" in link and "width=30" in link
    again = kdviz("real-threeway", "--config", str(out / "config.json"), "--out", str(tmp_path / "again"),
                  "--no-figures", "--progress", "none")
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "again" / "results.json").read_text())["members"] == rows  # same code, same numbers


def test_the_command_line_says_in_one_line_when_the_images_are_missing(tmp_path):
    done = kdviz("real-seen", "--out", str(tmp_path), "--progress", "none", env={"KDVIZ_FASHION_MNIST": str(tmp_path)})
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert "apt-get install dataset-fashion-mnist" in last and "Traceback" not in done.stderr


@needs_images
@pytest.mark.browser
def test_real_images_page_in_chromium(open_in_browser):
    from kdviz.experiments import cache
    from kdviz.experiments.real_images.page import part_run
    from kdviz.experiments.real_images.settings import RealConfig

    shown = RealConfig(n=600, teacher="quick", steps=100, seeds=2, width=30)
    exp, sub = part_run(shown, "seen")
    cache.compute(exp.name, sub)  # the server shares this cache folder: its first load shows the stored result
    page = open_in_browser("real_images?n=600&teacher=quick&steps=100&seeds=2&width=30", min_charts=4)
    text = page.inner_text("[data-testid='stMain']")
    assert "Computed ahead" in text and "Most often taken for" in text
    screenshot(page, "real_images_soft_targets")
    page.get_by_role("tab", name="Hinton's three-way").click()
    page.locator(".st-key-three_start button").click()
    page.wait_for_selector(".st-key-real_errors .js-plotly-plot", timeout=180_000)
    page.wait_for_selector("text=KD over the baseline", timeout=60_000)
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "real_images_threeway")
