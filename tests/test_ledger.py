"""Reading the ledger: as written (a line at a time), laid out by hand, or damaged."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

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
