"""Acknowledged writes survive a database crash (RELIABILITY.md F2).

A throw-away PostgreSQL cluster of the test's own (``initdb`` in a temporary folder, a
free loopback port) gets rmdesk's schema (copied from the migrated test database); a
writer process records audit events through rmdesk's service, several threads at once,
printing each event's number once its commit has returned (the ledger). Mid-load the
cluster is stopped with ``pg_ctl stop -m immediate`` — no checkpoint, no clean
shutdown, as a power cut leaves it — then started again: WAL recovery must bring back
every acknowledged event.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from ops_helpers import database_url, postgres_only, subprocess_env

pytestmark = [
    postgres_only("it stops a PostgreSQL cluster of its own with pg_ctl and checks its recovery")
]

LOAD_SECONDS = 3.0


def _server_bin() -> Path | None:
    """The folder of initdb and pg_ctl: pg_config's, else the newest under /usr/lib."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if found.returncode == 0:
            candidates.append(Path(found.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


BIN = _server_bin()
needs_server = pytest.mark.skipif(
    BIN is None, reason="initdb and pg_ctl not found (pg_config --bindir, /usr/lib/postgresql)"
)


def _as_owner() -> list[str]:
    """initdb and the server refuse to run as root: as root, run them as ``postgres``."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root without a postgres user to own the cluster")
    if runuser is None:
        pytest.skip("running as root without runuser to start the cluster as postgres")
    return [runuser, "-u", "postgres", "--"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    def __init__(self, folder: Path) -> None:
        assert BIN is not None  # noqa: S101 (skipped otherwise)
        self.bin: Path = BIN
        self.folder = folder
        self.data = folder / "data"
        self.port = _free_port()
        self.prefix = _as_owner()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/rmdesk"

    def run(self, *command: str) -> None:
        subprocess.run([*self.prefix, *command], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        if self.prefix:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        # fsync stays on (the default): this is what is being tested.
        self.run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                 "-E", "UTF8", "--no-instructions")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.folder} -c fsync=on -c synchronous_commit=on"
        )
        self.run(str(self.bin / "pg_ctl"), "start", "-D", str(self.data), "-w", "-t", "30",
                 "-o", options, "-l", str(self.folder / "server.log"))  # fmt: skip

    def crash(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "stop", "-D", str(self.data), "-m", "immediate")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self.run(str(self.bin / "pg_ctl"), "stop", "-D", str(self.data), "-m", "fast")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    folder = Path(tempfile.mkdtemp(prefix="rmdesk-crash-"))
    made = Cluster(folder)
    try:
        made.init()
        made.start()
        yield made
    finally:
        made.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _tool(name: str) -> str:
    assert BIN is not None  # noqa: S101
    return str(BIN / name) if (BIN / name).exists() else (shutil.which(name) or name)


def _copy_schema(source_url: str, target: Cluster) -> None:
    """rmdesk's schema, as the test run migrated it, into the new cluster."""
    assert BIN is not None  # noqa: S101
    with psycopg.connect(target.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute("CREATE DATABASE rmdesk")
    dump = subprocess.run(
        [_tool("pg_dump"), "--schema-only", "--no-owner", "--no-privileges", source_url],
        check=True,
        capture_output=True,
        timeout=60,
    )
    subprocess.run(
        [_tool("psql"), "-q", "-v", "ON_ERROR_STOP=1", target.url],
        input=dump.stdout,
        check=True,
        capture_output=True,
        timeout=60,
    )


@needs_server
@pytest.mark.django_db
def test_acknowledged_writes_survive_an_immediate_stop(cluster: Cluster, tmp_path: Path) -> None:
    assert connection.vendor == "postgresql"
    _copy_schema(database_url(), cluster)
    writer = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "crash_writer.py")],
        env=subprocess_env(tmp_path, DATABASE_URL=cluster.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert writer.stdout is not None
    try:
        assert writer.stdout.readline().strip() == "started"
        time.sleep(LOAD_SECONDS)  # under load: every thread is mid-transaction now and then
        cluster.crash()
        ledger = {line.strip() for line in writer.stdout if line.strip()}
        writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert len(ledger) > 20, "the writer barely wrote: the test proves nothing"

    cluster.start()  # WAL recovery
    with psycopg.connect(cluster.url) as conn:
        stored = {
            row[0]
            for row in conn.execute(
                "SELECT data->>'n' FROM audit_auditevent WHERE action = 'ops.crash.probe'"
            )
        }
    lost = ledger - stored
    assert not lost, (
        f"{len(lost)} acknowledged writes of {len(ledger)} were lost: {sorted(lost)[:5]}"
    )
    # Anything beyond the ledger was committed but not yet acknowledged when the server died.
    assert len(stored - ledger) <= 4
