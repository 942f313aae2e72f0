"""A run's exports: every figure written in one browser session with progress per file, and the best student
of each method offered and named (the best overall can be the baseline)."""
import json
import struct
import xml.etree.ElementTree as ET

import kaleido
import pytest

from kdviz import cli, exports
from kdviz.experiments import compare
from kdviz.experiments.protocol import last


@pytest.fixture(scope="module")
def small_run():
    cfg = compare.CompareConfig(methods="kd", steps=50, seeds=2)
    return cfg, last(compare.run(cfg))


def test_every_figure_is_written_valid_in_one_session_with_progress_per_file(tmp_path, small_run, monkeypatch):
    cfg, snap = small_run
    starts = []
    start = kaleido.start_sync_server
    monkeypatch.setattr(kaleido, "start_sync_server", lambda *a, **k: (starts.append(1), start(*a, **k))[1])
    items = exports.bundle("compare", cfg, snap)
    calls = []
    paths = exports.write_bundle(items, tmp_path, lambda done, total, file_name: calls.append((done, total, file_name)))
    assert len(starts) == 1  # one browser for every image
    assert calls == [(i, len(items), item.file_name) for i, item in enumerate(items, 1)]
    assert [p.name for p in paths] == [i.file_name for i in items]
    titles = exports.figure_makers("compare", cfg, snap)
    pngs, svgs = sorted(tmp_path.glob("*.png")), sorted(tmp_path.glob("*.svg"))
    assert len(pngs) == len(svgs) == len(titles) == 3  # decision regions, learning curves, accuracy per seed
    for png in pngs:
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
        width, height = struct.unpack(">II", data[16:24])
        assert width > 100 and height > 100
    for svg in svgs:
        assert ET.fromstring(svg.read_bytes()).tag.endswith("svg")


def test_the_command_line_reports_each_file_it_writes(tmp_path, small_run, capsys):
    cfg, snap = small_run
    paths = cli.write("compare", cfg, snap, tmp_path, with_figures=False, mode="json")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["export"] for line in lines] == [p.name for p in paths]
    assert [line["done"] for line in lines] == list(range(1, len(paths) + 1)) and {line["of"] for line in lines} == {len(paths)}


def test_the_best_student_is_named_and_each_method_offers_its_own(small_run):
    cfg, snap = small_run
    items = {e.file_name: e for e in exports.bundle("compare", cfg, snap, with_figures=False)}
    rows = exports.members("compare", cfg, snap)
    overall = exports.best_member("compare", cfg, snap)
    assert exports.method_name(rows[overall]["method"]) in items["student.safetensors"].label
    for method, group in (("baseline", "baseline (no KD)"), ("kd", "KD (Hinton)")):
        best = max((r for r in rows if r["method"] == method), key=lambda r: r["accuracy"])
        card = json.loads(items[f"student-{method}.json"].build())
        assert card["method"] == method and card["metrics"]["accuracy"] == best["accuracy"]
        label = items[f"student-{method}.safetensors"].label
        assert label.startswith(f"Best {group} student: {group}, seed {card['seed']}")
        assert items[f"student-{method}.safetensors"].student_of == group
        assert items[f"student-{method}.safetensors"].build()[:8]  # safetensors bytes
