"""kill -9 at random points of an import, trial after trial: never a partial import (F1).

Each trial imports a file of its own in a subprocess and SIGKILLs it after a random delay
drawn over the whole length of a run (start-up, parsing, staging, applying, committing),
so some trials die before anything is written, some in the middle and some after the
commit. After each kill the file's customers are either all there or none of them: never
part. The normal suite runs a few trials; ``make harden`` runs many
(``RMDESK_KILL_TRIALS``, ``RMDESK_KILL_ROWS``).
"""

from __future__ import annotations

import os
import random
import signal
import time

TRIALS = int(os.environ.get("RMDESK_KILL_TRIALS", "3"))
ROWS = int(os.environ.get("RMDESK_KILL_ROWS", "1000"))


def feed(tmp_path, n: int):
    """File ``n``: its own customer numbers and mobiles (130…139 segments)."""
    path = tmp_path / f"feed{n}.csv"
    path.write_text(
        "customer_no,kind,name,home_unit,manager,mobile\n"
        + "".join(
            f"F{n:03d}{i:07d},individual,王{i},SA1,rm-own,13{n % 10}{n // 10 % 10}{i:07d}\n"
            for i in range(ROWS)
        ),
        encoding="utf-8",
    )
    return path


def test_random_kills_never_leave_a_partial_import(database, tmp_path):
    rng = random.Random(int(os.environ.get("RMDESK_KILL_SEED", "20261129")))
    # One run to the end, to know how long a run takes on this machine.
    started = time.monotonic()
    database.rmdesk("import", "customers", str(feed(tmp_path, 0)))
    full = time.monotonic() - started
    assert database.count("customers_customer") == ROWS

    outcomes = {"none": 0, "all": 0}
    killed_files = []
    for trial in range(TRIALS):
        path = feed(tmp_path, trial + 1)
        before = database.count("customers_customer")
        before_assigned = database.count("customers_customerassignment")
        process = database.popen("import", "customers", str(path))
        delay = rng.uniform(0.05, full * 1.1)
        try:
            process.wait(timeout=delay)
        except Exception:  # noqa: BLE001 - still running: the point of the trial
            process.send_signal(signal.SIGKILL)
        process.wait()
        added = database.count("customers_customer") - before
        assigned = database.count("customers_customerassignment") - before_assigned
        assert added in (0, ROWS), (trial, delay, added)  # all or nothing, never part
        assert assigned == added, (trial, delay, assigned)
        outcomes["all" if added else "none"] += 1
        if not added:
            killed_files.append(path)
    print(f"F1 {TRIALS} kill trials of {ROWS} rows (run {full:.1f} s): {outcomes}, 0 partial")

    # What was killed before its commit goes in whole when run again.
    for path in killed_files[:1]:
        before = database.count("customers_customer")
        done = database.rmdesk("import", "customers", str(path), check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert database.count("customers_customer") - before == ROWS
