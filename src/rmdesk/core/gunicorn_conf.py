"""gunicorn settings for ``rmdesk serve --prod``, from the environment.

Sized for a Django app whose requests wait mostly on PostgreSQL: ``2 × cores + 1``
processes (``WEB_CONCURRENCY`` overrides), each with a few threads, one of them kept to
refuse what the process has no room for (core/admission.py); requests that run past the
timeout are killed; each process is recycled after a jittered number of requests so slow
leaks cannot accumulate.
"""

from __future__ import annotations

import json
import os
from typing import Any


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


_cores = os.cpu_count() or 1

wsgi_app = "rmdesk.wsgi:application"
bind = [os.environ.get("RMDESK_BIND", "127.0.0.1:8000")]
workers = _int("WEB_CONCURRENCY", min(2 * _cores + 1, 17))
worker_class = "gthread"
# One thread more than the requests a process works on (RMDESK_WEB_MAX_IN_FLIGHT, 8):
# the spare one answers 503 at once when the others are busy (core/admission.py).
threads = _int("RMDESK_WEB_THREADS", 9)
timeout = _int("RMDESK_WEB_TIMEOUT", 30)
graceful_timeout = _int("RMDESK_WEB_GRACEFUL_TIMEOUT", 30)
keepalive = _int("RMDESK_WEB_KEEPALIVE", 5)
max_requests = _int("RMDESK_WEB_MAX_REQUESTS", 2000)
max_requests_jitter = _int("RMDESK_WEB_MAX_REQUESTS_JITTER", max_requests // 10)
backlog = _int("RMDESK_WEB_BACKLOG", 2048)
# Import Django once in the master: workers fork with it loaded (less memory, and a
# broken configuration fails at start, not in every worker).
preload_app = True
# Requests and errors to stdout/stderr, for the service manager's journal.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("RMDESK_WEB_LOG_LEVEL", "info")
access_log_format = json.dumps(
    {
        "log": "access",
        "remote": "%(h)s",
        "request": "%(m)s %(U)s %(H)s",  # no query string: searches may carry identifiers
        "status": "%(s)s",
        "bytes": "%(B)s",
        "duration_us": "%(D)s",
        "request_id": "%({x-request-id}o)s",
        "user_agent": "%(a)s",
    }
)
# X-Forwarded-* headers are believed only from the proxies in front of us: none
# unless TRUSTED_PROXY_COUNT says there are, then the addresses FORWARDED_ALLOW_IPS
# lists (default: a proxy on this machine).
if _int("TRUSTED_PROXY_COUNT", 0) > 0:
    forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
else:
    forwarded_allow_ips = ""  # none
limit_request_line = 8190
limit_request_fields = 100


def child_exit(server: Any, worker: Any) -> None:
    """A recycled or dead worker's metrics stop being reported as live."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


# gunicorn ≥ 25 opens a control socket in $HOME; several instances on one machine
# would share it. Process control is the service manager's job (systemd: SIGHUP/SIGTERM).
control_socket_disable = True
