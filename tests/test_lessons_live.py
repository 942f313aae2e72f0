"""The Live training lesson without Streamlit: defaults show a real effect, configs are checked."""
import dataclasses

import numpy as np
import pytest

from kdviz.config import from_query, to_query
from kdviz.lessons import live as L


class Go:
    """A job control that never pauses or stops."""

    def proceed(self):
        return True


def run(cfg, stop_at=None):
    snaps = []
    L.train_live({**dataclasses.asdict(cfg), "stop_at": stop_at}, snaps.append, Go())
    return snaps


def test_defaults_show_a_real_effect_beside_the_baseline():
    cfg = L.LiveConfig()
    snaps = run(cfg)
    assert snaps[0]["phase"] == "teacher" and snaps[-1]["progress"] == 1.0
    s = L.summarise(snaps[-1], cfg.omit)
    assert s.clear_effect and s.gain.mean() > 0.05  # measured: +8.7 +- 0.5 points over 3 seeds
    assert s.base_recall == 0.0 and s.kd_recall > 0.4  # the baseline cannot know the unseen class
    assert "a real effect here" in L.verdict(s)


def test_same_config_gives_the_same_numbers_and_step_is_a_prefix_of_the_run():
    cfg = L.LiveConfig(steps=100, seeds=1, n=400)
    full, again, part = run(cfg), run(cfg), run(cfg, stop_at=30)
    np.testing.assert_array_equal(full[-1]["history"]["test_acc"], again[-1]["history"]["test_acc"])
    assert part[-1]["step"] == 30 and "final" in part[-1]
    r = part[-1]["history"]["step"]
    np.testing.assert_allclose(part[-1]["history"]["test_acc"], full[-1]["history"]["test_acc"][:, :len(r)], atol=1e-6)


def test_no_clear_effect_is_said_plainly():
    s = L.Summary(kd_acc=np.array([0.9, 0.8, 0.85]), base_acc=np.array([0.85, 0.84, 0.85]), kd_recall=None,
                  base_recall=None, kd_fidelity=0.9, base_fidelity=0.9, teacher_acc=0.9, diverged=[])
    assert not s.clear_effect and "no clear effect" in L.verdict(s)


@pytest.mark.parametrize("changes,message", [
    (dict(dataset="moons", omit=1), "leaves one class"),
    (dict(dataset="spiral", omit=5), "has 3 classes"),
    (dict(student="0"), "architecture too large or empty"),
    (dict(teacher="64, 64, 64, 64, 64"), "1 to 4 hidden layer"),
    (dict(teacher="a, b"), "whole numbers"),
])
def test_invalid_configs_raise_readable_errors(changes, message):
    with pytest.raises(ValueError, match=message):
        L.validate(dataclasses.replace(L.LiveConfig(), **changes))


def test_config_round_trips_through_the_url():
    cfg = L.LiveConfig(dataset="spiral", omit=2, T=8.0, alpha=0.3, student="16, 16")
    assert from_query(L.LiveConfig, to_query(cfg)) == (cfg, [])


def test_a_diverging_run_is_reported_not_raised():
    cfg = L.LiveConfig(steps=60, seeds=1, n=400, lr=0.1, alpha=0.0, T=100.0)
    snaps = run(cfg)
    s = L.summarise(snaps[-1], cfg.omit)
    assert np.isfinite(s.kd_acc).all()  # whatever happened, the page gets numbers or a status line
