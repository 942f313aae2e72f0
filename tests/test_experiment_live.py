"""The Live training experiment without Streamlit: defaults show a real effect, configs are checked."""
import dataclasses

import numpy as np
import pytest

from kdviz.config import from_query, to_query
from kdviz.experiments import live
from kdviz.experiments.protocol import Phase


def run(cfg, stop_at=None):
    return list(live.run(cfg, stop_at=stop_at))


def test_defaults_show_a_real_effect_beside_the_baseline():
    cfg = live.LiveConfig()
    snaps = run(cfg)
    assert isinstance(snaps[0], Phase) and snaps[0].name == "teacher" and snaps[-1].progress == 1.0
    s = live.summarise(snaps[-1], cfg.omit)
    assert s.effect.clear and s.gain.mean() > 0.05  # measured: +8.7 +- 0.5 points over 3 seeds
    assert s.base_recall == 0.0 and s.kd_recall > 0.4  # the baseline cannot know the unseen class
    assert "a real effect here" in live.verdict(s)


def test_same_config_gives_the_same_numbers_and_step_is_a_prefix_of_the_run():
    cfg = live.LiveConfig(steps=100, seeds=1, n=400)
    full, again, part = run(cfg), run(cfg), run(cfg, stop_at=30)
    np.testing.assert_array_equal(full[-1].run.history["test_acc"], again[-1].run.history["test_acc"])
    assert part[-1].run.step == 30 and part[-1].final is not None
    r = part[-1].run.history["step"]
    np.testing.assert_allclose(part[-1].run.history["test_acc"], full[-1].run.history["test_acc"][:, :len(r)], atol=1e-6)


def test_no_clear_effect_is_said_plainly():
    s = live.Summary(kd_acc=np.array([0.9, 0.8, 0.85]), base_acc=np.array([0.85, 0.84, 0.85]), kd_recall=None,
                     base_recall=None, kd_fidelity=0.9, base_fidelity=0.9, teacher_acc=0.9, diverged=[])
    assert not s.effect.clear and "no clear effect" in live.verdict(s)


@pytest.mark.parametrize("changes,message", [
    (dict(dataset="moons", omit=1), "leaves one class"),
    (dict(dataset="spiral", omit=5), "has 3 classes"),
    (dict(student="0"), "architecture too large or empty"),
    (dict(teacher="64, 64, 64, 64, 64"), "hidden layer widths: enter 1 to 4"),
    (dict(teacher="a, b"), "'a' is not a whole number"),
])
def test_invalid_configs_raise_readable_errors(changes, message):
    with pytest.raises(ValueError, match=message):
        live.validate(dataclasses.replace(live.LiveConfig(), **changes))


def test_config_round_trips_through_the_url():
    cfg = live.LiveConfig(dataset="spiral", omit=2, T=8.0, alpha=0.3, student="16, 16")
    assert from_query(live.LiveConfig, to_query(cfg)) == (cfg, [])


def test_a_diverging_run_is_reported_not_raised():
    cfg = live.LiveConfig(steps=60, seeds=1, n=400, lr=0.1, alpha=0.0, T=100.0)
    s = live.summarise(run(cfg)[-1], cfg.omit)
    assert np.isfinite(s.kd_acc).all()  # whatever happened, the page gets numbers or a status line


def test_the_dataset_choices_and_class_counts_come_from_the_registry():
    from kdviz.data import names, spec

    assert live.LiveConfig.__dataclass_fields__["dataset"].metadata["choices"] == tuple(names("toy"))
    assert spec("spiral").classes == 3 and spec("blobs").classes == 5 and spec("digits").two_d is False


def test_the_final_snapshot_carries_a_bounded_compact_replay_that_draws_the_same():
    import pickle

    from kdviz.experiments.protocol import last
    from kdviz.plots.training import probability_image

    cfg = live.LiveConfig(n=400, steps=2000, seeds=1)
    frames = []
    for snap in live.run(cfg):
        if isinstance(snap, live.LiveSnapshot):
            frames.append((snap.run.step, snap.kd_grid, snap.baseline_grid))
            assert (snap.replay is None) == (snap.final is None)  # only the last snapshot carries it
    replay = snap.replay
    assert len(frames) == 40 and len(replay.steps) == live.MAX_REPLAY and replay.steps[-1] == 2000
    assert replay.top.dtype == np.uint8 and replay.conf.dtype == np.float16
    for f, step in enumerate(replay.steps):
        kd, base = replay.grids(f)
        _, kd_true, base_true = next(fr for fr in frames if fr[0] == step)
        for got, true in ((kd, kd_true), (base, base_true)):
            assert np.allclose(got.sum(-1), 1, atol=1e-3)
            assert np.abs(probability_image(got).astype(int) - probability_image(true).astype(int)).max() <= 1
    assert len(pickle.dumps(replay)) < 1_000_000
    short = last(live.run(cfg, stop_at=50))  # one chunk of Step: one frame, nothing to scrub
    assert list(short.replay.steps) == [50]
