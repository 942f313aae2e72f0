"""The command line checks every input before any work: a bad one is one line on stderr and exit code 2, nothing
trains; a failure after the checks is one line and exit code 1 with the traceback in a file; never a traceback."""
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kdviz import cli
from kdviz.experiments import EXPERIMENTS, grid
from kdviz.paradigms import NOTES

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--dataset", "blobs", "--T", "2", "--seeds", "0", "--steps", "20", "--teacher", "8", "--student", "4",
        "--workers", "1"]


@pytest.fixture
def no_training(monkeypatch):
    """Any training (a sweep's teachers or students, any experiment's run) fails the test."""
    def trained(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(grid, "shared_teachers", trained)
    monkeypatch.setattr(grid, "sweep", trained)
    for name, exp in list(EXPERIMENTS.items()):
        monkeypatch.setitem(EXPERIMENTS, name, dataclasses.replace(exp, run=trained))


def refused(capsys, argv: list[str], *words: str) -> str:
    """Run the command line in this process: exit code 2 and one line on stderr holding ``words``; that line."""
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and "Traceback" not in err, err
    for word in words:
        assert word in err, (word, err)
    return err


def test_the_sweeps_methods_are_the_registered_paradigms_that_fit_one_cell():
    assert set(grid.GRID_METHODS) == set(NOTES) - set(grid.ELSEWHERE) and "ema" in grid.GRID_METHODS
    assert set(grid.ELSEWHERE) <= set(NOTES)


@pytest.mark.parametrize("flags, words", [
    (["--method", "mean_teacher"], ["'mean_teacher'", "'ema'"]),
    (["--T", "0"], ["T='0.0'", "temperature"]),
    (["--T", "2, nan"], ["T='nan'"]),
    (["--alpha", "2"], ["alpha='2.0'"]),
    (["--steps", "0"], ["steps='0'"]),
    (["--batch", "0"], ["batch='0'"]),
    (["--seeds", "-3"], ["seeds='-3'"]),
    (["--seeds", "1-2-3"], ["'1-2-3'"]),
    (["--omit", "7"], ["blobs has 5 classes"]),
    (["--lr", "nan"], ["lr='nan'"]),
    (["--workers", "0"], ["--workers", "0"]),
    (["--device", "nodevice"], ["'nodevice'"]),
    (["--T", ",".join(map(str, range(1, 101))), "--seeds", "0-99999"], ["20,000,000 students"]),
])
def test_bad_sweep_flags_are_refused_before_any_teacher_trains(capsys, tmp_path, no_training, flags, words):
    out = tmp_path / "sweep.csv"
    refused(capsys, ["sweep", "--dataset", "blobs", "--out", str(out), *flags], *words)
    assert not out.exists()


@pytest.mark.parametrize("bad", ["/proc/kdviz-no-such/sweep.csv", "{tmp}/a_folder.csv", "{tmp}/binary.csv"])
def test_a_sweeps_results_file_is_checked_before_any_teacher_trains(capsys, tmp_path, no_training, bad):
    (tmp_path / "a_folder.csv").mkdir()
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 4)
    refused(capsys, ["sweep", "--out", bad.format(tmp=tmp_path)], "--out", Path(bad).name)


def test_the_sweep_trains_the_ema_paradigm_by_its_registered_name(capsys, tmp_path):
    out = tmp_path / "sweep.csv"
    assert cli.main(["sweep", *TINY, "--method", "ema", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and lines[0].startswith("dataset,") and ",ema," in lines[1]
    assert capsys.readouterr().err == ""


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("content, words", [
    ("[1, 2, 3]", ["holds a list"]),
    ("null", ["holds null"]),
    ('"abc"', ["holds a string"]),
    ("[" * 100_000 + "]" * 100_000, ["nests too deeply"]),
    ('{"experiment": "compare", "settings": [1]}', ["settings are a list"]),
])
def test_a_config_file_that_is_not_an_object_of_settings_is_refused(capsys, tmp_path, no_training, content, words):
    refused(capsys, ["compare", "--config", write(tmp_path / "c.json", content), "--out", str(tmp_path / "out")],
            *words)
    assert not (tmp_path / "out").exists()


def test_a_config_files_list_of_numbers_is_checked(capsys, tmp_path, no_training):
    path = write(tmp_path / "c.json", json.dumps({"experiment": "dark_omitted", "settings": {"teachers": "abc"}}))
    refused(capsys, ["dark-omitted", "--config", path, "--out", str(tmp_path / "out")], "teachers", "a list")
    path = write(tmp_path / "c.json", json.dumps({"settings": {"teachers": [0.0, "x"], "baseline": True}}))
    refused(capsys, ["dark-omitted", "--config", path, "--out", str(tmp_path / "out")], "teachers", "a number")


def test_an_output_folder_that_cannot_be_written_is_refused_before_the_run(capsys, tmp_path, no_training):
    (tmp_path / "a_file").write_text("x")
    refused(capsys, ["compare", "--out", "/proc/kdviz-no-such"], "--out", "/proc/kdviz-no-such")
    refused(capsys, ["compare", "--out", str(tmp_path / "a_file")], "--out", "a_file")


def test_a_link_of_another_page_names_both_pages(capsys, no_training, tmp_path):
    err = refused(capsys, ["compare", "--from-url", "http://127.0.0.1:8501/live?T=2&steps=100", "--out",
                           str(tmp_path / "out")], "'live'", "'compare'")
    assert "python -m kdviz live --from-url" in err
    refused(capsys, ["compare", "--device", "cpu:x"], "--device", "'cpu:x'")


def test_a_page_link_of_a_tab_is_read_with_its_tabs_prefix():
    link = "http://host/which_teacher?assistant.steps=300&assistant.T=2"
    cfg = cli.settings("which_teacher", cli.parser().parse_args(["which-teacher", "--from-url", link]))
    assert (cfg.part, cfg.steps, cfg.T) == ("assistant", 300, 2.0)


@pytest.mark.parametrize("argv, words", [
    (["no-such-command"], ["'no-such-command'"]),
    (["compare", "--no-such-flag", "1"], ["--no-such-flag"]),
    (["compare", "--out", ""], ["--out", "empty path"]),
    (["sweep", "--steps", "many"], ["--steps", "'many'"]),
    (["compare", "--label", "kind"], ["--label", "--csv"]),
    (["compare", "--from-url", " "], ["--from-url", "empty link"]),
])
def test_argument_errors_are_one_line(capsys, no_training, argv, words):
    refused(capsys, argv, *words)


@pytest.mark.parametrize("error, code, words", [
    (RuntimeError("the engine broke"), 1, "kdviz failed (RuntimeError: the engine broke)"),
    (ValueError("steps must be even"), 2, "the run refused a setting: steps must be even"),
])
def test_a_failure_after_the_checks_is_one_line_with_the_traceback_in_a_file(capsys, tmp_path, monkeypatch, error,
                                                                             code, words):
    def broken(cfg, **options):
        raise error
        yield

    monkeypatch.setitem(EXPERIMENTS, "compare", dataclasses.replace(EXPERIMENTS["compare"], run=broken))
    assert cli.main(["compare", "--out", str(tmp_path), "--progress", "none"]) == code
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and words in err and "Traceback" not in err, err
    saved = Path(err.rsplit("the traceback is in ", 1)[1].strip())
    assert saved.parent == tmp_path and "Traceback" in saved.read_text() and str(error) in saved.read_text()


@pytest.mark.parametrize("argv", [
    ["sweep", *TINY, "--T", "nan"],
    ["compare", "--config", "{tmp}/deep.json"],
])
def test_python_m_kdviz_never_shows_a_traceback(tmp_path, argv):
    (tmp_path / "deep.json").write_text("{\"a\": " * 100_000 + "1" + "}" * 100_000)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "kdviz", *[a.format(tmp=tmp_path) for a in argv], "--out",
                           str(out / "s.csv") if argv[0] == "sweep" else str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert not out.exists()
