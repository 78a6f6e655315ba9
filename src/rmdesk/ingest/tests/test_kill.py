"""kill -9 in the middle of an import leaves none of its rows; the re-run completes it (F1).

The import runs in a subprocess against a database of its own (a fresh SQLite file, or a
fresh PostgreSQL database when the suite runs on PostgreSQL), so what the killed process
left behind is what any other connection would see.
"""

from __future__ import annotations

import signal

ROWS = 30_000


def test_kill_during_import_leaves_nothing_and_rerun_completes(database, tmp_path):
    feed = tmp_path / "customers.csv"
    feed.write_text(
        "customer_no,kind,name,home_unit,manager,mobile\n"
        + "".join(f"K{i:06d},individual,王{i},SA1,rm-own,138{i:08d}\n" for i in range(ROWS)),
        encoding="utf-8",
    )
    args = ("import", "customers", str(feed), "--progress-every", "5000")
    process = database.popen(*args)
    assert process.stderr is not None
    line = process.stderr.readline()
    # Killed once the first rows are in (a chunk of 5,000 read row by row; the first
    # block of the file when it is copied to the server as it is, on PostgreSQL): well
    # inside the run's transaction.
    assert line.startswith(b"rows read: "), line
    assert 0 < int(line.split()[2]) < ROWS, line
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    assert database.count("customers_customer") == 0  # nothing, never part
    assert database.count("customers_customerassignment") == 0
    assert database.count("ingest_importrowerror") == 0

    done = database.rmdesk(*args, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"new {ROWS}, changed 0, unchanged 0, rejected 0".encode() in done.stdout
    assert database.count("customers_customer") == ROWS
    assert database.count("customers_customerassignment") == ROWS
    # The killed run is recorded as interrupted by the re-run, which is done.
    statuses = database.json(
        "import json; from rmdesk.ingest.models import ImportRun; "
        "print(json.dumps(list(ImportRun.objects.order_by('pk')"
        ".values_list('status', 'error_code'))))"
    )
    assert statuses == [["failed", "INTERRUPTED"], ["done", ""]]
