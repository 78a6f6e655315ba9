from __future__ import annotations

import importlib
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rmdesk.tasks.worker import Worker


class Command(BaseCommand):
    help = (
        "Run background tasks from the database queue (any number of workers may share it). "
        "SIGTERM lets running tasks finish, then exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--concurrency", type=int, default=1, help="Jobs run at once (threads)."
        )
        parser.add_argument("--once", action="store_true", help="Drain what is due, then exit.")
        parser.add_argument("--queues", default="", help="Comma-separated queues (default: all).")
        parser.add_argument(
            "--no-schedule", action="store_true", help="Do not enqueue scheduled tasks."
        )
        parser.add_argument(
            "--import",
            dest="modules",
            action="append",
            default=[],
            help="Import this module first (it registers more tasks). Repeatable.",
        )
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=0,
            help="Serve this worker's task metrics on 127.0.0.1:PORT/metrics (0: off).",
        )
        parser.add_argument("--poll", type=float, default=None, help="Seconds between polls.")

    def handle(
        self,
        *args: Any,
        concurrency: int,
        once: bool,
        queues: str,
        no_schedule: bool,
        modules: list[str],
        poll: float | None,
        metrics_port: int,
        **options: Any,
    ) -> None:
        if metrics_port:
            from prometheus_client import start_http_server

            start_http_server(metrics_port, addr="127.0.0.1")
        for module in modules:
            importlib.import_module(module)
        worker = Worker(
            queues=[q.strip() for q in queues.split(",") if q.strip()] or None,
            concurrency=concurrency,
            once=once,
            schedule=not no_schedule,
            poll_seconds=poll,
        )
        signal.signal(signal.SIGTERM, worker.stop)
        signal.signal(signal.SIGINT, worker.stop)
        counts = worker.run()
        summary = ", ".join(f"{key} {value}" for key, value in sorted(counts.items())) or "no jobs"
        self.stdout.write(f"worker {worker.name} stopped: {summary}")
