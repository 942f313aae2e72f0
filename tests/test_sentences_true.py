"""Every computed sentence is true for the run or inputs it is computed from, and says the degenerate case in words.

Each test recomputes a sentence's claim from the same inputs and checks that the sentence agrees, with the
tolerances the code states (kdviz.misstatements.ROUNDING_RTOL for float64 rounding).
"""
import numpy as np
import torch.nn.functional as F
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


# --- the EMA teacher's lag ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("steps", (50, 150, 800, 1000, 3000, 5000, 20000))
def test_ema_lag_is_called_close_to_its_limit_iff_it_is(steps):
    import re

    from kdviz.experiments.beyond import EMA_LIMIT_RTOL, ema_lag, ema_lag_sentence

    decays = (0.9, 0.99, 0.999)
    lags = [ema_lag(steps, d) for d in decays]
    parts = re.findall(r"at decay ([0-9.]+) \(([^)]*)\)", ema_lag_sentence(decays, lags, steps))
    assert [float(d) for d, _ in parts] == list(decays)
    for (d, regime), lag in zip(parts, lags):
        limit = float(d) / (1 - float(d))
        assert ("close to its limit" in regime) == (abs(lag - limit) <= EMA_LIMIT_RTOL * limit), (steps, d, lag)
    assert EMA_LIMIT_RTOL == 0.05


# --- exercises ----------------------------------------------------------------------------------------------------

CONFIDENT = [8.0, 3.0, 1.5, 0.0, -2.0]


@pytest.mark.parametrize("logits", (CONFIDENT, [1.0, 1.0, 1.0], [2.0, 2.0, -1.0, 0.5]))
@pytest.mark.parametrize("label", (0, 1, 2))
@pytest.mark.parametrize("T", (0.5, 1.0, 4.0, 10.0))
def test_wrong_mass_says_what_raising_t_does_as_computed(logits, label, T):
    from kdviz import softening
    from kdviz.exercises import T_RAISED, wrong_mass

    why = wrong_mass(50.0, (logits, label, T)).why
    now, later = (100 * (1 - float(softening.softmax_t(logits, t)[label])) for t in (T, T_RAISED * T))
    if abs(later - now) <= 100 * M.ROUNDING_RTOL:
        assert "leaves it where it is" in why
    else:
        assert f"{'grows' if later > now else 'shrinks'} to {later:.1f}%" in why
    assert "watch it grow" not in why


def test_wrong_mass_shrinks_for_a_class_the_teacher_does_not_rank_first():
    from kdviz.exercises import wrong_mass

    assert "shrinks to 83.2%" in wrong_mass(99.0, (CONFIDENT, 1, 1.0)).why  # 99.3% -> 83.2% at T = 4


PEAK_CASES = [([3.798, -0.452, 1.66, -1.492, 0.268], [1.062, -5.453, 2.327, -0.831, 1.295]),  # a bump, then the end
              ([2.0, 1.0, 0.5, -1.0, 0.0], DEFAULT_TEACHER), ([1.0, 0.0, -1.0], [0.0, 1.0, 2.0]),
              ([0.0, 100.0], [100.0, 0.0]), (SHIFTED, DEFAULT_TEACHER), (DEFAULT_TEACHER, DEFAULT_TEACHER)]


@pytest.mark.parametrize("z, v", PEAK_CASES)
def test_peak_sentence_agrees_with_the_sweep(z, v):
    from kdviz.exercises import peak_temperature
    from kdviz.softening_curves import gradient_sweep

    s = gradient_sweep(z, v)
    why = peak_temperature(1.0, s).why
    tol = M.ROUNDING_RTOL * s.T  # (M,) the rounding of ||T (p - q)||
    if np.all(s.norm_scaled <= tol):
        assert M.MATCHES in why
        return
    d = np.diff(s.norm_scaled)
    step_tol = np.maximum(tol[1:], tol[:-1])
    interior_max = np.any((d[:-1] > step_tol[:-1]) & (d[1:] < -step_tol[1:]))
    if "only grows" in why:
        assert np.all(d >= -step_tol)
    if "only shrinks" in why:
        assert np.all(d <= step_tol)
    if "local maximum" in why or "only" in why:
        assert ("local maximum" in why) == bool(interior_max)


@pytest.mark.parametrize("z, v", DEGENERATE)
@pytest.mark.parametrize("T", (1.0, 4.0, 20.0))
def test_versus_limit_at_equal_logits_says_both_are_zero(z, v, T):
    from kdviz import softening
    from kdviz.exercises import AT_LIMIT, versus_limit
    from kdviz.softening_curves import high_t_gradient_norm

    check = versus_limit(AT_LIMIT, (softening.soft_gradient(z, v, T).numpy(), high_t_gradient_norm(z, v), T))
    assert check.correct and M.MATCHES in check.why and "%" not in check.why


# --- lessons ------------------------------------------------------------------------------------------------------

def test_which_paradigm_lesson_names_each_method_by_its_family():
    from kdviz.lessons import load
    from kdviz.paradigms import similarity

    text = " ".join(load("which-paradigm").steps[0].text.split())
    assert similarity.NOTE.family == "relation"
    assert "(FitNets, similarity)" not in text and "relates one sample to another (similarity)" in text


def test_which_paradigm_lesson_at_t_1_says_only_what_holds_for_any_teacher():
    """The step's sentence is a fact of the softmax: the top class's probability never rises with T. The old one
    ("at T = 1 the small probabilities that carry the unseen class are almost zero") was false on the default
    blobs teacher (class 3's mean probability on the other points is 8%)."""
    from kdviz import softening
    from kdviz.lessons import load

    text = " ".join(load("which-paradigm").steps[2].text.split())
    assert "almost zero" not in text and "the more of the teacher's probability goes to its first choice" in text
    v = np.random.default_rng(0).normal(size=(2000, 5)) * 3  # (B, C) teachers' logits of any size
    top = [softening.softmax_t(v, t).numpy().max(-1) for t in (0.5, 1.0, 4.0, 20.0)]
    for low, high in zip(top, top[1:]):
        assert np.all(low >= high - M.ROUNDING_RTOL)


# --- Claims on trial: the gradient claim ---------------------------------------------------------------------------

def test_gradient_claim_credits_the_source_only_with_what_it_said():
    from kdviz.experiments import claims, findings

    claim, source, reference = claims.GRADIENT_CLAIM
    assert source == findings.TUTORIAL_ADVICE and reference == "Stated without an experiment."
    assert "shrinks with T" not in " ".join(claims.GRADIENT_CLAIM)


def test_gradient_form_note_is_true_on_the_gradients_page_defaults():
    """GRADIENT_FORM: neither norm is monotone; below the spread the one without T^2 can grow (6e-4 at T = 0.1 to
    0.41 near T = 0.68 on the Gradients page's defaults), far above it it falls like 1/T^2, the other settles."""
    from kdviz.experiments import claims
    from kdviz.experiments.gradients import GradientsConfig
    from kdviz.softening_curves import gradient_sweep, high_t_gradient_norm, logit_spread

    cfg = GradientsConfig()
    z, v = [float(x) for x in cfg.student.split(",")], [float(x) for x in cfg.teacher.split(",")]
    s = gradient_sweep(z, v)
    spread = logit_spread(z, v)
    below = s.T < spread
    k = int(np.argmax(np.where(below, s.norm_plain, -np.inf)))
    assert s.norm_plain[k] > 100 * s.norm_plain[0]  # grows with T below the spread
    far = s.T > 100 * spread
    assert np.allclose(s.norm_plain[far] * s.T[far] ** 2, s.norm_plain[far][-1] * s.T[far][-1] ** 2, rtol=0.01)
    assert s.norm_scaled[-1] == pytest.approx(high_t_gradient_norm(z, v), rel=1e-3)
    assert "can grow with T" in claims.GRADIENT_FORM and "which shrinks with T" not in claims.GRADIENT_FORM


# --- the app's own words about itself ------------------------------------------------------------------------------

def test_which_teacher_card_lists_only_what_its_tabs_test():
    from kdviz import guide
    from kdviz.experiments import claims, which_teacher

    line = guide.page("which_teacher").line.lower()
    assert "fidelity" in claims.CLAIMS and "hinton" in claims.CLAIMS  # on Claims on trial, not here
    assert "fidelity" not in line and "hinton" not in line
    assert which_teacher.PARTS == ("capacity", "assistant", "early_stop")
    assert all(word in line for word in ("capacity", "assistant", "early-stopped"))


def test_home_and_sidebar_say_the_papers_numbers_are_typed(page_test):
    from kdviz.experiments import claims

    at = page_test("app_pages/home.py")
    captions = [c.value for c in at.caption]  # the main area and the sidebar
    assert not any("never typed in" in c for c in captions)
    assert sum("the papers' reference numbers are typed from the papers" in c for c in captions) == 2
    import inspect

    assert "146" in inspect.getsource(claims.hinton)  # a typed reference: Hinton et al.'s errors, labelled as theirs


# --- Dark knowledge --------------------------------------------------------------------------------------------------

def _profile(values):
    from kdviz.experiments.dark_knowledge.soft_targets import PROFILE_T

    return {"T": PROFILE_T, "non_target": np.asarray(values, dtype=np.float64)}


@pytest.mark.parametrize("shape", ("falling", "rising", "peaked"))
def test_profile_sentence_says_peaks_only_inside_the_grid(shape):
    from kdviz.experiments.dark_knowledge.soft_targets import PROFILE_T, profile_sentence

    x = np.log(PROFILE_T)
    values = {"falling": np.exp(-x), "rising": x - x[0], "peaked": -(x - x[20]) ** 2}[shape]
    text = profile_sentence(_profile(values), _profile(np.exp(-x)))
    k = int(np.argmax(values))
    first = text.split(";")[0]
    assert ("peaks at" in first) == (0 < k < len(PROFILE_T) - 1)
    if shape == "peaked":
        assert f"peaks at T = {PROFILE_T[k]:.2g}" in first
    assert f"peaks at T = {PROFILE_T[0]:.2g}" not in text and "lowest T computed" in text.split(";")[1]


def test_smoothing_sentence_states_the_teachers_accuracies_as_computed():
    from kdviz.experiments.dark_knowledge import omitted as O
    from kdviz.experiments.dark_knowledge.teachers import TeachersConfig
    from kdviz.experiments.dark_knowledge.teachers import run as run_teachers
    from kdviz.experiments.protocol import last

    teachers = last(run_teachers(TeachersConfig(eps=0.1)))  # the two teachers' accuracies, from their own run
    snap = last(O.run(O.OmittedConfig(3, 8.0, 0.1, 100, 2, (0.0, 0.1), True)))
    text = O.smoothing_sentence(snap, 0.1)
    normal, smoothed = (float(a) for a in teachers.test_acc)
    assert f"{normal:.1%}" in text and f"{smoothed:.1%}" in text
    assert ("about as accurate" in text) == (abs(smoothed - normal) <= O.TEACHER_ACC_MARGIN)


# --- paradigms: where the trained form differs from the paper -------------------------------------------------------

def test_attention_note_says_it_trains_the_squared_norm_at_one_layer():
    import torch

    from kdviz.paradigms import attention

    g = torch.Generator().manual_seed(0)
    h_s, h_t = torch.randn(8, 6, generator=g, dtype=torch.float64), torch.randn(8, 6, generator=g, dtype=torch.float64)
    a_s, a_t = (F.normalize(h * h, dim=-1) for h in (h_s, h_t))  # (B, H) the maps, normalised energy
    squared = ((a_s - a_t) ** 2).sum(-1).mean()
    assert float(attention.attention_loss(h_s, h_t)) == pytest.approx(float(squared), rel=1e-12)
    assert float((a_s - a_t).norm(dim=-1).mean()) != pytest.approx(float(squared), rel=1e-3)  # not the paper's norm
    text = attention.NOTE.transfers
    assert "2-norm of the difference itself" in text and "its square at one pair, the last hidden layer" in text


def test_fitnet_note_says_one_stage_at_the_last_hidden_layer():
    from kdviz.paradigms import fitnet

    text = fitnet.NOTE.transfers
    assert "two stages" in text and "in one stage, at the last hidden layer" in text


def test_mutual_note_says_t_and_t2_are_added_and_t_1_is_the_paper():
    import torch

    from kdviz.paradigms import mutual

    g = torch.Generator().manual_seed(1)
    z = torch.randn(2, 5, 4, generator=g, dtype=torch.float64)  # (K, B, C): a cohort of two
    peers = mutual.cohort_peers([0, 0])  # (K, K)
    peer_logits = z.unsqueeze(1).expand(2, 2, 5, 4)  # (J, K, B, C): member j on member k's batch (one batch here)
    y = torch.randint(0, 4, (2, 5), generator=g)
    dml = torch.stack([F.cross_entropy(z[k], y[k]) + F.kl_div(F.log_softmax(z[k], -1), F.softmax(z[1 - k], -1),
                                                              reduction="batchmean") for k in range(2)])
    assert torch.allclose(mutual.mutual_loss(z, peer_logits, y, peers, T=1.0, weight=1.0), dml, rtol=1e-12)
    text = mutual.NOTE.transfers
    assert "at T = 1 without a weight" in text and "adds T and the T^2 factor" in text


# --- docstrings with a claim ------------------------------------------------------------------------------------------

def test_avg_logit_is_not_always_sharper_than_avg_prob_as_its_docstring_says():
    import torch

    from kdviz.paradigms import multi_teacher

    def entropy(rule, v):
        mix = multi_teacher.combine_teachers(v, rule, 1.0)
        return float(-(mix.log_probs.exp() * mix.log_probs).sum())

    sure_of_two = torch.tensor([[[10.0, 0.0, 0.0]], [[0.0, 10.0, 0.0]]], dtype=torch.float64)  # (M, B, C)
    agreeing = torch.tensor([[[3.0, 1.0, 0.0]], [[2.0, 0.0, 1.0]]], dtype=torch.float64)
    assert entropy("avg_logit", sure_of_two) > entropy("avg_prob", sure_of_two)
    assert entropy("avg_logit", agreeing) < entropy("avg_prob", agreeing)
    doc = " ".join(multi_teacher.combine_teachers.__doc__.split())
    assert "sharper than avg_prob);" not in doc and "often sharper than avg_prob, but not always" in doc


def test_softening_is_stable_in_float64_and_says_float32_is_not():
    import mpmath
    import torch

    from kdviz import softening as S

    z, v = [2.0, 1.0, 0.5, -1.0, 0.0], [5.0, 3.0, -1.0, -2.0, 0.0]
    mpmath.mp.dps = 50

    def exact(T):  # KL(q^T || p^T) in 50 digits
        lz = [mpmath.mpf(x) / T for x in z]
        lv = [mpmath.mpf(x) / T for x in v]
        cz, cv = mpmath.log(sum(mpmath.exp(x) for x in lz)), mpmath.log(sum(mpmath.exp(x) for x in lv))
        return float(sum(mpmath.exp(b - cv) * ((b - cv) - (a - cz)) for a, b in zip(lz, lv)))

    for T in (0.01, 1.0, 20.0, 1000.0, 1e4):
        assert S.kl_teacher_student(z, v, T).item() == pytest.approx(exact(T), rel=1e-6)  # float64: stable
    f32 = {T: abs(S.kl_teacher_student(torch.tensor(z), torch.tensor(v), T).item() / exact(T) - 1) for T in (20.0, 1e4)}
    assert f32[1e4] > 0.1 and f32[20.0] < 1e-3  # float32: fine at 20, lost by 1e4
    for T in (20.0, 1000.0, 1e4):
        g32, g64 = S.soft_gradient(torch.tensor(z), torch.tensor(v), T).double(), S.soft_gradient(z, v, T)
        assert float((g32 - g64).norm() / g64.norm()) < 1e-3
    doc = " ".join(S.__doc__.split())
    assert "temperatures from 0.01 to 1e4 in float64" in doc and "In float32 the KL's relative error grows" in doc


def test_compare_and_market_type_no_measured_number():
    import pathlib

    from kdviz.experiments import compare

    assert "+9" not in compare.__doc__ and "~" not in compare.__doc__
    page = pathlib.Path(__file__).resolve().parents[1].joinpath("app_pages", "market.py").read_text()
    assert "in our runs no model beats the majority class" not in " ".join(page.split())
    assert "the run's own sentence says whether any" in page  # the computed one: kdviz.experiments.market


@pytest.mark.parametrize("T", (0.5, 4.0, 20.0))
def test_logits_too_close_to_resolve_give_no_kl_verdict_and_no_jump(T):
    z = DEFAULT_TEACHER[:4] + [1e-12]  # differs from the teacher by 1e-12: real, but its KL (~1e-25) is rounding
    assert M.match_sentence(z, DEFAULT_TEACHER) is None
    rows = M.to_rows(M.check_all(z, DEFAULT_TEACHER, T))
    assert rows[1]["verdict"] == M.TOO_CLOSE and rows[3]["verdict"] == M.TOO_CLOSE
    j = TD.scale_jump(z, DEFAULT_TEACHER, T)
    assert j.jump is None and "0 within float64 rounding" in TD.sentence(j)


def test_a_constant_teacher_makes_the_information_claim_trivial_not_true():
    mi = M.check_all([1.0, 0.0, -1.0], [2.0, 2.0, 2.0], 1.0)[6]
    assert mi.verdict.startswith("the teacher's logits are all equal")
