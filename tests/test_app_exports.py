"""AppTest: the Dark knowledge page's tabs and the Beyond one teacher page show the export menu once they show a
result (a first-load stored result counts), with the page's link and a button per file."""
from kdviz.experiments import beyond, cache
from kdviz.experiments import dark_knowledge as D

MENU = "Export: figures, numbers, config, students"
DARK_QUERY = dict(steps="50", seeds="1", sweep_steps="50", sweep_seeds="1")


def menus(at) -> list:
    return [e for e in at.expander if e.label == MENU]


def test_every_dark_knowledge_tab_with_a_result_shows_its_export_menu(page_test):
    cfg = D.DarkConfig(**{k: int(v) for k, v in DARK_QUERY.items()})
    for part in ("omitted", "smoothing", "sweep"):  # stored as the server stores its first-load results
        exp, sub = D.page.part_run(cfg, part)
        cache.compute(exp.name, sub)
    at = page_test("app_pages/dark_knowledge.py", **DARK_QUERY)
    assert not at.exception
    found = menus(at)
    assert len(found) == 6  # the three teacher tabs, the omitted digit, the label-smoothed teacher, the sweep
    link = [c.value for c in at.code if c.value.startswith("/dark_knowledge?")]
    assert len(link) >= 6 and all("sweep_steps=50" in v and "kd_T=8" in v for v in link)  # the menus and the share link
    ids = " ".join(b.proto.id for b in at.get("download_button"))
    for key in ("dark_targets_export_teachers-soft-targets_png", "dark_omit_export_student_safetensors",
                "dark_omit_export_omitted-bias-curve_svg", "dark_smooth_export_results_csv",
                "dark_sweep_export_sweep-accuracy-heatmaps_png", "dark_sweep_export_student_json"):
        assert key in ids, key


def test_beyond_shows_its_export_menu_with_a_stored_result(page_test):
    cfg = beyond.BeyondConfig(steps=60, seeds=2, generations=2)
    cache.compute("beyond", cfg)
    at = page_test("app_pages/beyond.py", steps="60", seeds="2", generations="2")
    assert not at.exception
    assert any("Computed ahead" in s.value for s in at.success)
    assert len(menus(at)) == 1
    assert any(c.value.startswith("/beyond?steps=60&seeds=2&generations=2") for c in at.code)
    ids = " ".join(b.proto.id for b in at.get("download_button"))
    for key in ("beyond_export_results_csv", "beyond_export_ema-distance_png", "beyond_export_student_safetensors"):
        assert key in ids, key
