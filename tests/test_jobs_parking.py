"""A session's first paused job gives its memory back too: by default every pause parks."""
from __future__ import annotations

from kdviz.jobs.parking import Parking, paused_limit
from tests.test_job_parking import population, setup  # noqa: F401  (setup: the fixture)


def test_the_first_paused_job_of_a_session_parks_by_default(setup, tmp_path, monkeypatch):
    monkeypatch.delenv("KDVIZ_PAUSED_IN_MEMORY", raising=False)
    assert paused_limit() == 0
    ds, teacher = setup
    run = population(ds, teacher).step(10)
    parking = Parking(folder=tmp_path)
    path = parking.pause("first", "owner", [run])
    assert path is not None and path.exists() and parking.parked == 1
    assert all(t.untyped_storage().nbytes() == 0 for t in run.own_tensors().values())
    parking.resume("first", "owner", [run], path)
    assert not path.exists() and run.own_tensors()["weights"].untyped_storage().nbytes() > 0
