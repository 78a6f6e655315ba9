"""Prometheus metrics: requests (by route and status), queries per request, the task queue.

Request metrics live in each process; under ``rmdesk serve --prod`` the gunicorn
workers share them through ``PROMETHEUS_MULTIPROC_DIR`` so one scrape sees them all.
Queue figures are read from the database at scrape time, so they cover every worker
on every machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUERY_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)
TASK_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600)

REQUESTS = Counter(
    "rmdesk_http_requests_total", "HTTP requests answered.", ["route", "method", "status"]
)
LATENCY = Histogram(
    "rmdesk_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
QUERIES = Histogram(
    "rmdesk_http_request_db_queries",
    "Database queries issued while answering one request.",
    ["route"],
    buckets=QUERY_BUCKETS,
)
TASK_DURATION = Histogram(
    "rmdesk_task_duration_seconds",
    "Time to run one job, in the worker that ran it.",
    ["task", "outcome"],
    buckets=TASK_BUCKETS,
)


class QueueCollector(Collector):
    """The queue as the database sees it (every worker, every machine)."""

    def collect(self) -> Iterator[Metric]:
        import datetime as dt

        from django.db.models import Count, F, Sum
        from django.utils import timezone

        from rmdesk.tasks.models import Job
        from rmdesk.tasks.selectors import queue_depth, queue_health

        depth = GaugeMetricFamily(
            "rmdesk_jobs", "Active jobs by queue and status.", labels=["queue", "status"]
        )
        for (queue, status), count in sorted(queue_depth().items()):
            depth.add_metric([queue, status], count)
        yield depth
        health = queue_health()
        yield GaugeMetricFamily(
            "rmdesk_jobs_oldest_due_seconds",
            "How long the oldest due job has waited.",
            value=health["oldest_due_seconds"],
        )
        yield GaugeMetricFamily(
            "rmdesk_jobs_expired_leases",
            "Running jobs whose worker stopped renewing the lease.",
            value=health["expired_leases"],
        )
        since = timezone.now() - dt.timedelta(hours=1)
        recent = SummaryMetricFamily(
            "rmdesk_task_recent_duration_seconds",
            "Jobs finished in the last hour, by task and status (count and total run time).",
            labels=["task", "status"],
        )
        rows = (
            Job.objects.filter(finished_at__gte=since, started_at__isnull=False)
            .values_list("name", "status")
            .annotate(n=Count("id"), total=Sum(F("finished_at") - F("started_at")))
            .order_by("name", "status")
        )
        for name, status, count, total in rows:
            seconds = total.total_seconds() if total is not None else 0.0
            recent.add_metric([name, status], count_value=count, sum_value=seconds)
        yield recent


def exposition() -> tuple[bytes, str]:
    """The text a scrape receives."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    queue = CollectorRegistry()
    queue.register(QueueCollector())
    return body + generate_latest(queue), CONTENT_TYPE_LATEST
