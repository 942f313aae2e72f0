"""The exercise blocks while a run is still in its first phases: a Phase snapshot (teachers training, nothing
to draw yet) is never a finished run, whatever the page's test of "finished" asks of its own snapshots."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from kdviz.experiments.protocol import Phase
from ui import exercises


@pytest.fixture
def running(monkeypatch):
    """running(snapshot): this session's job under any key is a run whose latest snapshot is ``snapshot``."""
    def set_snapshot(snap):
        monkeypatch.setattr(exercises.jobs, "current", lambda key: SimpleNamespace(snapshot=lambda: snap))
        monkeypatch.setattr(exercises.results, "started_with", lambda key: None)
    return set_snapshot


def test_a_run_in_its_teacher_phase_is_not_finished_for_any_tab(running):
    running(Phase("teachers", 0.3, "Training the teachers…"))
    # the Omitted digit and Label-smoothed tabs ask their snapshots for .done, which a Phase does not have
    assert exercises.finished("dark.omitted", object(), lambda s: s.done) is None


def test_a_finished_snapshot_is_returned_and_an_unfinished_one_is_not(running):
    running(SimpleNamespace(done=True))
    done = exercises.finished("dark.omitted", object(), lambda s: s.done)
    assert done is not None and done.done
    running(SimpleNamespace(done=False))
    assert exercises.finished("dark.omitted", object(), lambda s: s.done) is None
