"""Writes audit events through rmdesk's own service until the database goes away.

Run by test_ops_crash.py with DATABASE_URL naming a throw-away cluster. Each of
several threads records events, one transaction each; after each commit returns it
prints the event's number: the ledger of acknowledged writes.
"""

from __future__ import annotations

import sys
import threading

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from rmdesk.audit.services import audit_record  # noqa: E402
from rmdesk.org.models import OrgUnit  # noqa: E402

THREADS = 4
printing = threading.Lock()


def write(thread: int, target: OrgUnit) -> None:
    n = 0
    try:
        while True:
            n += 1
            number = f"{thread}-{n}"
            with transaction.atomic():
                audit_record(
                    actor=None, action="ops.crash.probe", target=target, data={"n": number}
                )
            with printing:  # acknowledged: the commit has returned
                print(number, flush=True)
    except Exception as error:  # noqa: BLE001 - the database was stopped under us: the point
        print(f"thread {thread} stopped: {type(error).__name__}", file=sys.stderr, flush=True)
    finally:
        connection.close()


def main() -> None:
    target, _ = OrgUnit.objects.get_or_create(
        code="CRASH", defaults={"name": "crash", "kind": OrgUnit.Kind.HEAD_OFFICE, "path": "CRASH"}
    )
    connection.close()
    threads = [threading.Thread(target=write, args=(i, target)) for i in range(THREADS)]
    # Before the threads: once started, one may commit and print its first number first.
    print("started", flush=True)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sys.exit(0)


if __name__ == "__main__":
    main()
