"""Obsidian vaults built into decks and imported into real Anki, the vault left untouched.

The real vault is read where it lies (`../shared/vaults/`); the hand-made fixture vaults
(tests/fixtures/vaults/, one per rule, with the card records the vault parser must find in
NAME.json) are each built and imported, and every card record is found again in Anki.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

from .conftest import FIXTURES, ROOT, build, write

REAL = ROOT.parent / "shared" / "vaults" / "software-flashcards"
FIXTURE_VAULTS = sorted(path for path in (FIXTURES / "vaults").iterdir() if path.is_dir())
_CLOZE = re.compile(r"\{\{c(\d+)::")


def _tree(folder: Path) -> dict[str, str]:
    """Every file below `folder` (hidden ones too) with its SHA-256: what "untouched" means."""
    found = {}
    for base, _, names in os.walk(folder):
        for name in names:
            path = Path(base) / name
            found[path.relative_to(folder).as_posix()] = hashlib.sha256(
                path.read_bytes()
            ).hexdigest()
    return found


def _notes(package: Path, collection: Path) -> dict[str, dict[str, object]]:
    """By `Source` (file:line): each note's kind, deck, tags, fields and cards, as Anki has it."""
    col = Collection(str(collection))
    try:
        col.import_anki_package(
            ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions())
        )
        notes = {}
        for note_id in col.find_notes(""):
            note = col.get_note(note_id)
            cards = note.cards()
            notes[note["Source"]] = {
                "kind": "cloze" if note.note_type()["type"] == 1 else "qa",  # type: ignore[index]
                "deck": col.decks.name(cards[0].did) if cards else None,
                "tags": sorted(note.tags),
                "fields": dict(note.items()),
                "cards": [(card.question(), card.answer()) for card in cards],
            }
        return notes
    finally:
        col.close()


@pytest.fixture(scope="module")
def real_vault(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, dict[str, dict[str, object]], Path]]:
    if not REAL.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{REAL} is missing: CI must have ../shared beside the checkout")
        pytest.skip("../shared/vaults is not beside the checkout")
    work = tmp_path_factory.mktemp("real-vault")
    shutil.copytree(ROOT / "templates", work / "templates")
    before = _tree(REAL)
    code, said = _build_in(work, "--content", str(REAL))
    assert code == 0, said
    assert _tree(REAL) == before  # not a byte written into the vault
    (package,) = (work / "dist").glob("*.apkg")
    yield said, _notes(package, work / "c.anki2"), work


def _build_in(folder: Path, *args: str) -> tuple[int, str]:
    """A build run from `folder`, and what it said."""
    cwd, said = os.getcwd(), io.StringIO()
    os.chdir(folder)
    try:
        with contextlib.redirect_stderr(said):
            code = build(*args)
    finally:
        os.chdir(cwd)
    return code, said.getvalue()


def test_the_real_vault_builds_with_its_counts(real_vault) -> None:  # type: ignore[no-untyped-def]
    said, notes, work = real_vault
    assert "notes: 288 new" in said
    assert re.search(
        r"wrote dist/software-flashcards\.apkg: 288 notes, 288 cards, 1 tags, 5 media files", said
    )
    assert sum(len(note["cards"]) for note in notes.values()) == 288  # type: ignore[arg-type]
    assert {tag for note in notes.values() for tag in note["tags"]} == {"softwaredd"}  # type: ignore[attr-defined]
    assert {note["kind"] for note in notes.values()} == {"qa"}
    assert (work / "dist" / "software-flashcards.ledger.json").is_file()  # beside the package


def test_the_real_vaults_broken_block_embed_is_reported_where_it_is(real_vault) -> None:  # type: ignore[no-untyped-def]
    said, _, _ = real_vault
    assert re.search(
        r"^\S*software-flashcards/Logic Gates\.md:12: warning: embed !\[\[Circuits#\^15c42b\]\]: "
        r"Circuits\.md has no block \^15c42b", said, re.M,
    )  # fmt: skip
    assert said.count("warning: remote image") == 63  # shown as links, never dropped


def test_real_vault_cards_as_anki_shows_them(real_vault) -> None:  # type: ignore[no-untyped-def]
    _, notes, work = real_vault
    mantissa = notes["IEEE754.md:12"]
    question, answer = mantissa["cards"][0]  # type: ignore[index]
    assert "How many bits in the mantissa of the IEEE754 format?" in question
    assert "<p>23</p>" in answer
    media = {path.name for path in (work / "c.media").iterdir()}  # the collection's media
    with_images = [n for n in notes.values() if "<img" in str(n["cards"])]
    assert with_images, "the attachments are on cards"
    for note in with_images:
        for name in re.findall(r'<img src="([^"]+)"', str(note["cards"])):
            assert name in media  # packaged, imported, found by Anki
    remote = [
        n for n in notes.values() if "Image (online): https://i.imgur.com/" in str(n["cards"])
    ]
    assert remote and all("<img" not in str(n["cards"]) or n in with_images for n in remote)
    maths = [n for n in notes.values() if r"\(" in str(n["cards"])]
    assert maths, "$...$ math reaches Anki's MathJax as \\( \\)"


def test_a_rebuilt_vault_changes_nothing(real_vault) -> None:  # type: ignore[no-untyped-def]
    _, _, work = real_vault
    code, said = _build_in(work, "--content", str(REAL))
    assert code == 0
    assert "notes: 0 new, 0 changed, 288 unchanged" in said


def _expected_cards(card: dict[str, object]) -> int:
    if card["kind"] == "cloze":
        return len(set(_CLOZE.findall(str(card["front"]))))
    return 2 if card["reverse"] else 1


@pytest.mark.parametrize("vault", FIXTURE_VAULTS, ids=lambda path: path.name)
def test_every_fixture_vault_card_reaches_anki(in_tmp: Path, vault: Path) -> None:
    content = in_tmp / "content"
    shutil.rmtree(content)
    shutil.copytree(vault, content)
    (content / ".obsidian").mkdir(exist_ok=True)
    write(in_tmp / "vault.toml", '[tool.build-deck]\nname = "Vault"\nnamespace = "fixture"\n')
    expected = json.loads(vault.with_suffix(".json").read_text(encoding="utf-8"))
    records = [(file, card) for file, note in expected.items() for card in note["cards"]]
    if not records:
        assert build("--config", "vault.toml", "--no-preview") == 1  # no cards: said, not built
        return
    assert build("--config", "vault.toml", "--no-preview") == 0
    notes = _notes(in_tmp / "dist" / "vault.apkg", in_tmp / "c.anki2")
    assert len(notes) == len(records)
    for file, card in records:
        note = notes[f"{file}:{card['line']}"]
        assert note["kind"] == card["kind"], (file, card)
        assert len(note["cards"]) == _expected_cards(card), (file, card)  # type: ignore[arg-type]
        assert note["deck"] == "::".join(part for part in ("Vault", card["deck"]) if part)
        assert note["tags"] == sorted(card["tags"])
