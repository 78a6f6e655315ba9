from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from rmdesk.core.errors import DomainError
from rmdesk.tasks import registry, services
from rmdesk.tasks.models import Job, ScheduleRun
from rmdesk.tasks.registry import daily, every, task
from rmdesk.tasks.services import LeaseLost, enqueue, job_claim, job_enqueue, schedule_tick
from rmdesk.tasks.worker import Worker, job_execute

pytestmark = pytest.mark.django_db


def echo_task(calls: list[dict[str, Any]]) -> None:
    @task("tests.echo")
    def echo(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs)
        return {"echo": kwargs}


def test_enqueue_claim_and_finish(tasks: dict[str, registry.Task]) -> None:
    calls: list[dict[str, Any]] = []
    echo_task(calls)
    job = enqueue("tests.echo", day="2026-01-05", n=3)
    assert job.status == Job.Status.QUEUED

    claimed = job_claim(worker="w1")
    assert claimed is not None
    assert claimed.pk == job.pk
    assert claimed.status == Job.Status.RUNNING
    assert claimed.attempts == 1
    assert claimed.leased_by == "w1"
    assert claimed.lease_expires_at is not None
    assert job_claim(worker="w2") is None  # leased: nobody else gets it

    assert job_execute(claimed, "w1", beat_every=3600) == "done"
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert job.result == {"echo": {"day": "2026-01-05", "n": 3}}
    assert job.finished_at is not None
    assert job.lease_expires_at is None
    assert calls == [{"day": "2026-01-05", "n": 3}]
    assert job_claim(worker="w1") is None


def test_a_job_enqueued_in_a_rolled_back_transaction_never_exists(
    tasks: dict[str, registry.Task],
) -> None:
    echo_task([])

    def enqueue_then_fail() -> None:
        with transaction.atomic():
            enqueue("tests.echo")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        enqueue_then_fail()
    assert not Job.objects.exists()


def test_unknown_tasks_and_non_json_arguments_are_refused(tasks: dict[str, registry.Task]) -> None:
    echo_task([])
    with pytest.raises(DomainError) as unknown:
        enqueue("tests.nothing")
    assert unknown.value.code == "task_unknown"
    with pytest.raises(DomainError) as not_json:
        enqueue("tests.echo", when=object())
    assert not_json.value.code == "task_arguments_not_json"
    assert not Job.objects.exists()


def test_a_unique_key_holds_one_active_job(tasks: dict[str, registry.Task]) -> None:
    echo_task([])
    first = job_enqueue(name="tests.echo", unique_key="k")
    again = job_enqueue(name="tests.echo", unique_key="k")
    assert again.pk == first.pk
    Job.objects.filter(pk=first.pk).update(status=Job.Status.DONE)
    later = job_enqueue(name="tests.echo", unique_key="k")
    assert later.pk != first.pk
    assert Job.objects.count() == 2


def test_queues_are_claimed_separately(tasks: dict[str, registry.Task]) -> None:
    echo_task([])
    job_enqueue(name="tests.echo", queue="reports")
    assert job_claim(worker="w", queues=["default"]) is None
    claimed = job_claim(worker="w", queues=["reports"])
    assert claimed is not None
    assert claimed.queue == "reports"


def test_an_expired_lease_is_run_again_and_the_old_worker_is_fenced_off(
    tasks: dict[str, registry.Task], settings: Any
) -> None:
    settings.RMDESK_TASK_LEASE_SECONDS = 30
    calls: list[dict[str, Any]] = []
    echo_task(calls)
    job = enqueue("tests.echo")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        first = job_claim(worker="dead-worker")
        assert first is not None
        traveller.shift(dt.timedelta(seconds=29))
        assert job_claim(worker="w2") is None  # the lease still holds
        traveller.shift(dt.timedelta(seconds=2))
        second = job_claim(worker="w2")
    assert second is not None
    assert second.pk == job.pk
    assert second.attempts == 2
    # The first worker wakes up: it can neither finish nor renew the job.
    with pytest.raises(LeaseLost), transaction.atomic():
        services.job_complete(job_id=job.pk, worker="dead-worker", result=None)
    assert not services.job_heartbeat(job_id=job.pk, worker="dead-worker")
    assert job_execute(first, "dead-worker", beat_every=3600) == "lost"
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING
    assert job.leased_by == "w2"
    assert job_execute(second, "w2", beat_every=3600) == "done"
    job.refresh_from_db()
    assert job.status == Job.Status.DONE


def test_the_lease_is_renewed_while_the_job_runs(
    tasks: dict[str, registry.Task], settings: Any
) -> None:
    settings.RMDESK_TASK_LEASE_SECONDS = 30
    echo_task([])
    enqueue("tests.echo")
    job = job_claim(worker="w1")
    assert job is not None
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now())
    assert services.job_heartbeat(job_id=job.pk, worker="w1")
    job.refresh_from_db()
    assert job.lease_expires_at is not None
    assert job.lease_expires_at > timezone.now() + dt.timedelta(seconds=25)


def test_a_failing_task_backs_off_then_dies(tasks: dict[str, registry.Task], settings: Any) -> None:
    settings.RMDESK_TASK_RETRY_BASE_SECONDS = 60
    runs: list[int] = []

    @task("tests.broken")
    def broken() -> None:
        runs.append(1)
        Job.objects.update(error="written by the task")  # rolled back with the failure
        raise ValueError("the core system is down")

    job = job_enqueue(name="tests.broken", max_attempts=2)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        claimed = job_claim(worker="w")
        assert claimed is not None
        assert job_execute(claimed, "w", beat_every=3600) == "failed"
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED
        assert "the core system is down" in job.error
        assert "written by the task" not in job.error
        # Backoff: base 60 s, jittered to 30–60 s.
        delay = (job.run_after - timezone.now()).total_seconds()
        assert 30 <= delay <= 60
        assert job_claim(worker="w") is None
        traveller.shift(dt.timedelta(seconds=61))
        again = job_claim(worker="w")
        assert again is not None
        assert again.attempts == 2
        assert job_execute(again, "w", beat_every=3600) == "dead"
    job.refresh_from_db()
    assert job.status == Job.Status.DEAD
    assert job.finished_at is not None
    assert len(runs) == 2
    assert job_claim(worker="w") is None


def test_a_job_whose_worker_dies_on_the_last_attempt_is_dead(
    tasks: dict[str, registry.Task], settings: Any
) -> None:
    settings.RMDESK_TASK_LEASE_SECONDS = 10
    echo_task([])
    job = job_enqueue(name="tests.echo", max_attempts=1)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert job_claim(worker="w1") is not None
        traveller.shift(dt.timedelta(seconds=11))
        assert job_claim(worker="w2") is None
    job.refresh_from_db()
    assert job.status == Job.Status.DEAD
    assert "lease" in job.error


def test_an_unknown_task_in_the_queue_dies_at_once(tasks: dict[str, registry.Task]) -> None:
    echo_task([])
    job = enqueue("tests.echo")
    Job.objects.filter(pk=job.pk).update(name="tests.gone")
    claimed = job_claim(worker="w")
    assert claimed is not None
    assert job_execute(claimed, "w") == "dead"


def test_schedule_periods() -> None:
    now = dt.datetime(2026, 3, 2, 21, 40, tzinfo=dt.UTC)  # 05:40 on the 3rd in Shanghai
    assert services.schedule_period(every(minutes=15), now) == "2026-03-02T21:30Z"
    assert services.schedule_period(every(minutes=15), now + dt.timedelta(minutes=4)) == (
        "2026-03-02T21:30Z"
    )
    assert services.schedule_period(every(minutes=15), now + dt.timedelta(minutes=5)) == (
        "2026-03-02T21:45Z"
    )
    assert services.schedule_period(daily(at="05:30"), now) == "2026-03-03"
    assert services.schedule_period(daily(at="06:00"), now) == "2026-03-02"


def test_two_schedulers_enqueue_each_period_once(tasks: dict[str, registry.Task]) -> None:
    @task("tests.nightly", schedule=daily(at="05:30"))
    def nightly() -> None: ...

    @task("tests.often", schedule=every(minutes=10))
    def often() -> None: ...

    @task("tests.by_hand")
    def by_hand() -> None: ...

    now = dt.datetime(2026, 3, 2, 21, 40, tzinfo=dt.UTC)
    first = schedule_tick(now=now)
    second = schedule_tick(now=now + dt.timedelta(seconds=5))
    assert sorted(job.name for job in first) == ["tests.nightly", "tests.often"]
    assert second == []
    # The often task's job is still queued: the next period does not pile up a second.
    third = schedule_tick(now=now + dt.timedelta(minutes=10))
    assert [job.name for job in third] == ["tests.often"]
    assert Job.objects.filter(name="tests.often").count() == 1
    Job.objects.update(status=Job.Status.DONE)
    fourth = schedule_tick(now=now + dt.timedelta(minutes=20))
    assert [job.name for job in fourth] == ["tests.often"]
    assert Job.objects.filter(name="tests.often").count() == 2
    assert ScheduleRun.objects.filter(task="tests.nightly").count() == 1
    next_day = schedule_tick(now=now + dt.timedelta(days=1))
    assert sorted(job.name for job in next_day) == ["tests.nightly", "tests.often"]


@pytest.mark.django_db(transaction=True)
def test_a_worker_drains_the_queue_and_stops(tasks: dict[str, registry.Task]) -> None:
    calls: list[dict[str, Any]] = []
    echo_task(calls)
    for n in range(5):
        enqueue("tests.echo", n=n)
    counts = Worker(once=True, schedule=False, poll_seconds=0.01).run()
    assert counts == {"done": 5}
    assert sorted(call["n"] for call in calls) == [0, 1, 2, 3, 4]
    assert set(Job.objects.values_list("status", flat=True)) == {Job.Status.DONE}


@pytest.mark.django_db(transaction=True)
def test_stopping_lets_the_running_job_finish(tasks: dict[str, registry.Task]) -> None:
    worker = Worker(once=False, schedule=False, poll_seconds=0.01)

    @task("tests.stop_me")
    def stop_me() -> str:
        worker.stop()  # as SIGTERM would, mid-task
        return "finished"

    enqueue("tests.stop_me")
    enqueue("tests.stop_me")
    assert worker.run() == {"done": 1}
    assert sorted(Job.objects.values_list("status", flat=True)) == ["done", "queued"]
    connection.close()
