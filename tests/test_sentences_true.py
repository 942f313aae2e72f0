"""Every computed sentence is true for the run or inputs it is computed from, and says the degenerate case in words.

Each test recomputes a sentence's claim from the same inputs and checks that the sentence agrees, with the
tolerances the code states (kdviz.misstatements.ROUNDING_RTOL for float64 rounding).
"""
import numpy as np
import pytest

from kdviz import misstatements as M
from kdviz import torchdistill_check as TD

DEFAULT_TEACHER = [5.0, 3.0, -1.0, -2.0, 0.0]
SHIFTED = [x + 0.3 for x in DEFAULT_TEACHER]  # a constant shift: softmax ignores it at every T
DEGENERATE = [(DEFAULT_TEACHER, DEFAULT_TEACHER), (SHIFTED, DEFAULT_TEACHER), ([1e4, -1e4, 0.0], [1e4 + 7.0, -1e4 + 7.0, 7.0])]
TS = (0.1, 1.0, 4.0, 20.0, 1000.0)


# --- the student matches the teacher: every term is 0 ------------------------------------------------------------

@pytest.mark.parametrize("z, v", DEGENERATE)
@pytest.mark.parametrize("T", TS)
def test_torchdistill_note_at_equal_logits_says_so_and_divides_nothing(z, v, T):
    j = TD.scale_jump(z, v, T)
    assert j.jump is None  # no ratio of rounding noise
    text = TD.sentence(j)
    assert M.MATCHES in text and "times" not in text and "e+" not in text


@pytest.mark.parametrize("z, v", DEGENERATE)
@pytest.mark.parametrize("T", TS)
def test_misstatements_at_equal_logits_give_no_verdict_from_rounding(z, v, T):
    checks = M.check_all(z, v, T)
    rows = M.to_rows(checks)
    for c, r in zip(checks[:4], rows[:4]):  # gradient, KL direction, raising T, kl_div mean: both sides 0
        assert r["verdict"] == M.MATCHES, c.claim
    assert "holds here" not in [r["verdict"] for r in rows]


def test_match_sentence_only_when_the_centred_logits_agree():
    assert M.match_sentence(DEFAULT_TEACHER, DEFAULT_TEACHER).startswith("The student already matches the teacher")
    assert "shifted by 0.3" in M.match_sentence(SHIFTED, DEFAULT_TEACHER)
    assert M.match_sentence([5.0, 3.0, -1.0, -2.0, 1e-6], DEFAULT_TEACHER) is None  # a real, if small, difference
    j = TD.scale_jump([5.0, 3.0, -1.0, -2.0, 1e-3], DEFAULT_TEACHER, 4.0)
    assert j.jump is not None and np.isfinite(j.jump) and f"{j.jump:.4g} times" in TD.sentence(j)


@pytest.mark.parametrize("z, v", [(SHIFTED, DEFAULT_TEACHER), ([2.0, 1.0, 0.5, -1.0, 0.0], DEFAULT_TEACHER)])
@pytest.mark.parametrize("T", (1.0, 4.0, 20.0))
def test_raising_t_verdict_agrees_with_the_norms_beyond_rounding(z, v, T):
    check = M.check_all(z, v, T)[2]
    diff = check.actual - check.claimed
    if check.trivial:
        assert abs(check.actual) <= M.ROUNDING_RTOL * 4 * T and abs(check.claimed) <= M.ROUNDING_RTOL * 4 * T
    else:
        assert check.holds == (diff > M.ROUNDING_RTOL * max(abs(check.actual), abs(check.claimed), 4 * T))


@pytest.mark.parametrize("z, v", DEGENERATE[:2])
@pytest.mark.parametrize("T", ("1", "4", "20"))
def test_gradients_page_at_equal_logits_renders_and_says_the_student_matches(page_test, z, v, T):
    at = page_test("app_pages/gradients.py", student=", ".join(f"{x:g}" for x in z),
                   teacher=", ".join(f"{x:g}" for x in v), T=T)
    assert not at.exception and not at.error
    text = [e.value for e in (*at.info, *at.markdown, *at.caption)]
    assert any(t.startswith("The student already matches the teacher: every term is 0") for t in text)
    assert not any("times (T^2" in t for t in text)
    assert "holds here" not in list(at.dataframe[0].value["verdict"])


# --- T^2 (p - q) at T = 1, and alpha's verdict by construction ---------------------------------------------------

@pytest.mark.parametrize("T", (0.5, 1.0, 2.0))
def test_t_squared_gradient_claim_says_why_it_holds_at_t_1(T):
    check = M.check_all([2.0, 1.0, 0.5, -1.0, 0.0], DEFAULT_TEACHER, T)[0]
    t_is_t2 = np.isclose(T * T, T, rtol=M.ROUNDING_RTOL, atol=0)
    assert ("T² = T at T = 1" in check.verdict) == bool(t_is_t2)
    assert (check.verdict == "false") == (not t_is_t2)


@pytest.mark.parametrize("z, v", [(DEFAULT_TEACHER, DEFAULT_TEACHER), ([2.0, 1.0, 0.5, -1.0, 0.0], DEFAULT_TEACHER)])
def test_alpha_verdict_is_said_to_hold_for_any_logits(z, v):
    alpha = M.check_all(z, v, 4.0)[5]
    assert not alpha.holds and "for any logits, by construction" in alpha.truth
