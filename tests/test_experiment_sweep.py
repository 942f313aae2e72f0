"""Temperature x alpha sweep: shapes, grid order, determinism and the no-KD column."""
import numpy as np
import pytest

from kdviz.experiments.dark_knowledge import sweep as W
from kdviz.experiments.task import job, run_experiment
from tests.tolerance import one_point

SMALL = W.SweepConfig(temperatures=(1.0, 4.0), alphas=(0.1, 1.0), seeds=2, steps=60)


class Go:
    def proceed(self):
        return True


def test_members_are_in_grid_order():
    m = W.members(SMALL)
    assert len(m) == 2 * 2 * 2
    assert (m[5].T, m[5].alpha, m[5].seed) == (4.0, 0.1, 1)  # (i_T * A + i_alpha) * S + seed = (1*2+0)*2+1


def test_sweep_shapes_determinism_and_cache():
    r = W.run_sweep(SMALL)
    n_test = len(W.digits_data(0).y_test)
    for name in W.STUDENTS:
        assert r.accuracy[name].shape == (2, 2, 2) and r.fidelity[name].shape == (2, 2, 2)
        assert np.all((r.accuracy[name] >= 0) & (r.accuracy[name] <= 1))
        # alpha = 1 ignores the teacher: the same students at every T. They are different members of one
        # population (rows of batched matmuls that a BLAS may take through other kernels): one test point may differ
        np.testing.assert_allclose(r.accuracy[name][0, 1], r.accuracy[name][1, 1], rtol=0, atol=one_point(n_test))
    W._CACHE.clear()
    again = W.run_sweep(SMALL)
    assert again is not r
    for name in W.STUDENTS:
        assert np.array_equal(again.accuracy[name], r.accuracy[name])
    assert W.run_sweep(SMALL) is again  # cached


def test_the_sweep_job_emits_progress_then_the_result():
    snaps = []
    _, payload = job("dark_sweep", W.SweepConfig(temperatures=[1.0, 4.0], alphas=[0.1, 1.0], seeds=2, steps=60))
    run_experiment(payload, lambda snap, progress: snaps.append((snap, progress)), Go())
    snap, progress = snaps[-1]
    assert progress == 1.0 and snap.result is not None and snap.result.accuracy["tiny"].shape == (2, 2, 2)


def test_summaries():
    r = W.run_sweep(SMALL)
    mean, std = W.accuracy_vs_t(r, "tiny", 0.1)
    assert np.allclose(mean, r.accuracy["tiny"][:, 0].mean(-1))
    b = W.best_temperature(r, "tiny", 0.1)
    assert b["acc"] == mean.max() and b["T"] in (1.0, 4.0)


def test_bad_configs():
    with pytest.raises(ValueError, match="seeds"):
        W.SweepConfig(seeds=0)
    with pytest.raises(ValueError, match="steps"):
        W.SweepConfig(steps=0)
