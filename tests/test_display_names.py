"""One name for each thing: a paradigm is shown by its Note's display name (its registry key only where a user types
it, as code), the class board is "Class board", a claim's source is said in plain words, and the softmax bars name
the teacher at T = 1 once."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from kdviz.paradigms import NOTES, PARADIGMS
from kdviz.paradigms.multi_teacher import RULES
from kdviz.plots import softening as PS
from tests.test_app_paradigms import _open, _train

ROOT = Path(__file__).resolve().parents[1]
NAMES = {n.name for n in NOTES.values()}
WORDS = {"baseline", "attention", "similarity", "mutual", "confidence"}  # keys that are also plain English words
RAW = re.compile(r"\b(" + "|".join(sorted((set(NOTES) | set(RULES)) - WORDS)) + r")\b")  # any other key, shown raw


def test_softmax_bars_name_the_teacher_at_t_1_once():
    p = np.array([0.7, 0.2, 0.1])
    at_one = PS.softmax_bars(p, p, 0, 1.0)
    names = [t.name for t in at_one.data]
    assert names == ["hard label", "teacher at T = 1"]
    hot = PS.softmax_bars(np.array([0.5, 0.3, 0.2]), p, 0, 4.0)
    assert [t.name for t in hot.data] == ["hard label", "teacher at T = 1", "teacher at T = 4"]


def _trained(page: str, key: str, **query) -> AppTest:
    at = _train(_open(page, **query), key)
    assert not at.exception
    return at


def _shown(at: AppTest) -> list[str]:
    """Every text the page shows a user: its words (code spans, which name what to type, left out), its tables'
    headers and cells, and its figures' legends, category labels, hover texts and titles."""
    out = []
    for kind in ("markdown", "caption", "info", "warning", "success", "error", "subheader", "title"):
        out += [re.sub(r"`[^`]*`", "", e.value) for e in getattr(at, kind)]
    for d in at.dataframe:
        out += [str(c) for c in d.value.columns] + [str(v) for v in d.value.astype(str).values.ravel()]
    out += [t.label for t in at.tabs]
    for c in at.get("plotly_chart"):
        spec = json.loads(c.proto.spec)
        for t in spec.get("data", []):
            out += [t.get("name") or "", t.get("hovertemplate") or ""]
            out += [v for v in t.get("x") if isinstance(v, str)] if isinstance(t.get("x"), list) else []
        out += [a.get("text", "") for a in spec.get("layout", {}).get("annotations") or []]
    return out


def test_compare_and_beyond_show_display_names_never_registry_keys():
    compare = _trained("compare.py", "compare", methods=",".join(PARADIGMS), steps="60", seeds="2")
    beyond = _trained("beyond.py", "beyond", steps="60", seeds="2", generations="1")
    without_kd = _open("compare.py", methods="dkd")  # the exercise below says how to add KD
    for at in (compare, beyond, without_kd):
        raw = sorted({m.group(0) + ": " + t[:80] for t in _shown(at) for m in RAW.finditer(t)})
        assert not raw, raw
    table = compare.dataframe[0].value
    assert set(table["method"]) == NAMES  # every paradigm and the baseline, each by its display name
    figs = [json.loads(c.proto.spec) for c in compare.get("plotly_chart")]
    legends = {t["name"] for f in figs for t in f["data"] if t.get("showlegend", True) and t.get("name")
               and "class" not in t["name"]}
    assert legends and legends <= NAMES
    assert [t.label for t in beyond.tabs] == [NOTES[k].name for k in ("multi_teacher", "mutual", "ema", "born_again")]
    strip = [f for f in (json.loads(c.proto.spec) for c in beyond.get("plotly_chart"))
             if any(isinstance(t.get("x"), list) and "teacher 1" in str(t["x"][0]) for t in f["data"])][0]
    labels = {t["x"][0] for t in strip["data"]}
    assert len(labels) == 2 + len(RULES) and all(any(lab.startswith(n) for n in NAMES) for lab in labels)


USER_TEXT = [*ROOT.glob("app_pages/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("kdviz/**/*.py"),
             *ROOT.glob("lessons/*.toml"), ROOT / "README.md"]  # the pages' guide lines live in kdviz/site.py


@pytest.mark.parametrize("phrase", ["the seed text", "**Board** page", "the Board page", "Board page says"])
def test_no_user_text_uses_a_private_or_old_name(phrase):
    hits = [str(p.relative_to(ROOT)) for p in USER_TEXT if phrase in p.read_text(encoding="utf-8")]
    assert not hits, f"{phrase!r} in {hits}"
