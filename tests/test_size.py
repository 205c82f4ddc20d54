"""Huge input builds, in memory that grows with the deck, not with how it is split.

Each build is a real `build_deck.py` child process; its peak memory is the largest of it and
its worker processes (`os.wait4`). The limits are regression guards set well above what was
measured (README, "What is checked"), and well below what the builder used before its memory
work (0.96 GB for a 20 MB file): a failure means memory is held again that need not be.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow

MB = 1 << 20
# Peak RSS of the largest process; measured (2 cores) 340 MB and 370-480 MB.
TWENTY_MB_FILE_LIMIT = 600 * MB
HUNDRED_THOUSAND_LIMIT = 600 * MB


def _note(number: int) -> str:
    """One question: three paragraphs; a code block on every third, a table on every tenth."""
    parts = [f"### What does `f_{number}` compute?\n"]
    for paragraph in range(3):
        words = " ".join(f"w{(number * 7 + paragraph * 50 + i) % 97}" for i in range(40))
        parts.append(f"It returns **{paragraph}** {words}.\n")
    if number % 3 == 0:
        parts.append(
            f"```python\ndef f_{number}(x: int) -> int:\n"
            + "".join(f"    x = x * {i} + {number % 13}\n" for i in range(1, 8))
            + "    return x\n```\n"
        )
    if number % 10 == 0:
        rows = "".join(f"| r{i} | {number * i} | {i % 3} |\n" for i in range(4))
        parts.append(f"| name | value | kind |\n|---|--:|:-:|\n{rows}")
    return "\n".join(parts)


def _file(first: int, count: int) -> str:
    notes = "\n".join(_note(number) for number in range(first, first + count))
    return f"---\ntopic: part {first}\n---\n\n## Section\n\n{notes}"


def _build(folder: Path) -> tuple[int, int, str]:
    """Exit status, peak memory in bytes and stderr of a real build of `folder/content`."""
    command = [
        sys.executable,
        str(ROOT / "build_deck.py"),
        "--content",
        "content",
        "--templates",
        str(ROOT / "templates"),
        "--no-preview",
        "--no-cache",
    ]
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return process.returncode, usage.ru_maxrss * 1024, err.read().decode()


def _notes_in(package: Path) -> int:
    with zipfile.ZipFile(package) as archive, tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "collection.anki2"
        database.write_bytes(archive.read("collection.anki2"))
        connection = sqlite3.connect(database)
        try:
            return int(connection.execute("SELECT count(*) FROM cards").fetchone()[0])
        finally:
            connection.close()


def test_a_20_mb_source_file_builds_in_bounded_memory(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    count = 34_000
    text = _file(0, count)
    assert len(text.encode()) > 20 * MB
    (tmp_path / "content" / "everything.md").write_text(text, encoding="utf-8")
    status, peak, err = _build(tmp_path)
    assert status == 0, err[-2000:]
    assert _notes_in(tmp_path / "dist" / "markdown-flashcards.apkg") == count
    assert peak < TWENTY_MB_FILE_LIMIT, f"peak {peak / MB:.0f} MB"


def test_100_000_questions_build_in_bounded_memory(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    for first in range(0, 100_000, 100):
        (content / f"part-{first // 100:04d}.md").write_text(_file(first, 100), encoding="utf-8")
    status, peak, err = _build(tmp_path)
    assert status == 0, err[-2000:]
    assert _notes_in(tmp_path / "dist" / "markdown-flashcards.apkg") == 100_000
    assert peak < HUNDRED_THOUSAND_LIMIT, f"peak {peak / MB:.0f} MB"
