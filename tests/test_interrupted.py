"""A build killed at any moment leaves the previous deck or the new one, never half of either.

`python build_deck.py` runs as a real process on a deck large enough to take a few seconds
and is SIGKILLed in each phase: while it parses and renders, while it writes the package, and
while it writes the ledger. After every kill the package must be byte for byte the previous
one or the complete new one (SOURCE_DATE_EPOCH makes the new one reproducible), and the ledger
the previous or the new JSON. Leftover temporary files must not disturb the next build.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGE = Path("dist") / "markdown-flashcards.apkg"
LEDGER = Path("content") / "ledger.json"
FILES, NOTES_PER_FILE = 30, 100  # about two seconds of building
KILLS_WHILE_PLANNING, KILLS_WHILE_PACKAGING, KILLS_WHILE_WRITING_LEDGER = 3, 3, 2
HOUR = 3600


def _note(number: int, version: int) -> str:
    code = ""
    if number % 3 == 0:
        code = f"\n```python\ndef f_{number}(x):\n    return x * {number} + {version}\n```\n"
    return (
        f"## What does f_{number} return?\n\n"
        f"It returns `x` times {number} plus {version}, see $x_{{{number}}}$.\n{code}\n"
    )


def _write_content(folder: Path, version: int) -> None:
    """Version 2 edits every seventh answer and adds a file, so package and ledger change."""
    for file in range(FILES + (version - 1)):
        notes = (
            _note(n, version if n % 7 == 0 else 1)
            for n in range(file * NOTES_PER_FILE, (file + 1) * NOTES_PER_FILE)
        )
        (folder / "content" / f"topic{file:03}.md").write_text("".join(notes), encoding="utf-8")


def _start(folder: Path, epoch: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "build_deck.py"), "--no-preview"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: worker processes die with it
    )


@dataclass(frozen=True)
class _Timing:
    planned: float  # seconds from start until the plan is made and writing begins
    total: float


def _timed_build(folder: Path, epoch: int) -> _Timing:
    started = time.monotonic()
    process = _start(folder, epoch)
    assert process.stderr is not None
    planned = 0.0
    for line in process.stderr:  # "notes: ..." is printed just before anything is written
        if line.startswith(b"notes:"):
            planned = time.monotonic() - started
    assert process.wait(timeout=120) == 0
    return _Timing(planned, time.monotonic() - started)


def _names(folder: Path, prefix: str) -> set[str]:
    try:
        return {entry.name for entry in os.scandir(folder) if entry.name.startswith(prefix)}
    except FileNotFoundError:
        return set()


def _appears(folder: Path, prefix: str) -> Callable[[], bool]:
    """True once a temporary file this build made shows up (earlier kills left some behind)."""
    before = _names(folder, prefix)
    return lambda: bool(_names(folder, prefix) - before)


def _kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool], delay: float) -> bool:
    """SIGKILL `delay` seconds after `ready()` turns true; False if the build ended first."""
    while not ready():
        if process.poll() is not None:
            return False
        time.sleep(0.0005)
    time.sleep(delay)
    if process.poll() is not None:
        return False
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return True


@dataclass(frozen=True)
class _State:
    package: bytes
    ledger: bytes

    @classmethod
    def of(cls, folder: Path) -> _State:
        return cls((folder / PACKAGE).read_bytes(), (folder / LEDGER).read_bytes())

    def restore(self, folder: Path) -> None:
        (folder / PACKAGE).write_bytes(self.package)
        (folder / LEDGER).write_bytes(self.ledger)


def _forget_cache(folder: Path) -> None:
    # A build cache (in the working folder) would make every run after the first much faster
    # than the timed one, and the kill moments would miss their phases.
    shutil.rmtree(folder / ".cache", ignore_errors=True)


def _imports_into_anki(package: Path, collection: Path, expected_notes: int) -> None:
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    col = Collection(str(collection))
    try:
        col.import_anki_package(
            ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions())
        )
        assert col.note_count() == expected_notes
    finally:
        col.close()


def _kill_plan(rng: random.Random, timing: _Timing) -> list[tuple[str, float]]:
    """(phase, delay) for every kill; the write phases are short, so they wait for a sign."""
    write_time = max(timing.total - timing.planned, 0.05)
    plan = [("planning", rng.uniform(0.2, timing.planned)) for _ in range(KILLS_WHILE_PLANNING)]
    plan += [("package", rng.uniform(0, write_time)) for _ in range(KILLS_WHILE_PACKAGING)]
    plan += [("ledger", rng.uniform(0, 0.003)) for _ in range(KILLS_WHILE_WRITING_LEDGER)]
    rng.shuffle(plan)
    return plan


@pytest.mark.slow
def test_killed_builds_leave_the_old_deck_or_the_new_one(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    (tmp_path / "content").mkdir()
    _write_content(tmp_path, version=1)
    _timed_build(tmp_path, epoch=1_000_000)
    old = _State.of(tmp_path)

    _write_content(tmp_path, version=2)
    _forget_cache(tmp_path)
    timing = _timed_build(tmp_path, epoch=2_000_000)
    new = _State.of(tmp_path)
    assert new.package != old.package and new.ledger != old.ledger
    expected_notes = (FILES + 1) * NOTES_PER_FILE
    _imports_into_anki(tmp_path / PACKAGE, tmp_path / "check.anki2", expected_notes)

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    outcomes = []
    for phase, delay in _kill_plan(rng, timing):
        old.restore(tmp_path)
        _forget_cache(tmp_path)
        signs = {
            "planning": lambda: True,
            "package": _appears(tmp_path / "dist", ".build-"),
            "ledger": _appears(tmp_path / "content", ".ledger-"),
        }
        process = _start(tmp_path, epoch=2_000_000)
        killed = _kill_when(process, signs[phase], delay)
        after = _State.of(tmp_path)
        where = f"killed while {phase} after {delay:.3f}s (seed {seed})"
        assert after.package in (old.package, new.package), f"{where}: package is neither"
        assert after.ledger in (old.ledger, new.ledger), f"{where}: ledger is neither"
        json.loads(after.ledger)
        # The ledger is written after the package, so the one mixed state a kill may leave is
        # the new package with the old ledger (the next build repeats the update).
        assert not (after.ledger == new.ledger and after.package == old.package), where
        outcomes.append((phase, killed, after.package == new.package))
    assert sum(killed for _, killed, _ in outcomes) >= len(outcomes) // 2, outcomes

    # Whatever the kills left behind (the last one's cache too), the next build finishes and
    # gives the same new deck.
    old.restore(tmp_path)
    assert _timed_build(tmp_path, epoch=2_000_000).total > 0
    assert _State.of(tmp_path) == new


def test_stale_temporary_files_are_cleaned_up(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("## What is left over?\n\nNothing.\n")
    scratch = tmp_path / "dist" / ".build-killed"
    scratch.mkdir(parents=True)
    (scratch / "collection.anki2").write_bytes(b"half a database")
    ledger_temp = tmp_path / "content" / ".ledger-killed"
    ledger_temp.write_text('{"half": ')
    fresh = tmp_path / "dist" / ".build-running-now"  # may belong to a build running now
    fresh.mkdir()
    long_ago = time.time() - 2 * HOUR
    for path in (scratch / "collection.anki2", scratch, ledger_temp):
        os.utime(path, (long_ago, long_ago))
    _timed_build(tmp_path, epoch=1_000_000)
    assert not scratch.exists() and not ledger_temp.exists()
    assert fresh.exists()


@pytest.mark.parametrize("leftover", [".build-x/collection.anki2", ".ledger-x"])
def test_leftovers_do_not_disturb_a_build(tmp_path: Path, leftover: str) -> None:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("## What is left over?\n\nNothing.\n")
    folder = tmp_path / ("dist" if leftover.startswith(".build") else "content")
    (folder / leftover).parent.mkdir(parents=True, exist_ok=True)
    (folder / leftover).write_bytes(b"\0garbage")
    _timed_build(tmp_path, epoch=1_000_000)
    json.loads((tmp_path / LEDGER).read_text())
