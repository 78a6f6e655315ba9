"""Imports at the same time, each in its own process against one database of its own."""

from __future__ import annotations

import time

import pytest

ROWS = 3000


def customers_file(path, prefix: str, unit: str, manager: str) -> None:
    path.write_text(
        "customer_no,kind,name,home_unit,manager\n"
        + "".join(f"{prefix}{i:05d},individual,王{i},{unit},{manager}\n" for i in range(ROWS)),
        encoding="utf-8",
    )


def test_two_files_at_once_both_apply_exactly(database, tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    customers_file(first, "PA", "SA1", "rm-own")
    customers_file(second, "PB", "SA2", "rm-two")
    processes = [database.popen("import", "customers", str(path)) for path in (first, second)]
    outputs = [process.communicate() for process in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, out + err
        assert f"new {ROWS}, changed 0, unchanged 0, rejected 0".encode() in out
    assert database.count("customers_customer") == 2 * ROWS
    assert database.count("customers_customerassignment") == 2 * ROWS


def test_the_same_file_twice_at_once_applies_once(database, tmp_path):
    path = tmp_path / "same.csv"
    customers_file(path, "PS", "SA1", "rm-own")
    processes = [database.popen("import", "customers", str(path)) for _ in range(2)]
    outputs = [process.communicate()[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0]
    applied = [out for out in outputs if f"new {ROWS},".encode() in out]
    repeats = [out for out in outputs if b" repeat" in out]
    assert (len(applied), len(repeats)) == (1, 1), outputs
    assert database.count("customers_customer") == ROWS
    statuses = database.json(
        "import json; from rmdesk.ingest.models import ImportRun; "
        "print(json.dumps(sorted(ImportRun.objects.values_list('status', flat=True))))"
    )
    assert statuses == ["done", "repeat"]


MEMORY = """
import io, resource, json
from rmdesk.ingest import services
head = "txn_ref,customer_no,account_no,booked_on,kind,amount,counterparty\\n"
def feed(rows):
    # Generated as it is read: the test itself never holds the file.
    class Source(io.RawIOBase):
        def __init__(self):
            self.lines = (
                (f"X{{i:09d}},NOBODY{{i % 7}},A{{i % 5}},2026{{1 + i % 12:02d}}{{1 + i % 28:02d}},"
                 f"spending,-{{i % 9999}}.{{i % 100:02d}},某某商户{{i % 50}}\\n").encode()
                for i in range(rows)
            )
            self.buffer = head.encode()
        def readable(self):
            return True
        def readinto(self, target):
            while len(self.buffer) < len(target):
                line = next(self.lines, None)
                if line is None:
                    break
                self.buffer += line
            size = min(len(target), len(self.buffer))
            target[:size] = self.buffer[:size]
            self.buffer = self.buffer[size:]
            return size
    return io.BufferedReader(Source(), 1 << 16)
limits = services.Limits(max_bytes=1 << 31, max_rows=10_000_000, max_errors=10**9)
peaks = []
for rows in ({small}, {large}):
    run = services.import_file(actor=None, feed="transactions", source=feed(rows),
                               file_name="t.csv", limits=limits, dry_run=True)
    assert (run.rows, run.rejected) == (rows, rows), (run.rows, run.rejected, run.error_summary)
    peaks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
print(json.dumps(peaks))
"""


def test_peak_memory_does_not_grow_with_the_file(database):
    """Ten times the rows (every one refused: the refusals are kept in the database, not in
    memory) and the process's peak memory stays where it was."""
    small, large = 20_000, 200_000
    peaks = database.json(MEMORY.format(small=small, large=large))
    assert isinstance(peaks, list)
    grown = peaks[1] - peaks[0]
    assert grown < 40, f"peak memory grew by {grown} MiB for 10x the rows: {peaks}"


def test_a_running_import_shows_its_progress_to_other_sessions(database, tmp_path):
    """The run row's progress is written outside the run's transaction (PostgreSQL)."""
    if not database.url.startswith("postgres"):
        pytest.skip("progress is published through a second connection on PostgreSQL only")

    path = tmp_path / "big.csv"
    path.write_text(
        "customer_no,kind,name,home_unit,manager,mobile\n"
        + "".join(f"G{i:06d},individual,王{i},SA1,rm-own,138{i:08d}\n" for i in range(40_000)),
        encoding="utf-8",
    )
    process = database.popen("import", "customers", str(path), "--progress-every", "5000")
    assert process.stderr is not None
    seen = 0
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        seen = database.count("ingest_importrun WHERE status = 'running' AND rows_done > 0")
        if seen:
            break
        time.sleep(0.2)
    assert seen == 1
    # Meanwhile none of the run's rows are visible: they commit together at the end.
    assert database.count("customers_customer") in (0, 40_000)
    out, err = process.communicate()
    assert process.returncode == 0, out + err
    assert database.count("ingest_importrun WHERE status = 'done' AND rows_done = 40000") == 1
