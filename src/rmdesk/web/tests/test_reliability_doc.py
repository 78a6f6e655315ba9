"""docs/reliability.md maps every RELIABILITY.md row to tests that exist.

Each of the fifty rows has a line with a status, and every ``file::test`` it names (or
``::test`` continuing the file before it) is a test function in that file — so renaming
or deleting a test that proves a row fails here until the map follows.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
DOC = ROOT / "docs" / "reliability.md"
ROWS = [
    *(f"A{n}" for n in range(1, 9)),
    *(f"B{n}" for n in range(1, 10)),
    *(f"C{n}" for n in range(1, 7)),
    *(f"D{n}" for n in range(1, 8)),
    *(f"E{n}" for n in range(1, 8)),
    *(f"F{n}" for n in range(1, 6)),
    *(f"G{n}" for n in range(1, 4)),
    *(f"H{n}" for n in range(1, 6)),
]
STATUSES = {"covered", "partly", "not yet"}
REFERENCE = re.compile(r"`(?:([a-z_]+/[a-z_]+\.py))?::(test_[a-z0-9_]+)`")


def source(short: str) -> Path:
    folder, name = short.split("/")
    if folder == "ops":
        return ROOT / "tests" / "ops" / name
    return ROOT / "src" / "rmdesk" / folder / "tests" / name


def rows() -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] in ROWS:
            found[cells[0]] = (cells[1], cells[2])
    return found


def test_every_row_has_a_status() -> None:
    found = rows()
    assert sorted(found) == sorted(ROWS)
    assert {status for status, _ in found.values()} <= STATUSES


def test_every_named_test_exists() -> None:
    missing, named = [], 0
    for row, (_status, tests) in rows().items():
        current: str | None = None
        for short, name in REFERENCE.findall(tests):
            current = short or current
            assert current, (row, name)
            named += 1
            text = source(current).read_text(encoding="utf-8")
            if not re.search(rf"^def {name}\(", text, re.MULTILINE):
                missing.append(f"{row}: {current}::{name}")
    assert missing == []
    assert named >= 100


def test_covered_rows_name_tests() -> None:
    for row, (status, tests) in rows().items():
        if status == "covered":
            assert REFERENCE.search(tests) or "`conftest" in tests, row
