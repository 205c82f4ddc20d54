"""Vault parser cases as small vaults: tests/fixtures/vaults/NAME/ in, NAME.json expected out.

Every note of a fixture vault is parsed with the vault's own plugin settings (or the plugin's
defaults), and its cards, media and diagnostics are compared with the committed JSON.
Regenerate on purpose with `pytest tests/test_vault_fixtures.py --update-fixtures`, then read
the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deckbuilder.vault import VaultCard, VaultIndex, VaultSettings, parse_vault_note, read_settings

from .conftest import FIXTURES

VAULTS = sorted(path for path in (FIXTURES / "vaults").iterdir() if path.is_dir())


def _card(card: VaultCard) -> dict[str, object]:
    return {
        "kind": card.kind,
        "reverse": card.reverse,
        "line": card.line,
        "back_line": card.back_line,
        "deck": card.deck,
        "tags": list(card.tags),
        "front": card.front,
        "back": card.back,
    }


def parse_vault(vault: Path) -> dict[str, object]:
    settings = read_settings(vault)
    assert isinstance(settings, VaultSettings), settings
    index = VaultIndex.scan(vault)
    notes: dict[str, object] = {}
    for name in index.notes():
        path = index.absolute(name)
        note = parse_vault_note(
            path.read_text(encoding="utf-8"), path, f"vault/{name}", index, settings
        )
        notes[name] = {
            "cards": [_card(card) for card in note.cards],
            "media": [media.relative_to(index.root).as_posix() for media in note.media],
            "diagnostics": [str(d) for d in note.diagnostics],
        }
    return notes


@pytest.mark.parametrize("vault", VAULTS, ids=lambda p: p.name)
def test_fixture_vault(vault: Path, update_fixtures: bool) -> None:
    expected_file = vault.with_suffix(".json")
    actual = parse_vault(vault)
    if update_fixtures:
        expected_file.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert actual == json.loads(expected_file.read_text(encoding="utf-8"))


@pytest.mark.parametrize("vault", VAULTS, ids=lambda p: p.name)
def test_media_are_real_files(vault: Path) -> None:
    settings = read_settings(vault)
    assert isinstance(settings, VaultSettings)
    index = VaultIndex.scan(vault)
    for name in index.notes():
        path = index.absolute(name)
        note = parse_vault_note(path.read_text(encoding="utf-8"), path, name, index, settings)
        assert all(media.is_file() for media in note.media)
