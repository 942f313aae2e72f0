"""python -m kdviz prepare: every page's first-load results computed ahead into the cache the pages read, skipped when
stored, listed with the budget's estimates, chosen with --only, stopped cleanly by Ctrl-C; a run whose real images are
absent is skipped with the one line saying how to get them; and the warm-up's order puts light runs first."""
from __future__ import annotations

import dataclasses

import pytest

from kdviz import cli, prepare, site
from kdviz.data.image_files import FASHION, how_to_get, missing
from kdviz.experiments import EXPERIMENTS, budget, cache
from kdviz.experiments.live import LiveConfig
from kdviz.experiments.market import MarketConfig

TINY = [("live", LiveConfig(n=200, steps=50, seeds=1, seed=s, teacher="8")) for s in (1, 2)]


@pytest.fixture
def tiny_site(monkeypatch, tmp_path):
    """A site whose warm-up is two tiny Live runs, with an empty results cache of its own."""
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(site, "warm_runs", lambda: list(TINY))
    return TINY


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(["prepare", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_prepare_computes_into_the_pages_cache_then_skips_what_is_stored(tiny_site, capsys):
    assert all(cache.load(name, cfg) is None for name, cfg in tiny_site)
    code, out, err = run_cli(capsys, "--progress", "lines")
    assert code == 0, err
    assert out.count("computed live (") == 2 and "already computed" not in out
    stored = [cache.load(name, cfg) for name, cfg in tiny_site]
    assert all(isinstance(snap, EXPERIMENTS["live"].snapshot) for snap in stored)
    assert [snap.steps for snap in stored] == [50, 50]
    assert out.strip().splitlines()[-1].startswith("Prepared 2 results: 2 computed, 0 already stored; total time ")

    code, out, err = run_cli(capsys, "--progress", "lines")
    assert code == 0, err
    assert out.count("already computed on this machine") == 2 and "computed live (1/2) in" not in out
    assert "Prepared 2 results: 0 computed, 2 already stored" in out


def test_list_shows_every_run_with_its_estimate_and_computes_nothing(tiny_site, capsys):
    code, out, err = run_cli(capsys, "--list")
    assert code == 0 and err == ""
    lines = out.strip().splitlines()
    assert lines[:2] == [f"Live training: live ({i}/2), {budget.duration(budget.estimate(*run))} (to compute)"
                         for i, run in enumerate(tiny_site, 1)]
    assert lines[2].startswith("2 of 2 to compute: about ")
    assert all(cache.load(name, cfg) is None for name, cfg in tiny_site)


def test_list_of_the_real_site_names_every_warm_run_in_order(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))
    code, out, _ = run_cli(capsys, "--list")
    runs = site.warm_runs()
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == len(runs) + 1
    assert [line.split(": ", 1)[0] for line in lines[:-1]] == [site.of_experiment(name).title for name, _ in runs]


def test_only_runs_the_named_experiments(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(site, "warm_runs", lambda: [TINY[0], ("market", MarketConfig())])
    items = prepare.plan(["live"])
    assert [(i.experiment, i.cfg) for i in items] == [TINY[0]]
    assert [i.experiment for i in prepare.plan(["market", "live"])] == ["live", "market"]
    code, out, err = run_cli(capsys, "--only", "live", "--progress", "lines")
    assert code == 0, err
    assert "computed live in" in out and cache.load(*TINY[0]) is not None


@pytest.mark.parametrize("args,expected", [
    (["--only", "nope"], "'nope' has no results to prepare; choose from live"),
    (["--only", ","], "--only: name at least one experiment; choose from live"),
    (["--device", "tpu9"], "--device 'tpu9'"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--progress", "fancy"], "invalid choice: 'fancy'"),
])
def test_bad_arguments_print_one_line_and_exit_2(tiny_site, capsys, args, expected):
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and expected in err
    assert all(cache.load(name, cfg) is None for name, cfg in tiny_site)


def test_ctrl_c_keeps_what_finished_and_a_rerun_computes_the_rest(tiny_site, capsys, monkeypatch):
    real = EXPERIMENTS["live"]

    def interrupted_on_the_second(cfg, **options):
        for snap in real.run(cfg, **options):
            if cfg.seed == 2:
                raise KeyboardInterrupt  # as Ctrl-C during the second run's first steps
            yield snap

    monkeypatch.setitem(EXPERIMENTS, "live", dataclasses.replace(real, run=interrupted_on_the_second))
    code, out, err = run_cli(capsys, "--progress", "lines")
    assert code == 130
    assert cache.load(*tiny_site[0]) is not None and cache.load(*tiny_site[1]) is None
    assert "stopped during live (2/2) (1 not computed; run prepare again to finish)" in out.strip().splitlines()[-1]

    monkeypatch.setitem(EXPERIMENTS, "live", real)
    code, out, err = run_cli(capsys, "--progress", "lines")
    assert code == 0, err
    assert "skipped live (1/2): already computed" in out and "computed live (2/2) in" in out
    assert cache.load(*tiny_site[1]) is not None


def test_a_failing_run_is_one_line_and_the_others_still_run(tiny_site, capsys, monkeypatch):
    real = EXPERIMENTS["live"]

    def broken_first(cfg, **options):
        if cfg.seed == 1:
            raise RuntimeError("boom")
        yield from real.run(cfg, **options)

    monkeypatch.setitem(EXPERIMENTS, "live", dataclasses.replace(real, run=broken_first))
    code, out, err = run_cli(capsys, "--progress", "lines")
    assert code == 1
    assert "failed live (1/2): RuntimeError: boom" in out and "computed live (2/2) in" in out
    assert err.count("\n") == 1 and "the traceback is in" in err
    assert cache.load(*tiny_site[1]) is not None


def test_a_run_needing_absent_images_is_skipped_with_the_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(FASHION.env, str(tmp_path / "nowhere"))
    image_run = ("live", dataclasses.replace(TINY[1][1], dataset="fashion_mnist"))
    monkeypatch.setattr(site, "warm_runs", lambda: [image_run, TINY[0]])
    line = missing("fashion_mnist")
    assert line == how_to_get(FASHION) and "\n" not in line and "apt-get install dataset-fashion-mnist" in line
    code, out, err = run_cli(capsys, "--progress", "lines")
    assert code == 0, err
    assert f"skipped live (1/2): {line}" in out and "computed live (2/2) in" in out
    assert "1 skipped for missing data" in out


def test_images_found_mean_nothing_is_missing(monkeypatch, tmp_path):
    folder = tmp_path / "fm"
    folder.mkdir()
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (folder / f"{stem}.gz").write_bytes(b"")
    monkeypatch.setenv(FASHION.env, str(folder))
    assert missing("fashion_mnist") is None


def test_the_bars_display_runs_the_same_runs(tiny_site):
    with prepare.Bars() as bars:
        out = prepare.prepare(prepare.plan(), bars)
    assert [i.label for i in out.computed] == ["live (1/2)", "live (2/2)"] and not out.failed
    assert bars.progress.tasks[0].completed == pytest.approx(bars.progress.tasks[0].total)


# ----------------------------------------------------------------------------- the warm-up's order
def test_warm_runs_list_every_light_run_before_any_heavy_one():
    runs = site.warm_runs()
    heavy = [site.heavy(*run) for run in runs]
    assert heavy == sorted(heavy), "a light page's first-load run waits behind a heavy one"
    light = [run for run, h in zip(runs, heavy) if not h]
    assert light == [run for p in site.PAGES for run in p.warm if not site.heavy(*run)]  # the pages' order


def test_a_heavy_page_listed_first_is_warmed_after_the_light_ones(monkeypatch):
    big = LiveConfig(steps=5000, seeds=5, n=10000, teacher="512, 512, 512, 512", student="512, 512, 512, 512")
    assert budget.estimate("live", big) > budget.MAX_RUN_SECONDS >= budget.estimate("live", LiveConfig())
    pages = (site.PageRecord("a", "A", "", "", experiments=("live",), warm=(("live", big),)),
             site.PageRecord("b", "B", "", "", experiments=("compare",), warm=(TINY[0],)),
             site.PageRecord("c", "C", "", "", warm=(TINY[1],)))
    monkeypatch.setattr(site, "PAGES", pages)
    assert site.warm_runs() == [TINY[0], TINY[1], ("live", big)]


def test_a_stored_result_counts_as_done_even_when_its_images_are_gone(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(FASHION.env, str(tmp_path / "nowhere"))
    image_run = ("live", dataclasses.replace(TINY[0][1], dataset="fashion_mnist"))
    cache.store(*image_run, cache.compute(*TINY[0]))  # computed earlier, when the images were there
    monkeypatch.setattr(site, "warm_runs", lambda: [image_run])
    code, out, err = run_cli(capsys, "--progress", "lines")
    assert code == 0, err
    assert "skipped live: already computed on this machine" in out and "skipped for missing data" not in out
    code, out, _ = run_cli(capsys, "--list")
    assert out.splitlines()[0].endswith("(stored)")
