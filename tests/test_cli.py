"""The command line as a user meets it: exit codes, located messages, nothing half-written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import build, write

SEED_ANSWERED = "002_354b27e891e42ae1.md"


def _packages(folder: Path) -> list[Path]:
    return sorted(folder.glob("**/*.apkg")) if folder.exists() else []


def test_answered_seed_alone_builds_eight_notes(in_tmp: Path, seeds: Path, capsys) -> None:
    shutil.copy(seeds / SEED_ANSWERED, in_tmp / "content")
    assert build() == 0
    err = capsys.readouterr().err
    assert "dist/markdown-flashcards.apkg: 8 notes" in err
    assert "warning" not in err
    assert _packages(in_tmp / "dist") == [in_tmp / "dist" / "markdown-flashcards.apkg"]


def test_both_seeds_give_eight_notes_and_twenty_located_warnings(
    in_tmp: Path, seeds: Path, capsys
) -> None:
    for seed in seeds.glob("*.md"):
        shutil.copy(seed, in_tmp / "content")
    assert build() == 0
    lines = capsys.readouterr().err.splitlines()
    warnings = [line for line in lines if ": warning: " in line]
    assert len(warnings) == 20
    assert warnings[0] == (
        "content/000_13af96dae135ee68.md:3: warning: question has no answer; not added"
    )
    assert ": 8 notes" in lines[-1]


def test_strict_turns_warnings_into_errors_and_writes_nothing(
    in_tmp: Path, seeds: Path, capsys
) -> None:
    for seed in seeds.glob("*.md"):
        shutil.copy(seed, in_tmp / "content")
    assert build("--strict") == 1
    err = capsys.readouterr().err
    assert err.count(": error: question has no answer") == 20
    assert _packages(in_tmp) == []


def test_check_validates_and_writes_nothing(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "a.md", "## What is checked?\n\nEverything.\n")
    assert build("--check") == 0
    assert "check passed: 1 notes" in capsys.readouterr().err
    assert not (in_tmp / "dist").exists()


def test_every_error_is_reported_in_one_run_and_nothing_is_written(in_tmp: Path, capsys) -> None:
    write(
        in_tmp / "content" / "a.md", "# A\n\n## What is X?\n\nX.\n\n## Q: Pic\n\nA: ![p](no.png)\n"
    )
    write(in_tmp / "content" / "sub" / "b.md", "\n\n## What  is  x?\n\nAlso X.\n")
    (in_tmp / "content" / "bad.md").write_bytes(b"## Q?\n\nfine\n\xff\xfe broken\n")
    (in_tmp / "dist").mkdir()
    previous = write(in_tmp / "dist" / "markdown-flashcards.apkg", "previous package")
    assert build() == 1
    err = capsys.readouterr().err.splitlines()
    assert "content/a.md:9: error: image not found: no.png" in err
    assert "content/bad.md:4: error: invalid UTF-8 at byte offset 12" in err
    duplicate = next(line for line in err if "duplicate" in line)
    assert duplicate.startswith("content/sub/b.md:3: error: duplicate question:")
    assert "content/a.md:3" in duplicate
    assert err[-1] == "build failed: 3 errors; nothing written"
    assert previous.read_text() == "previous package"
    assert sorted(p.name for p in (in_tmp / "dist").iterdir()) == ["markdown-flashcards.apkg"]


def test_duplicate_explicit_keys_name_both_places(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "a.md", "## What is one? {#same}\n\nOne.\n")
    write(in_tmp / "content" / "b.md", "# B\n\n## What is two? {#same}\n\nTwo.\n")
    assert build() == 1
    err = capsys.readouterr().err
    assert "content/b.md:3: error: duplicate key 'same': content/a.md:1 already has it" in err


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "content: error: no questions found in any *.md file"),
        ({"notes.md": "# Just a title\n\nSome prose.\n"}, "content: error: no questions found"),
        ({"a.md": "---\ntopic: [1, 2]\n---\n## Q?\n\nA.\n"}, "content/a.md:2: error: front matter `topic:`"),
        ({"a.md": "---\ntopic: x: y\n---\n## Q?\n\nA.\n"}, "content/a.md:2: error: front matter is not valid YAML"),
        ({"a.md": "---\n- a list\n---\n## Q?\n\nA.\n"}, "content/a.md:1: error: front matter must be a mapping"),
        ({"a.md": "## Question:\n\nA: x\n"}, "content/a.md:1: error: question heading has no question text"),
    ],
)  # fmt: skip
def test_bad_content_is_a_located_error(
    in_tmp: Path, capsys, files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        write(in_tmp / "content" / name, text)
    assert build() == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert _packages(in_tmp) == []


def test_binary_file_is_named(in_tmp: Path, capsys) -> None:
    (in_tmp / "content" / "pic.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    write(in_tmp / "content" / "ok.md", "## Q?\n\nA.\n")
    assert build() == 1
    assert "content/pic.md: error: binary file, not Markdown text" in capsys.readouterr().err


def test_missing_content_folder_and_usage_errors(in_tmp: Path, capsys) -> None:
    assert build("--content", "nowhere") == 1
    assert "nowhere: error: content folder not found" in capsys.readouterr().err
    assert build("--no-such-option") == 2
    assert "usage:" in capsys.readouterr().err


def test_missing_template_is_reported(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "a.md", "## Q?\n\nA.\n")
    (in_tmp / "templates" / "qa-back.html").unlink()
    assert build() == 1
    assert "templates/qa-back.html: error: cannot read template" in capsys.readouterr().err


def test_options_and_configuration(in_tmp: Path, capsys) -> None:
    write(in_tmp / "notes" / "a.md", "## Q?\n\nA.\n")
    write(in_tmp / "pyproject.toml", '[tool.build-deck]\nname = "My Deck"\nnamespace = "mine"\n')
    assert build("--content", "notes", "--out", "out") == 0
    assert (in_tmp / "out" / "my-deck.apkg").is_file()
    write(in_tmp / "pyproject.toml", "[tool.build-deck]\nname = 3\n")
    assert build("--content", "notes") == 2
    assert "[tool.build-deck] name must be a string" in capsys.readouterr().err


def test_build_deck_script_runs_from_a_checkout(tmp_path: Path) -> None:
    import subprocess
    import sys

    from .conftest import ROOT

    result = subprocess.run(
        [sys.executable, str(ROOT / "build_deck.py"), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "check passed" in result.stderr
