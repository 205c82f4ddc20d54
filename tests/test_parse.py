"""Parser cases as fixture files: tests/fixtures/parse/NAME.md in, NAME.json expected out.

Regenerate on purpose with `pytest tests/test_parse.py --update-fixtures`, then read the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deckbuilder.discover import SourceFile, decode_source
from deckbuilder.parse import SourceNote, parse_file

from .conftest import FIXTURES

CASES = sorted((FIXTURES / "parse").glob("*.md"))


def _note(note: SourceNote) -> dict[str, object]:
    return {
        "line": note.line,
        "key": note.key,
        "question": note.question,
        "detail": note.detail,
        "detail_line": note.detail_line,
        "answer": note.answer,
        "answer_line": note.answer_line,
        "topic": note.topic,
        "tags": list(note.tags),
        "kind": note.kind,
        "options": list(note.options),
        "deck": note.deck,
    }


def _parse(path: Path, data: bytes | None = None) -> dict[str, object]:
    text = decode_source(path.read_bytes() if data is None else data, path.name)
    assert isinstance(text, str)
    parsed = parse_file(SourceFile(path=path, display=path.name, text=text))
    return {
        "notes": [_note(n) for n in parsed.notes],
        "diagnostics": [str(d) for d in parsed.diagnostics],
    }


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_fixture(case: Path, update_fixtures: bool) -> None:
    expected_file = case.with_suffix(".json")
    actual = _parse(case)
    if update_fixtures:
        expected_file.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert actual == json.loads(expected_file.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_crlf_and_bom_give_identical_notes(case: Path) -> None:
    data = case.read_bytes().replace(b"\r\n", b"\n")
    crlf_bom = b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")
    assert _parse(case, crlf_bom) == _parse(case, data)


def test_every_rule_has_a_fixture() -> None:
    # Guards against an empty glob making the fixture tests vacuous.
    assert {p.stem for p in CASES} >= {
        "seed-prefixed",
        "seed-question-marks",
        "prefixes",
        "markers",
        "tags",
        "keys",
        "unanswered",
        "attributes",
        "cloze",
        "cloze-file",
        "card-defaults",
        "bad-cards",
        "bad-deck",
    }
