"""The catalogue of background tasks: each app declares its own in ``<app>/tasks.py``.

A task is a plain function taking keyword arguments that survive JSON (strings,
numbers, booleans, lists, dicts) and returning a JSON-able summary::

    from rmdesk.tasks.registry import daily, task

    @task("contact.plans_generate", schedule=daily(at="05:30"))
    def plans_generate(*, day: str | None = None) -> dict[str, int]:
        ...

The function must be idempotent for its arguments: the queue runs a task at least
once, and a worker that dies mid-task leaves it to be run again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import autodiscover_modules

TaskFunction = Callable[..., Any]


@dataclass(frozen=True)
class Schedule:
    """When the scheduler enqueues a task: every ``interval``, or daily at ``at`` (bank time)."""

    interval: dt.timedelta | None = None
    at: dt.time | None = None

    def __post_init__(self) -> None:
        if (self.interval is None) == (self.at is None):
            raise ValueError("A schedule is either an interval or a time of day.")
        if self.interval is not None and self.interval < dt.timedelta(minutes=1):
            raise ValueError("A schedule's interval is at least a minute.")


def every(*, minutes: int = 0, hours: int = 0) -> Schedule:
    return Schedule(interval=dt.timedelta(minutes=minutes, hours=hours))


def daily(*, at: str) -> Schedule:
    return Schedule(at=dt.time.fromisoformat(at))


@dataclass(frozen=True)
class Task:
    name: str
    function: TaskFunction
    schedule: Schedule | None


_TASKS: dict[str, Task] = {}


def task(name: str, *, schedule: Schedule | None = None) -> Callable[[TaskFunction], TaskFunction]:
    """Register ``function`` under ``name`` ("<app>.<verb>"); names are unique."""

    def register(function: TaskFunction) -> TaskFunction:
        existing = _TASKS.get(name)
        if existing is not None and existing.function is not function:
            raise ValueError(f"Task {name!r} is already registered.")
        _TASKS[name] = Task(name=name, function=function, schedule=schedule)
        return function

    return register


def discover() -> None:
    """Import every installed app's ``tasks`` module, so their tasks are registered."""
    autodiscover_modules("tasks")


def registered() -> dict[str, Task]:
    discover()
    return dict(_TASKS)


def get(name: str) -> Task:
    discover()
    try:
        return _TASKS[name]
    except KeyError:
        raise LookupError(f"No task is registered as {name!r}.") from None
