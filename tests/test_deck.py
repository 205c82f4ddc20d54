"""The shipped TensorFlow & Keras deck: every seed question covered, strict build clean."""

from __future__ import annotations

import tomllib
from pathlib import Path

from deckbuilder.build import read_notes

from .conftest import ROOT, SEEDS, build, require_seeds

SEED_MAP = Path(__file__).parent / "seed_map.toml"


def _seed_questions() -> set[tuple[str, str]]:
    notes, problems = read_notes(SEEDS)
    assert not [p for p in problems if p.severity == "error"]
    return {(note.path.name, note.question) for note in notes}


def _content_notes() -> dict[str, object]:
    notes, problems = read_notes(ROOT / "content")
    assert problems == []
    return {note.key: note for note in notes}


def test_every_seed_question_maps_to_answered_notes() -> None:
    require_seeds()
    entries = tomllib.loads(SEED_MAP.read_text(encoding="utf-8"))["seed"]
    mapped = {(e["file"], e["question"]) for e in entries}
    seeds = _seed_questions()
    assert len(seeds) == 28
    assert mapped == seeds, f"unmapped: {seeds - mapped}; unknown: {mapped - seeds}"
    notes = _content_notes()
    for entry in entries:
        assert entry["keys"], entry
        for key in entry["keys"]:
            note = notes.get(f"#{key}")
            assert note is not None, f"{entry['question']!r} maps to missing key {key!r}"
            assert note.answer, f"{key!r} has no answer"  # type: ignore[attr-defined]


def test_every_note_has_an_explicit_key_and_a_topic_tag() -> None:
    for key, note in _content_notes().items():
        assert key.startswith("#"), f"{note.location} has no explicit key"  # type: ignore[attr-defined]
        assert note.tags[0].split("::")[0] in {"tensorflow", "keras"}  # type: ignore[attr-defined]


def test_shipped_deck_builds_strictly_with_enough_notes(tmp_path: Path, capsys) -> None:
    ledger = tmp_path / "ledger.json"
    ledger.write_bytes((ROOT / "content" / "ledger.json").read_bytes())
    code = build(
        "--content", str(ROOT / "content"), "--templates", str(ROOT / "templates"),
        "--out", str(tmp_path), "--ledger", str(ledger), "--strict", "--frozen",
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert "warning" not in err
    notes = int(err.rsplit(": ", 1)[1].split(" notes")[0])
    assert notes >= 28
