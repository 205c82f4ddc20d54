"""Broken environments: every fault ends in a message naming the place and a documented exit
code, with nothing half-written left behind and no traceback (unless --traceback asks)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, build, write

DECK = Path("dist") / "markdown-flashcards.apkg"
NOTE = "## What is a tensor?\n\nAn n-dimensional array.\n"


def _leftovers(folder: Path) -> list[str]:
    """Scratch files a failed build could leave: none may be there."""
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.rglob("*") if p.name.startswith((".build-", ".ledger-"))
                  or p.name.endswith(".partial"))  # fmt: skip


@pytest.fixture
def deck(in_tmp: Path) -> Path:
    write(in_tmp / "content" / "a.md", NOTE)
    return in_tmp


def test_an_out_folder_that_is_a_file_is_an_environment_error(deck: Path, capsys) -> None:
    write(deck / "dist", "not a folder")
    assert build() == 3
    err = capsys.readouterr().err
    assert "dist: error: is not a folder; the build stopped" in err
    assert "Traceback" not in err
    assert not (deck / "content" / "ledger.json").exists()  # nothing written


def test_an_out_folder_that_cannot_be_written_is_an_environment_error(deck: Path, capsys) -> None:
    assert build("--out", "/proc/build-deck-cannot-write-here") == 3
    err = capsys.readouterr().err
    assert "/proc/build-deck-cannot-write-here: error: " in err and "Traceback" not in err


def test_traceback_shows_where_when_asked(deck: Path, capsys) -> None:
    write(deck / "dist", "not a folder")
    assert build("--traceback") == 3
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def _limited_build(folder: Path, limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    """A real build with a file-size limit: writes past it fail as on a full disk."""

    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, str(ROOT / "build_deck.py"), "--no-cache", *args], cwd=folder,
        capture_output=True, text=True, preexec_fn=limit_files, timeout=120,
    )  # fmt: skip


def test_a_full_disk_while_writing_leaves_the_old_deck_and_no_scratch(deck: Path) -> None:
    assert build("--no-preview") == 0
    before = (deck / DECK).read_bytes(), (deck / "content" / "ledger.json").read_bytes()
    (deck / "content" / "a.md").write_text(NOTE + "\n## What is a rank?\n\nAxes.\n" * 1)
    result = _limited_build(deck, 20_000, "--no-preview")
    assert result.returncode == 3, result.stderr
    assert "dist/markdown-flashcards.apkg: error: " in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert ((deck / DECK).read_bytes(), (deck / "content" / "ledger.json").read_bytes()) == before
    assert _leftovers(deck) == []


def test_a_preview_that_cannot_be_written_leaves_package_and_ledger_unwritten(deck: Path) -> None:
    result = _limited_build(deck, 60_000)  # the package fits, the preview page does not
    assert result.returncode == 3, result.stderr
    assert not (deck / DECK).exists() and not (deck / "content" / "ledger.json").exists()
    assert not (deck / "dist" / "preview.html").exists() and _leftovers(deck) == []


def test_a_preview_target_that_is_a_folder_stops_the_build_before_it_writes(
    deck: Path, capsys
) -> None:
    (deck / "dist" / "preview.html").mkdir(parents=True)
    assert build() == 3
    err = capsys.readouterr().err
    assert "dist/preview.html: error: is a folder, not a file" in err
    assert not (deck / DECK).exists() and not (deck / "content" / "ledger.json").exists()
    assert _leftovers(deck) == []


@pytest.mark.parametrize("cache", ["a-file", "content"], ids=["cache-is-a-file", "foreign-folder"])
def test_a_cache_that_cannot_be_used_costs_only_speed(deck: Path, capsys, cache: str) -> None:
    write(deck / "a-file", "some file")
    before = sorted(p.name for p in (deck / "content").iterdir())
    assert build("--no-preview", "--cache", cache) == 0
    err = capsys.readouterr().err
    assert f"{cache}: note: not used as a cache" in err
    assert (deck / "a-file").read_text() == "some file"  # neither deleted nor rewritten
    assert "CACHEDIR.TAG" not in {p.name for p in (deck / "content").iterdir()}
    assert sorted(p.name for p in (deck / "content").iterdir()) == sorted([*before, "ledger.json"])


def test_a_cache_folder_of_its_own_is_used_and_tagged(deck: Path) -> None:
    assert build("--no-preview", "--cache", "mine") == 0
    assert (deck / "mine" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172")
    assert (deck / "mine" / "cache.sqlite").is_file()


@pytest.mark.parametrize("value", ["99999999999999999999", "-5", "yesterday", "1.5"])
def test_a_bad_source_date_epoch_is_a_usage_error(
    deck: Path, capsys, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert build("--no-preview") == 2
    assert "error: SOURCE_DATE_EPOCH=" in capsys.readouterr().err


@pytest.mark.parametrize("which", ["--ledger", "--config"])
def test_a_fifo_named_as_an_input_is_refused_not_waited_on(deck: Path, capsys, which: str) -> None:
    os.mkfifo(deck / "pipe")
    code = build("--no-preview", which, "pipe")
    assert code == (1 if which == "--ledger" else 2)
    err = capsys.readouterr().err
    assert "pipe: error: cannot " in err and "not a regular file" in err


def test_a_deck_name_too_long_for_a_file_name_still_builds(deck: Path) -> None:
    write(deck / "pyproject.toml", f'[tool.build-deck]\nname = "{"Tensors " * 60}"\n')
    assert build("--no-preview") == 0
    (package,) = (deck / "dist").glob("*.apkg")
    assert len(package.name.encode()) <= 120 and package.name.startswith("tensors-tensors")


def test_a_file_name_that_is_not_utf8_is_a_located_error(deck: Path, capsys) -> None:
    bad = os.fsencode(deck / "content") + b"/caf\xe9.md"
    with open(bad, "w") as handle:
        handle.write(NOTE.replace("tensor", "rank"))
    for args in (("--no-preview",), ("--check",)):
        assert build(*args) == 1
        err = capsys.readouterr().err
        assert "content/caf\\xe9.md: error: file name is not UTF-8; rename it" in err
        assert "Traceback" not in err


@pytest.mark.slow
def test_two_builds_at_once_both_succeed(deck: Path) -> None:
    for round_ in range(4):
        (deck / "content" / "a.md").write_text(NOTE + f"\n## Round {round_}?\n\nYes, {round_}.\n")
        builds = [
            subprocess.Popen([sys.executable, str(ROOT / "build_deck.py")], cwd=deck,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]  # fmt: skip
        for process in builds:
            _, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
    assert _leftovers(deck) == []
    assert build() == 0  # and what they left behind is a deck that builds again


def test_the_ledger_keeps_its_mode_and_its_symlink(deck: Path) -> None:
    assert build("--no-preview") == 0
    real = deck / "shared-ledger.json"
    (deck / "content" / "ledger.json").rename(real)
    (deck / "content" / "ledger.json").symlink_to(real)
    real.chmod(0o664)
    (deck / "content" / "a.md").write_text(NOTE + "\n## What is a rank?\n\nAxes.\n")
    assert build("--no-preview") == 0
    assert (deck / "content" / "ledger.json").is_symlink()
    assert "what is a rank?" in real.read_text()
    assert real.stat().st_mode & 0o777 == 0o664


def test_a_new_ledger_gets_the_umasks_mode(deck: Path) -> None:
    old = os.umask(0o022)
    try:
        assert build("--no-preview") == 0
    finally:
        os.umask(old)
    assert (deck / "content" / "ledger.json").stat().st_mode & 0o777 == 0o644
