import datetime as dt

import pytest

from rmdesk.tasks.registry import Schedule, daily, every, task


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
