from __future__ import annotations

import os
import shutil
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Serve rmdesk over HTTP: the demo server, or with --prod the gunicorn "
        "application server (static files through whitenoise after collectstatic)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--prod", action="store_true", help="Serve with gunicorn.")
        parser.add_argument("--workers", type=int, default=0, help="Processes (default 2×cores+1).")
        parser.add_argument("--threads", type=int, default=0, help="Threads per process (5).")
        parser.add_argument("--timeout", type=int, default=0, help="Request timeout, s (30).")
        parser.add_argument(
            "--no-collectstatic", action="store_true", help="Static files are already collected."
        )
        parser.add_argument(
            "--print-command", action="store_true", help="Show the gunicorn command; do not run."
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        prod: bool,
        workers: int,
        threads: int,
        timeout: int,
        no_collectstatic: bool,
        print_command: bool,
        **options: Any,
    ) -> None:
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        if not prod:
            self.stdout.write(f"rmdesk is at http://{address}/  (Ctrl-C stops it)")
            call_command("runserver", address, use_reloader=False, skip_checks=False)
            return
        env = dict(os.environ)
        env["RMDESK_BIND"] = address
        for name, value in [
            ("WEB_CONCURRENCY", workers),
            ("RMDESK_WEB_THREADS", threads),
            ("RMDESK_WEB_TIMEOUT", timeout),
        ]:
            if value:
                env[name] = str(value)
        # The gunicorn workers pool their request metrics in one folder, emptied at start.
        metrics_dir = env.get("PROMETHEUS_MULTIPROC_DIR") or str(
            settings.VAR_DIR / f"prometheus-{port}"
        )
        env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        command = [sys.executable, "-m", "gunicorn", "-c", "python:rmdesk.core.gunicorn_conf"]
        if print_command:
            self.stdout.write(" ".join(command))
            for name in ("RMDESK_BIND", "WEB_CONCURRENCY", "RMDESK_WEB_THREADS"):
                if name in env:
                    self.stdout.write(f"{name}={env[name]}")
            return
        if not no_collectstatic:
            call_command("collectstatic", interactive=False, verbosity=0)
        shutil.rmtree(metrics_dir, ignore_errors=True)
        os.makedirs(metrics_dir, exist_ok=True)
        self.stdout.write(f"rmdesk (gunicorn) is at http://{address}/")
        self.stdout.flush()
        try:
            os.execve(sys.executable, command, env)  # noqa: S606 (our own interpreter)
        except OSError as exc:  # pragma: no cover
            raise CommandError(f"Could not start gunicorn: {exc}") from exc
