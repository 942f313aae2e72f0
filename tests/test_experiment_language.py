"""The language-model distillation experiment: a run at tiny settings, its verdicts and claims in words (ties
included), the torn position, the stored teacher, its cost estimate, and the command line."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from kdviz.experiments import budget
from kdviz.experiments import language as L
from kdviz.experiments.protocol import Phase
from kdviz.experiments.stats import NO_DIFFERENCE, NOT_SEEN
from kdviz.lm import teacher as lm_teacher
from kdviz.lm.corpus import VOCAB, encode, python_docs
from kdviz.lm.model import CharGRU, Shape

ROOT = Path(__file__).resolve().parents[1]
TINY_TEACHER = Shape(embed=8, hidden=32)
TINY = dict(steps=10, seeds=2, hidden=16, prompt="def ")


def tiny_recipe_teacher(device: str = "cpu") -> CharGRU:
    """A tiny teacher stored as the default recipe's, so a run (in any process) loads it instead of training."""
    corpus = python_docs()
    model = lm_teacher.train_teacher(corpus, TINY_TEACHER, steps=30, window=32, batch=8)
    lm_teacher.keep(model, lm_teacher.teacher_bits_per_char(model, corpus.windows("held_out", 32, 4, seed=1)),
                    device)
    return model


@pytest.fixture(scope="module")
def snapshots():
    tiny_recipe_teacher()
    return list(L.run(L.LanguageConfig(**TINY)))


def test_a_tiny_run_yields_a_phase_then_curves_samples_and_a_final_verdict(snapshots):
    assert isinstance(snapshots[0], Phase)
    snaps = snapshots[1:]
    assert [s.step for s in snaps] == list(range(1, 11))  # ten evaluations
    last = snaps[-1]
    K = len(L.METHODS) * 2
    assert last.done and last.history["bits_per_char"].shape == (K, 11) and last.own_bits.shape == (K,)
    assert np.all(np.isfinite(last.history["kl_to_teacher"])) and np.all(last.history["kl_to_teacher"] >= 0)
    assert set(last.samples) == {"teacher", *L.METHODS}
    assert all(s.startswith("def ") and len(s) == 4 + L.SAMPLE_CHARS for s in last.samples.values())
    assert np.allclose(last.torn_students.sum(1), 1.0, atol=1e-9)
    assert last.scene.teacher_params == TINY_TEACHER.params  # the stored teacher was loaded, not trained
    rows = L.summarise(last)
    assert [r.method for r in rows] == list(L.METHODS) and rows[0].verdict == "reference"
    words = L.verdict(L.LanguageConfig(**TINY), last)
    assert words and all(c.claim in words for c in L.claims(last))
    records = L.students(L.LanguageConfig(**TINY), last)
    assert len(records) == K and {r["method"] for r in records} == set(L.METHODS)


def test_the_same_settings_give_the_same_numbers(snapshots):
    again = list(L.run(L.LanguageConfig(**TINY)))[-1]
    assert np.array_equal(again.history["bits_per_char"], snapshots[-1].history["bits_per_char"])
    assert again.samples == snapshots[-1].samples


def test_held_out_metrics_match_an_independent_float64_computation(snapshots):
    """bits per character and the low-probability mass of the first member, from a plain log-softmax loop."""
    from kdviz.lm.distil import LOW, held_out_metrics

    corpus = python_docs()
    teacher = lm_teacher.stored_teacher(corpus)
    student = CharGRU(Shape(embed=8, hidden=16), [3])
    windows = corpus.windows("held_out", 16, 3, seed=5)
    got = held_out_metrics(student, teacher, windows)
    z = student(windows[:, :-1])[0][0].double()  # (N, L, V)
    v = teacher(windows[:, :-1])[0][0].double()
    bits, low = 0.0, 0.0
    for n in range(3):
        for t in range(16):
            p = torch.softmax(z[n, t], 0)
            q = torch.softmax(v[n, t], 0)
            bits += -math.log2(p[windows[n, t + 1]].item())
            low += p[q < LOW].sum().item()
    assert got["bits_per_char"][0].item() == pytest.approx(bits / 48, rel=1e-6)
    assert got["low_mass"][0].item() == pytest.approx(low / 48, rel=1e-6)


def test_the_torn_position_is_found_by_its_rule_not_by_place():
    V = len(VOCAB)
    v = torch.full((2, 20, V), -10.0, dtype=torch.float64)
    v[..., 5] = 5.0  # everywhere a confident teacher
    v[1, 18, 5], v[1, 18, 7] = 3.0, 3.0  # a tie between two characters at one position
    v[0, 17, 5], v[0, 17, 7] = 3.0, 2.5  # a near tie elsewhere
    v[0, 3, 5], v[0, 3, 9] = 3.0, 3.0  # a tie with too little context before it
    windows = torch.randint(0, V, (2, 21))
    torn = L.torn_position(v, windows, 1.0)
    assert (torn.window, torn.position, torn.torn) == (1, 18, True)
    assert torn.actual == VOCAB[int(windows[1, 19])] and len(torn.context) == 19
    flat = torch.zeros((1, 20, V), dtype=torch.float64)  # uniform: no two characters hold TORN_MASS
    assert not L.torn_position(flat, torch.randint(0, V, (1, 21)), 1.0).torn


def _snap(bits: dict[str, list[float]], low: dict[str, list[float]] | None = None,
          own: dict[str, list[float]] | None = None) -> L.LanguageSnapshot:
    """A finished snapshot whose last held-out values are given per method and seed."""
    methods = list(bits)
    S = len(bits[methods[0]])
    per_member = lambda d: np.array([d[m][s] for s in range(S) for m in methods])  # noqa: E731  member i: seed i // M
    low = low or {m: [0.1] * S for m in methods}
    own = own or {m: [3.0] * S for m in methods}
    hist = {"step": np.array([0, 10])}
    for name, values in (("bits_per_char", per_member(bits)), ("low_mass", per_member(low)),
                         ("agreement", np.full(len(methods) * S, 0.5)),
                         ("kl_to_teacher", np.full(len(methods) * S, 1.0))):
        hist[name] = np.stack([values + 1.0, values], axis=1)
    torn = L.Torn("abc", "d", 0, 2, np.full(96, 1 / 96), True)
    scene = L.LanguageScene(methods, S, "GRU", 1, 1.5, 1, "text", "cpu", 0.0, torn, 5 / 96)
    return L.LanguageSnapshot(1.0, 10, 10, scene, hist, np.full((len(methods) * S, 96), 1 / 96), {}, 1.0,
                              own_bits=per_member(own))


ALL = ("labels", "forward_kl", "reverse_kl", "jsd", "top_k", "on_policy")


def test_claims_are_confirmed_only_when_the_run_shows_them():
    bits = {"labels": [3.0, 3.1, 3.2], "forward_kl": [2.8, 2.9, 3.0], "reverse_kl": [3.5, 3.6, 3.7],
            "jsd": [3.0, 3.1, 3.2], "top_k": [2.85, 2.95, 3.05], "on_policy": [3.0, 3.1, 3.2]}
    low = {m: [0.3, 0.31, 0.32] for m in ALL} | {"reverse_kl": [0.1, 0.12, 0.11]}
    own = {m: [4.0, 4.1, 4.2] for m in ALL} | {"on_policy": [3.0, 3.2, 3.1]}
    rev, on, top = L.claims(_snap(bits, low, own))
    assert rev.verdict == "confirmed here" and "reverse KL 11.00%" in rev.evidence
    assert on.verdict == "confirmed here"
    assert top.verdict == "confirmed here" and "kept 75%" in top.evidence
    assert "More bits per character than labels only on every seed" in L.takeaway(L.summarise(_snap(bits, low, own)))
    # the opposite run: reverse KL spreads more, on-policy text is worse, top-k keeps a small share
    low2 = {m: [0.1, 0.12, 0.11] for m in ALL} | {"reverse_kl": [0.3, 0.31, 0.32]}
    bits2 = bits | {"top_k": [2.98, 3.06, 3.19]}
    rev, on, top = L.claims(_snap(bits2, low2, {m: [3.0, 3.2, 3.1] for m in ALL} | {"on_policy": [4.0, 4.1, 4.2]}))
    assert rev.verdict == "reversed here" and on.verdict == "reversed here" and top.verdict == NOT_SEEN


def test_ties_and_missing_methods_are_said_in_words():
    same = {m: [3.0, 3.1, 3.2] for m in ALL}
    snap = _snap(same)
    rows = L.summarise(snap)
    assert all(r.verdict == NO_DIFFERENCE for r in rows[1:])
    assert "Exactly labels only's bits per character on every seed" in L.takeaway(rows)
    rev, on, top = L.claims(snap)
    assert rev.verdict == NOT_SEEN and "no difference" in rev.evidence and "+0.00 ± 0.00" in rev.evidence
    assert top.verdict == NOT_SEEN and "no gain to keep" in top.evidence  # never a division by a zero gain
    only = _snap({"labels": [3.0, 3.1], "forward_kl": [2.0, 2.1]})
    rev, on, top = L.claims(only)
    assert rev.verdict == on.verdict == top.verdict == "not tested"
    assert "no reverse KL students" in rev.evidence and "add top_k" in top.evidence
    assert L.takeaway(L.summarise(_snap({"labels": [3.0, 3.1]}))).startswith("Only labels only")


def test_bad_settings_give_one_clear_message():
    with pytest.raises(ValueError, match="choose from"):
        L.validate(L.LanguageConfig(methods="labels,nonsense"))
    with pytest.raises(ValueError, match="not in the model's vocabulary"):
        L.validate(L.LanguageConfig(prompt="caf\u00e9"))
    with pytest.raises(ValueError, match="1 to 60 characters"):
        L.parse_prompt("")
    assert L.parse_methods("reverse_kl, forward_kl, reverse_kl") == ("labels", "reverse_kl", "forward_kl")


def test_the_stored_teacher_round_trips_and_a_damaged_file_is_trained_again(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))
    recipe = lm_teacher.TeacherRecipe(shape=Shape(embed=8, hidden=16), steps=5, window=16, batch=4)
    corpus = python_docs()
    assert not lm_teacher.is_stored("cpu", recipe)
    first = lm_teacher.stored_teacher(corpus, "cpu", recipe)
    assert lm_teacher.is_stored("cpu", recipe)
    again = lm_teacher.stored_teacher(corpus, "cpu", recipe)
    ids = encode("print(x)\n").view(1, -1)
    # the same weights through the same code: bitwise
    assert torch.equal(first(ids)[0], again(ids)[0]) and again.bits_per_char == first.bits_per_char
    path = next(tmp_path.rglob("lm_teacher-*.pt"))
    path.write_bytes(b"not a teacher")
    third = lm_teacher.stored_teacher(corpus, "cpu", recipe)  # retrained, the same seed and batches
    assert torch.equal(first(ids)[0], third(ids)[0])  # the same training code run twice in one process: bitwise


def test_the_budget_counts_the_teacher_only_until_it_is_stored(tmp_path, monkeypatch):
    monkeypatch.setenv("KDVIZ_CACHE_DIR", str(tmp_path))
    cfg = L.LanguageConfig()
    before = budget.estimate("language", cfg)
    assert before <= budget.MAX_RUN_SECONDS  # the defaults are accepted even before the warm-up trained the teacher
    lm_teacher.keep(CharGRU(Shape(embed=8, hidden=16), [0]), 7.0)
    after = budget.estimate("language", cfg)
    assert after < before
    assert budget.estimate("language", replace(cfg, steps=400)) > after
    assert budget.estimate("language", replace(cfg, methods="labels,forward_kl")) < after


def test_the_command_line_runs_and_exports(tmp_path):
    env_dir = tmp_path / "cache"
    import os

    env = {**os.environ, "KDVIZ_CACHE_DIR": str(env_dir), "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-c", "from tests.test_experiment_language import tiny_recipe_teacher as t; t()"],
                   cwd=ROOT, env=env, check=True, timeout=120)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "kdviz", "language", "--steps", "10", "--seeds", "2", "--hidden", "16",
                           "--methods", "labels,forward_kl,reverse_kl", "--no-figures", "--progress", "json",
                           "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["done"] and "Reverse KL (MiniLLM)" in summary["verdict"]
    rows = (out / "results.csv").read_text().splitlines()
    assert len(rows) == 1 + 3 * 2 and "bits_per_char" in rows[0]
    results = json.loads((out / "results.json").read_text())
    assert {m["method"] for m in results["members"]} == {"labels", "forward_kl", "reverse_kl"}
    bad = subprocess.run([sys.executable, "-m", "kdviz", "language", "--prompt", "caf\u00e9", "--out", str(out)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "vocabulary" in bad.stderr


def test_the_run_makes_its_tensors_on_the_given_device(snapshots):
    from tests.test_device_guard import DEVICE, tensors_without_a_device_fail

    with tensors_without_a_device_fail():
        final = list(L.run(L.LanguageConfig(**{**TINY, "methods": ",".join(L.METHODS)}), device=DEVICE))[-1]
    assert final.done


def test_the_exports_draw_the_pages_figures(snapshots):
    from kdviz import exports

    cfg = L.LanguageConfig(**TINY)
    figs = exports.figures("language", cfg, snapshots[-1])
    assert set(figs) == {"torn position", *L_FIG_TITLES, "samples"}
    bars = figs["torn position"]
    assert [t.name for t in bars.data] == ["teacher", "labels only", "forward KL", "reverse KL", "on-policy JSD(β)"]
    assert len(figs["samples"].data[0].cells.values[0]) == 1 + len(L.METHODS)
    assert exports.best_member("language", cfg, snapshots[-1]) is None  # GRU students are not exported as MLPs


L_FIG_TITLES = ("held-out bits per character", "top-1 agreement with the teacher",
                "KL(teacher ‖ student), nats per character")


def test_the_exercise_names_the_method_that_saves_the_most_and_says_when_it_is_not_clear():
    from kdviz.exercises import EXERCISES

    ex = EXERCISES["exercise.language_best"]
    clear = L.summarise(_snap({"labels": [3.0, 3.1, 3.2], "forward_kl": [2.8, 2.9, 3.0], "top_k": [2.9, 3.0, 3.1]}))
    check = ex.run("forward KL", clear)
    assert check.correct and check.answer == "forward KL" and "+0.200 ± 0.000 bits per character" in check.why
    noisy = L.summarise(_snap({"labels": [3.0, 3.1, 3.2], "reverse_kl": [2.9, 3.2, 3.1]}))
    check = ex.run("forward KL", noisy)
    assert not check.correct and check.answer == "reverse KL" and "not clear" in check.why
    with pytest.raises(ValueError, match="no method besides labels only"):
        ex.run("forward KL", L.summarise(_snap({"labels": [3.0, 3.1]})))
