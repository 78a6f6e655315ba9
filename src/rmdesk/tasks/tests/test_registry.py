import datetime as dt

import pytest

from rmdesk.tasks.registry import Schedule, daily, every, registered, task


def test_a_schedule_is_an_interval_or_a_time_of_day() -> None:
    assert every(minutes=5).interval == dt.timedelta(minutes=5)
    assert daily(at="05:30").at == dt.time(5, 30)
    with pytest.raises(ValueError, match="either"):
        Schedule()
    with pytest.raises(ValueError, match="at least a minute"):
        every(minutes=0)


def test_a_name_is_registered_once() -> None:
    @task("tests.one")
    def one() -> None: ...

    def other() -> None: ...

    with pytest.raises(ValueError, match="already registered"):
        task("tests.one")(other)


def test_the_nightly_jobs_start_one_after_another() -> None:
    """The heavy nightly jobs read the same tables: each starts on its own, signals first,
    then the scorecards, then the plans."""
    starts = {
        name: registered_task.schedule.at
        for name, registered_task in registered().items()
        if registered_task.schedule is not None and registered_task.schedule.at is not None
    }
    # The change history's pruning deletes in small batches, before the heavy jobs.
    assert starts["audit.history_prune"] < starts["development.signals_compute"]
    assert (
        starts["development.signals_compute"]
        < starts["quality.scorecards_compute"]
        < starts["contact.plans_generate"]
    )
    assert len(set(starts.values())) == len(starts), starts
