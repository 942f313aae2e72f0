"""In a real Chromium: upload a CSV on Compare paradigms, train on it, and download files from the export menu."""
import json

import numpy as np
import pytest

from tests.conftest import screenshot

pytestmark = pytest.mark.browser


def test_upload_train_and_export_in_the_browser(open_in_browser, tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "mine.csv"
    rows = [f"{rng.normal() + 2 * (i % 2):.3f},{rng.normal():.3f},{rng.normal():.3f},{'ab'[i % 2]}" for i in range(200)]
    path.write_text("f1,f2,f3,kind\n" + "\n".join(rows) + "\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("f1,f2,kind\n1,x,a\n")
    p = open_in_browser("compare?methods=kd&steps=100&seeds=2&omit=-1", min_charts=0)
    p.get_by_text("Your own data (CSV)").click()
    p.locator(".st-key-compare_csv input[type=file]").set_input_files(str(bad))
    p.get_by_text("Line 2, column 'f2': 'x' is not a number").wait_for(timeout=60_000)
    p.locator(".st-key-compare_csv input[type=file]").set_input_files(str(path))
    p.get_by_text("Training on your CSV: 200 rows, 3 features, 2 classes (label column 'kind').").wait_for(timeout=60_000)
    p.get_by_text("A 2-D projection of the 3 standardised features (PCA)").wait_for(timeout=30_000)
    p.locator(".st-key-start button").click()
    p.get_by_text("Results over 2 seeds").first.wait_for(timeout=120_000)
    p.get_by_text("Export: figures, numbers, config, students").click()
    with p.expect_download(timeout=180_000) as done:
        p.locator(".st-key-compare_export_results_json button").click(timeout=120_000)
    result = json.loads(open(done.value.path()).read())
    assert result["settings"]["dataset"].startswith("csv:") and len(result["members"]) == 4
    with p.expect_download(timeout=180_000) as done:
        p.locator(".st-key-compare_export_accuracy-per-seed_png button").click(timeout=120_000)
    assert open(done.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert p.locator("[data-testid='stException']").count() == 0
    screenshot(p, "upload_exports_compare")
