"""A small golden deck: the package's notes, cards, decks and note types as readable JSON.

Any change to what a build writes shows up here as a diff of tests/fixtures/golden/deck.json.
Regenerate it on purpose with `pytest tests/test_golden.py --update-fixtures`, then read the
diff: GUIDs, kinds, decks and card ordinals must only change when that is the point.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from .conftest import FIXTURES, build, write

GOLDEN = FIXTURES / "golden" / "deck.json"
EPOCH = "1750000000"


def _note_type(model: dict[str, Any]) -> dict[str, object]:
    return {
        "name": model["name"],
        "id": model["id"],
        "cloze": model["type"] == 1,
        "modified": model["mod"],
        "fields": [field["name"] for field in model["flds"]],
        "templates": [template["name"] for template in model["tmpls"]],
    }


def _dump(package: Path, scratch: Path) -> dict[str, object]:
    with zipfile.ZipFile(package) as archive:
        (scratch / "c.db").write_bytes(archive.read("collection.anki2"))
        media = json.loads(archive.read("media"))
    with closing(sqlite3.connect(scratch / "c.db")) as db:
        (models_json, decks_json) = db.execute("SELECT models, decks FROM col").fetchone()
        models, decks = json.loads(models_json), json.loads(decks_json)
        cards: dict[int, list[dict[str, object]]] = {}
        for note_id, ord_, card_id, deck in db.execute(
            "SELECT nid, ord, id, did FROM cards ORDER BY nid, ord"
        ):
            cards.setdefault(note_id, []).append(
                {"ord": ord_, "id": card_id, "deck": decks[str(deck)]["name"]}
            )
        notes = []
        for note_id, guid, mid, mod, tags, flds in db.execute(
            "SELECT id, guid, mid, mod, tags, flds FROM notes ORDER BY id"
        ):
            model = models[str(mid)]
            names = [field["name"] for field in model["flds"]]
            notes.append({
                "guid": guid, "id": note_id, "note_type": model["name"], "modified": mod,
                "tags": tags.split(), "fields": dict(zip(names, flds.split("\x1f"), strict=True)),
                "cards": cards.get(note_id, []),
            })  # fmt: skip
    return {
        "note_types": sorted((_note_type(model) for model in models.values()), key=str),
        "decks": sorted([d["name"], d["id"]] for d in decks.values()),
        "media": sorted(media.values()),
        "notes": notes,
    }


def test_the_golden_deck(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, update_fixtures: bool
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    shutil.copytree(FIXTURES / "kinds" / "content", in_tmp / "content", dirs_exist_ok=True)
    write(in_tmp / "pyproject.toml", '[tool.build-deck.decks]\nlayers = "Layers"\n')
    assert build("--no-preview", "--no-cache") == 0
    actual = _dump(in_tmp / "dist" / "markdown-flashcards.apkg", in_tmp)
    if update_fixtures:
        GOLDEN.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert actual == json.loads(GOLDEN.read_text(encoding="utf-8"))
