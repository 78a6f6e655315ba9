"""Several `rmdesk worker` processes share one PostgreSQL queue; one is killed mid-task."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from ops_helpers import database_url, postgres_only, subprocess_env

from rmdesk.tasks import registry
from rmdesk.tasks.models import Job, ScheduleRun
from rmdesk.tasks.registry import every, task
from rmdesk.tasks.services import job_enqueue, schedule_tick

pytestmark = [
    postgres_only("several worker processes share the queue through row locks with SKIP LOCKED"),
    pytest.mark.django_db(transaction=True),
]

TASKS = 24


def wait_for(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_killing_a_worker_mid_task_loses_nothing_and_runs_nothing_twice(tmp_path: Path) -> None:
    import probe_tasks

    probe_tasks.tables_create()
    url = database_url()
    env = subprocess_env(
        tmp_path,
        DATABASE_URL=url,
        RMDESK_TASK_LEASE_SECONDS="2",
        RMDESK_TASK_POLL_SECONDS="0.1",
        RMDESK_TASK_RETRY_BASE_SECONDS="1",
    )
    workers: list[subprocess.Popen[bytes]] = []
    try:
        # The victim is long; the others are short and keep the other workers busy.
        victim = job_enqueue(name="ops_probe.write", kwargs={"key": "victim", "seconds": 6})
        for n in range(TASKS - 1):
            job_enqueue(name="ops_probe.write", kwargs={"key": f"k{n:02}", "seconds": 0.3})
        command = [
            sys.executable,
            "-m",
            "rmdesk.cli",
            "worker",
            "--concurrency",
            "2",
            "--import",
            "probe_tasks",
            "--no-schedule",
        ]
        for _n in range(3):
            workers.append(
                subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            )

        def victim_running() -> bool:
            victim.refresh_from_db()
            return victim.status == Job.Status.RUNNING

        wait_for(victim_running, 60, "a worker to start the long task")
        time.sleep(1.0)  # well inside the task: its row is written, not committed
        killed_pid = int(victim.leased_by.split(":")[1])
        killed = next(w for w in workers if w.pid == killed_pid)
        killed.send_signal(signal.SIGKILL)
        killed.wait(10)

        wait_for(
            lambda: Job.objects.filter(status=Job.Status.DONE).count() == TASKS,
            90,
            "every job to be done",
        )
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        survivors = [w for w in workers if w is not killed]
        for worker in survivors:
            assert worker.wait(30) == 0, worker.stderr.read() if worker.stderr else ""
        assert killed.returncode == -signal.SIGKILL

        with connection.cursor() as cursor:
            cursor.execute(f"SELECT key, pid FROM {probe_tasks.EFFECTS}")  # noqa: S608
            effects = dict(cursor.fetchall())
            cursor.execute(
                f"SELECT key, count(*) FROM {probe_tasks.STARTS} GROUP BY key"  # noqa: S608
            )
            starts = dict(cursor.fetchall())
        # Every task's effect is there exactly once (the key is the primary key) …
        assert sorted(effects) == sorted(["victim", *[f"k{n:02}" for n in range(TASKS - 1)]])
        # … the victim started twice, but only the second run committed, elsewhere.
        assert starts["victim"] == 2
        assert effects["victim"] != killed_pid
        # Every start was one attempt; only the killed worker's jobs (the victim, and
        # whatever its second thread was running) took a second one.
        attempts = dict(Job.objects.values_list("kwargs__key", "attempts"))
        assert starts == attempts
        rerun = sorted(key for key, count in attempts.items() if count > 1)
        assert "victim" in rerun
        assert len(rerun) <= 2
        victim.refresh_from_db()
        assert victim.attempts == 2
        assert victim.status == Job.Status.DONE
        assert victim.leased_by.split(":")[1] != str(killed_pid)
        pids = {int(job.leased_by.split(":")[1]) for job in Job.objects.all()}
        assert len(pids) >= 2  # the work was shared
        print(  # the figures for the report
            f"\n{TASKS} tasks, 3 workers × 2 threads, worker {killed_pid} killed mid-task: "
            f"{len(effects)} effects, each once; re-run after the lease expired: {rerun}"
        )
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)
        probe_tasks.tables_drop()


def test_two_schedulers_at_once_enqueue_a_period_once(monkeypatch: pytest.MonkeyPatch) -> None:
    registry.discover()
    monkeypatch.setattr(registry, "_TASKS", {})

    @task("ops_probe.tick", schedule=every(minutes=5))
    def tick() -> None: ...

    barrier = threading.Barrier(4)
    results: list[int] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            barrier.wait()
            results.append(len(schedule_tick()))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(results) == [0, 0, 0, 1]
    assert Job.objects.filter(name="ops_probe.tick").count() == 1
    assert ScheduleRun.objects.filter(task="ops_probe.tick").count() == 1
