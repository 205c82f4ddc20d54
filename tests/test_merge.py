"""Ledgers merged by git: two branches' entries for one note resolve to the note the content has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import build, write
from .test_updates import DAY, DECK, T1, _import

LEDGER = Path("content") / "ledger.json"
BASE = "## What is broadcasting?\n\nStretching size-1 axes so that shapes line up.\n"
# Notes whose ledger lines sit between the ones each branch changes: git merges them cleanly.
PADDING = """
## How many axes has a matrix?

Two.

## What happens on a shape mismatch?

An error.

## Why use float32?

Speed.
"""


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-c", "user.email=ci@example.org", "-c", "user.name=ci", *args],
                          capture_output=True, text=True)  # fmt: skip


@pytest.fixture
def repo(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(T1))
    write(in_tmp / "content" / "a.md", BASE)
    write(in_tmp / "content" / "padding.md", PADDING)
    write(in_tmp / ".gitignore", "dist/\n.cache/\n")
    assert build("--no-preview") == 0
    _git("init", "-q", "-b", "main")
    _git("add", "-A")
    _git("commit", "-qm", "base")
    return in_tmp


def _branch(name: str, text: str, when: int, monkeypatch: pytest.MonkeyPatch) -> None:
    _git("checkout", "-q", "-b", name, "main")
    write(Path("content") / "a.md", text)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(when))
    assert build("--no-preview") == 0
    _git("commit", "-qam", name)


def test_two_branches_rewording_one_question_merge_into_one_note(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    _branch("one", BASE.replace("What is broadcasting?", "What does broadcasting do?"), T1 + DAY,
            monkeypatch)  # fmt: skip
    _branch("two", BASE.replace("What is broadcasting?", "How does broadcasting work?"),
            T1 + 2 * DAY, monkeypatch)  # fmt: skip
    _git("checkout", "-q", "one")
    merged = _git("merge", "-q", "two", "-m", "merge")
    if merged.returncode:  # the Markdown conflicts (one line, two edits): take theirs
        _git("checkout", "--theirs", "content/a.md")
        conflicted = _git("diff", "--name-only", "--diff-filter=U").stdout.split()
        assert conflicted == ["content/a.md"]  # the ledger itself merged without a conflict
        _git("commit", "-qam", "merge")
    assert (repo / LEDGER).read_text().count('"guid"') == 2 + 3  # two names of one note, padding
    capsys.readouterr()
    assert build("--no-preview", "--check") == 0  # --check and the build agree
    assert "share GUID" in capsys.readouterr().err
    assert build("--no-preview") == 0
    err = capsys.readouterr().err
    assert "content/ledger.json: warning: ledger: 'how does broadcasting work?'" in err or (
        "share GUID" in err
    )
    from anki.collection import Collection

    col = Collection(str(repo / "c.anki2"))
    try:
        _import(col, repo / DECK)
        notes = [col.get_note(n) for n in col.find_notes("")]
    finally:
        col.close()
    questions = [n["Question"] for n in notes]
    assert "How does broadcasting work?" in questions and len(questions) == 4  # one note each
    assert build("--no-preview", "--strict") == 0  # the rebuilt ledger has nothing left to fix


def test_the_merge_driver_merges_ledgers_of_branches_that_added_notes(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo / ".gitattributes", "content/ledger.json merge=build-deck-ledger\n")
    _git("config", "merge.build-deck-ledger.driver",
         f"{sys.executable} -m deckbuilder.ledger_merge %O %A %B")  # fmt: skip
    _git("add", "-A")
    _git("commit", "-qm", "driver")
    _branch("one", BASE + "\n## What is a rank?\n\nThe number of axes.\n", T1 + DAY, monkeypatch)
    write(repo / "content" / "b.md", "## What is a dtype?\n\nThe element type.\n")
    _git("checkout", "-q", "-b", "two", "main")
    write(repo / "content" / "b.md", "## What is a dtype?\n\nThe element type.\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(T1 + 2 * DAY))
    assert build("--no-preview") == 0
    _git("add", "-A")
    _git("commit", "-qm", "two")
    _git("checkout", "-q", "one")
    merged = _git("merge", "-q", "two", "-m", "merge")
    assert merged.returncode == 0, merged.stdout + merged.stderr  # no conflict in the ledger
    assert build("--no-preview", "--frozen") == 0  # the merged ledger is the one a build writes


def _entry(key: str, guid: str, modified: int, removed: int | None = None) -> object:
    from deckbuilder.ledger import Entry

    return Entry(key, "qa", guid, key, (), "a.md", "", "c", "a", 1, modified, removed)


def test_a_guid_claimed_by_two_notes_in_the_content_goes_to_the_one_changed_last() -> None:
    from deckbuilder.ledger_merge import resolve

    first, second = _entry("a?", "G", 10), _entry("b?", "G", 20)
    resolved = resolve([first, second], {("qa", "a?"), ("qa", "b?")})  # type: ignore[list-item]
    assert [e.key for e in resolved.entries] == ["b?"]  # a? becomes a new note
    assert "are all in the content" in resolved.messages[0]


def test_one_key_twice_keeps_the_other_guid_as_a_removed_note() -> None:
    from deckbuilder.ledger_merge import resolve

    older, newer = _entry("a?", "G1", 10), _entry("a?", "G2", 20)
    resolved = resolve([older, newer], {("qa", "a?")})  # type: ignore[list-item]
    kept = {e.guid: e for e in resolved.entries}
    assert kept["G2"].key == "a?" and kept["G2"].removed is None
    assert kept["G1"].key == "a? (merged 2)" and kept["G1"].removed == 10
    assert resolve([newer], {("qa", "a?")}).messages == ()  # type: ignore[list-item]
