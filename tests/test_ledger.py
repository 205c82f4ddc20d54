"""Reading the ledger: as written (a line at a time), laid out by hand, or damaged."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from deckbuilder.ledger_file import _read_as_written, dumps, read_ledger

from .conftest import build, write

LEDGER = Path("content") / "ledger.json"
NAMESPACE = "Markdown Flashcards"


def _deck(root: Path) -> None:
    write(
        root / "content" / "a.md",
        "## What is a tensor?\n\nAn array.\n\n## What is a rank?\n\nAxes.\n",
    )
    write(root / "content" / "b.md", '## What is "dtype"?\n\nThe element type, e.g. `float32`.\n')
    assert build("--no-preview") == 0


def test_the_written_ledger_is_read_a_line_at_a_time(in_tmp: Path) -> None:
    _deck(in_tmp)
    text = (in_tmp / LEDGER).read_text(encoding="utf-8")
    fast = _read_as_written(io.StringIO(text), NAMESPACE)
    assert fast is not None and len(fast.entries) == 3
    assert dumps(fast) == text
    assert read_ledger(in_tmp / LEDGER, NAMESPACE) == fast


def test_a_ledger_laid_out_by_hand_reads_the_same(in_tmp: Path, capsys) -> None:
    _deck(in_tmp)
    written = (in_tmp / LEDGER).read_text(encoding="utf-8")
    before = read_ledger(in_tmp / LEDGER, NAMESPACE)
    for layout in (
        json.dumps(json.loads(written), indent=4),
        json.dumps(json.loads(written)),
        written.replace("\n", "\r\n"),
        written.replace("},\n    {", "}\n    ,{", 1),
    ):
        (in_tmp / LEDGER).write_text(layout, encoding="utf-8", newline="")
        assert _read_as_written(io.StringIO(layout, newline=""), NAMESPACE) is None
        assert read_ledger(in_tmp / LEDGER, NAMESPACE) == before
        capsys.readouterr()
        assert build("--no-preview") == 0
        assert "0 new, 0 changed, 3 unchanged" in capsys.readouterr().err


def test_a_damaged_ledger_is_a_located_error_not_a_traceback(in_tmp: Path, capsys) -> None:
    _deck(in_tmp)
    written = (in_tmp / LEDGER).read_text(encoding="utf-8")
    lines = written.splitlines(keepends=True)
    for damaged in (
        "".join(lines[:6]),  # cut after the first note
        written.replace('"guid"', '"gid"', 1),
        written.replace("}\n  ]", "},\n  ]"),
    ):
        (in_tmp / LEDGER).write_text(damaged, encoding="utf-8")
        capsys.readouterr()
        assert build("--no-preview") == 1
        err = capsys.readouterr().err
        assert re.search(r"^content/ledger\.json(:\d+)?: error: cannot use the ledger", err, re.M)
        assert "Traceback" not in err


def _edited(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda t: re.sub(r'"guid": "[^"]*"', '"guid": null', t, count=1),
            "content/ledger.json:7: error: cannot use the ledger: a note's 'guid' must be text",
        ),
        (
            lambda t: re.sub(r'"question": "(?:[^"\\]|\\.)*"', '"question": 42', t, count=1),
            "content/ledger.json:7: error: cannot use the ledger: a note's 'question' must be text",
        ),
        (
            lambda t: re.sub(r'"tags": \[[^\]]*\]', '"tags": "oops"', t, count=1),
            "a note's 'tags' must be a list of text",
        ),
        (
            lambda t: re.sub(r'"created": \d+', '"created": "yesterday"', t, count=1),
            "a note's 'created' must be whole seconds",
        ),
        (
            lambda t: re.sub(r'"created": \d+', '"created": true', t, count=1),
            "a note's 'created' must be whole seconds",
        ),
        (
            lambda t: re.sub(r'"kind": "qa"', '"kind": "essay"', t, count=1),
            "unknown note kind 'essay'",
        ),
        (
            lambda t: re.sub(r'"tags": \[', '"tags": ' + "[" * 5000, t, count=1),
            "content/ledger.json",
        ),
        (
            lambda t: t.replace('"deck": ""', '"deck": "", "extra": 1', 1),
            "a note entry has the wrong fields",
        ),
    ],
    ids=[
        "null-guid",
        "number-question",
        "text-tags",
        "text-time",
        "bool-time",
        "unknown-kind",
        "deep",
        "extra-field",
    ],
)
def test_hand_edited_values_of_the_wrong_type_are_located_errors(
    in_tmp: Path, capsys, edit, expected: str
) -> None:
    _deck(in_tmp)
    ledger = in_tmp / LEDGER
    ledger.write_text(edit(ledger.read_text(encoding="utf-8")), encoding="utf-8")
    capsys.readouterr()
    assert build("--no-preview") == 1
    err = capsys.readouterr().err
    assert expected in err and "cannot use the ledger" in err, err
    assert "Traceback" not in err


def test_a_broken_line_is_reported_at_its_own_line(in_tmp: Path, capsys) -> None:
    _deck(in_tmp)
    ledger = in_tmp / LEDGER
    lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[7] = lines[7].replace('"key": ', '"key" ', 1)  # the third note's line
    ledger.write_text("".join(lines), encoding="utf-8")
    capsys.readouterr()
    assert build("--no-preview") == 1
    assert (
        "content/ledger.json:8: error: cannot use the ledger: not valid JSON"
        in capsys.readouterr().err
    )
