"""Figure builders: shapes, colours and data they carry."""
import numpy as np

from kdviz.plots import softening as PS
from kdviz.plots import training as PT
from kdviz.plots.style import PALETTE, STUDENT, BASELINE


def test_probability_image_colours_the_winner_and_pales_with_doubt():
    probs = np.zeros((2, 2, 3))
    probs[0, 0] = [1, 0, 0]  # certain class 0
    probs[0, 1] = [0, 0, 1]  # certain class 2
    probs[1, :] = 1 / 3  # no idea
    img = PT.probability_image(probs)
    assert img.shape == (2, 2, 3) and img.dtype == np.uint8
    red0 = int(PALETTE[0][1:3], 16)
    assert abs(int(img[0, 0, 0]) - (255 * 0.2 + red0 * 0.8)) <= 1
    assert img[1, 0].min() > img[0, 0].min()  # unsure -> paler (closer to white)


def test_decision_boundaries_one_panel_per_model_with_points():
    xs, ys = np.linspace(-1, 1, 5), np.linspace(-2, 2, 4)
    probs = np.full((4, 5, 2), 0.5)
    pts, lab = np.random.default_rng(0).normal(size=(10, 2)), np.array([0, 1] * 5)
    fig = PT.decision_boundaries([("Teacher", probs), ("KD", probs), ("Baseline", probs)], xs, ys, pts, lab, ["a", "b"])
    images = [t for t in fig.data if t.type == "image"]
    scatters = [t for t in fig.data if t.type == "scatter"]
    assert len(images) == 3 and len(scatters) == 6
    assert [a.text for a in fig.layout.annotations] == ["Teacher", "KD", "Baseline"]
    assert sum(len(s.x) for s in scatters[:2]) == 10


def test_learning_curves_use_role_colours():
    steps = np.arange(5)
    fig = PT.learning_curves(steps, {"kd": {"test_acc": np.ones(5), "hard_loss": np.zeros(5)},
                                     "baseline": {"test_acc": np.ones(5) / 2}})
    colours = {t.name: t.line.color for t in fig.data}
    assert colours == {"KD student": STUDENT, "Baseline": BASELINE}
    assert len(fig.data) == 3


def test_softmax_bars_carry_the_three_distributions():
    p = np.array([0.7, 0.2, 0.1])
    fig = PS.softmax_bars(p, p, 1, 4.0)
    assert [t.name for t in fig.data] == ["hard label", "teacher at T = 1", "teacher at T = 4"]
    assert list(fig.data[0].y) == [0, 1, 0]


def test_log_probabilities_reach_the_smallest_value_with_decade_ticks():
    p_1 = np.array([1 - 2e-9, 1e-9, 1e-9])  # at T = 1 the wrong classes hold 1e-9 each
    fig = PS.softmax_bars(np.array([0.6, 0.3, 0.1]), p_1, 0, 4.0, log=True)
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.dtick in (1, 2)  # whole decades, thinned when many
    assert fig.layout.yaxis.range[0] < -9  # below 1e-9: the T = 1 bars are visible


def test_omitted_class_is_marked_in_the_decision_regions():
    xs = ys = np.linspace(-1, 1, 4)
    probs = np.full((4, 4, 3), 1 / 3)
    pts, lab = np.zeros((6, 2)), np.array([0, 1, 2, 0, 1, 2])
    fig = PT.decision_boundaries([("Teacher", probs)], xs, ys, pts, lab, ["a", "b", "c"], omit=2)
    unseen = [t for t in fig.data if t.type == "scatter" and "never seen by the students" in t.name]
    assert len(unseen) == 1 and unseen[0].marker.symbol == "x"


def test_seed_strip_shows_every_seed_on_a_zoomed_axis():
    from kdviz.plots.paradigms import seed_strip
    acc = np.array([[0.80, 0.81, 0.79], [0.84, 0.85, 0.86]])
    fig = seed_strip(["Baseline", "KD"], ["baseline", "kd"], acc, "accuracy (%)")
    assert not [t for t in fig.data if t.type == "bar"]
    dots = [t for t in fig.data if t.mode == "markers" and len(t.y) == 3]
    assert len(dots) == 2 and fig.layout.yaxis.range[0] > 70  # not from zero


def test_limit_chart_marks_where_the_error_changes_sign():
    T = np.array([1.0, 2.0, 4.0, 8.0])
    loss = np.array([0.5, 0.9, 1.1, 1.05])  # crosses the limit 1.0 between T = 2 and 4
    fig = PS.limit_curve(T, loss, 1.0, np.abs(loss - 1.0))
    assert any("changes sign" in (a.text or "") for a in fig.layout.annotations)


def _regions(probs_list, into=None):
    """Three-panel decision regions on a 4x4 grid of two classes."""
    xs = ys = np.linspace(-1, 1, 4)
    pts, labels = np.zeros((2, 2)), np.array([0, 1])
    return PT.decision_boundaries([(f"panel {i}", p) for i, p in enumerate(probs_list)], xs, ys, pts, labels,
                                  ["a", "b"], into=into)


def test_live_update_redraws_only_the_panels_that_changed():
    rng = np.random.default_rng(0)
    grids = [rng.dirichlet([1, 1], size=(4, 4)) for _ in range(3)]
    kept = PT.FigureSpec(_regions(grids))
    _regions(grids, into=kept)  # the first update draws every panel
    images = [kept.spec["data"][i * 3]["source"] for i in range(3)]
    new_student = rng.dirichlet([1, 1], size=(4, 4))
    _regions([grids[0], new_student, grids[2]], into=kept)
    after = [kept.spec["data"][i * 3]["source"] for i in range(3)]
    assert after[0] is images[0] and after[2] is images[2]  # unchanged panels keep their encoded image
    assert after[1] != images[1]
    assert after[1] == PT.image_source(PT.probability_image(new_student))


def test_the_equity_chart_draws_at_most_four_lines():
    import pytest

    from kdviz.plots import market as mp

    bt = {k: {"equity": np.linspace(1, 2, 6)} for k in ("teacher", "kd", "baseline", "logistic", "buy_and_hold")}
    dates = np.arange(5)
    assert [t.name for t in mp.equity_chart(dates, bt).data] == ["KD student", "Baseline", "Teacher ensemble",
                                                                 "Buy and hold"]
    assert [t.name for t in mp.equity_chart(dates, bt, shown=["logistic"]).data] == ["Logistic regression"]
    with pytest.raises(ValueError, match="at most 4 lines"):
        mp.equity_chart(dates, bt, shown=list(bt))


def test_long_titles_keep_their_detail_on_a_second_line_so_a_phone_shows_them_whole():
    from kdviz.plots.style import two_line_title
    from kdviz.plots.training import panel_title

    assert two_line_title("Calibration on the test period (marker size: days in the bin)") == \
        "Calibration on the test period<br><sup>(marker size: days in the bin)</sup>"  # the first mark wins
    assert two_line_title("Test-period accuracy: dots per seed, lines at the means, axis zoomed") == \
        "Test-period accuracy<br><sup>dots per seed, lines at the means, axis zoomed</sup>"
    assert two_line_title("Inference latency, measured now on this server") == \
        "Inference latency, measured now on this server"  # no mark: kept whole
    assert two_line_title("Short: kept") == "Short: kept"
    assert panel_title("KD student, step 300 of 1000", 3) == "KD student<br>step 300 of 1000"
    assert panel_title("Teacher (82%)", 4) == "Teacher<br>(82%)"
    assert panel_title("Teacher (82%)", 2) == "Teacher (82%)"  # two panels have the room
