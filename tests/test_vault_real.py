"""The real vault in ../shared/vaults/software-flashcards, read where it lies (never copied).

A vault written for the Spaced Repetition plugin with a custom single-line separator (`;;`),
multi-line cards, attachment embeds, a block embed that points at the wrong note, remote
images and `$` math. CI always has ../shared beside the checkout: there a missing vault fails.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from deckbuilder.vault import (
    VaultCard,
    VaultIndex,
    VaultNote,
    VaultSettings,
    parse_vault_note,
    read_settings,
)

from .conftest import ROOT

VAULT = ROOT.parent / "shared" / "vaults" / "software-flashcards"
ATTACHMENTS = {
    "Context Diagram.jpg",
    "Data Flow Diagram.png",
    "Structure Chart.png",
    "System Flow Chart - Input and Output.png",
    "System Flow Chart.png",
}


def require_vault() -> Path:
    if not VAULT.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{VAULT} is missing: CI must have ../shared beside the checkout")
        pytest.skip("../shared/vaults is not beside the checkout")
    return VAULT


@pytest.fixture(scope="module")
def notes() -> dict[str, VaultNote]:
    vault = require_vault()
    settings = read_settings(vault)
    assert isinstance(settings, VaultSettings)
    index = VaultIndex.scan(vault)
    return {
        name: parse_vault_note(
            index.absolute(name).read_text(encoding="utf-8"),
            index.absolute(name),
            f"vault/{name}",
            index,
            settings,
        )
        for name in index.notes()
    }


def _cards(notes: dict[str, VaultNote]) -> list[VaultCard]:
    return [card for note in notes.values() for card in note.cards]


def _card(notes: dict[str, VaultNote], name: str, line: int) -> VaultCard:
    return next(card for card in notes[name].cards if card.line == line)


def test_settings_are_the_vaults() -> None:
    settings = read_settings(require_vault())
    assert settings == VaultSettings(single_line=";;")


def test_card_counts(notes: dict[str, VaultNote]) -> None:
    cards = _cards(notes)
    single_line = [card for card in cards if card.back_line == card.line]
    assert len(cards) == 288
    assert Counter(card.kind for card in cards) == {"qa": 288}
    assert len(single_line) == 39  # one per `;;` line
    assert len(cards) - len(single_line) == 249  # one per `?` line
    assert not any(card.reverse for card in cards)
    assert sum(1 for note in notes.values() if note.cards) == 27


def test_untagged_notes_give_nothing(notes: dict[str, VaultNote]) -> None:
    for name in ("README.md", "SOURCE.md"):
        assert notes[name] == VaultNote((), (), ())


def test_tags_and_decks(notes: dict[str, VaultNote]) -> None:
    cards = _cards(notes)
    assert {card.tags for card in cards} == {("softwaredd",)}  # `flashcards` is the deck
    assert {card.deck for card in cards} == {""}


def test_attachments_resolve_to_real_files(notes: dict[str, VaultNote]) -> None:
    media = {path for note in notes.values() for path in note.media}
    assert {path.name for path in media} == ATTACHMENTS
    assert all(path.is_file() and path.parent == VAULT / "attachments" for path in media)
    assert {path.name for path in notes["System or Solution Models.md"].media} == ATTACHMENTS


def test_diagnostics(notes: dict[str, VaultNote]) -> None:
    found = [str(d) for note in notes.values() for d in note.diagnostics]
    assert found == [
        "vault/Data Streams.md:53: warning: card starts right below the answer of the card at "
        "line 50, with no blank line: read as a card of its own (the plugin's grammar reads it "
        "as more of that answer)",
        "vault/Data Streams.md:56: warning: card starts right below the answer of the card at "
        "line 53, with no blank line: read as a card of its own (the plugin's grammar reads it "
        "as more of that answer)",
        "vault/Data Streams.md:59: warning: card starts right below the answer of the card at "
        "line 56, with no blank line: read as a card of its own (the plugin's grammar reads it "
        "as more of that answer)",
        "vault/Logic Gates.md:12: warning: embed ![[Circuits#^15c42b]]: Circuits.md has no "
        "block ^15c42b (it is in Table Format.md)",
    ]


def test_a_plain_multi_line_card(notes: dict[str, VaultNote]) -> None:
    card = _card(notes, "IEEE754.md", 7)
    assert (card.front, card.back, card.back_line) == (
        "How many bits in the IEEE754 format?",
        "32",
        9,
    )


def test_math_and_nested_lists_pass_through(notes: dict[str, VaultNote]) -> None:
    card = _card(notes, "IEEE754.md", 22)
    assert card.front == "What are the steps to convert a binary number into the IEEE754 format?"
    assert card.back.startswith("1. Determine the sign of the number.")
    assert "\t- eg. 17.5$_{10}$   -->  10001.1$_{2}$  -->  1.00011x2${^4}$" in card.back
    assert card.back.endswith("M = mantissa without the 1 the beginning.")


def test_attachment_embed_with_a_block_id(notes: dict[str, VaultNote]) -> None:
    card = _card(notes, "System or Solution Models.md", 11)
    assert card.back_line == 13
    assert card.back.splitlines()[0] == "![Context Diagram.jpg](<attachments/Context Diagram.jpg>)"
    assert "^63d7e2" not in card.back


def test_the_broken_block_embed_still_builds(notes: dict[str, VaultNote]) -> None:
    card = _card(notes, "Logic Gates.md", 8)
    assert card.front == "How do you layout a truth table?"
    assert card.back.splitlines() == [
        "Letters for the values with all the possible values below them. eg.",
        "The following columns have the boolean algebra notation for the gate or letters "
        "corresponding to a graph.",
        "Circuits",
    ]


def test_single_line_cards_with_the_custom_separator(notes: dict[str, VaultNote]) -> None:
    card = _card(notes, "Quite Unorganised.md", 19)
    assert (card.front, card.back, card.back_line) == (
        "- [ ] Searching Algorithm 1",
        "Sequential",
        19,
    )
    card = _card(notes, "System or Solution Models.md", 23)
    assert card.back == "A Rectangle"
    assert card.front.startswith("In a [Context Diagram](https://docs.google.com/")


def test_remote_images_stay_as_written(notes: dict[str, VaultNote]) -> None:
    card = _card(notes, "Logic Gates.md", 17)
    assert card.back == "![](https://i.imgur.com/0hwF5lH.png)"


def test_cards_written_without_blank_lines_between_them(notes: dict[str, VaultNote]) -> None:
    lines = [(c.line, c.back_line, c.back) for c in notes["Data Streams.md"].cards[-4:]]
    assert lines == [(50, 52, "1"), (53, 55, "0"), (56, 58, "0"), (59, 61, "1")]


def test_a_missing_vault_skips_here_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(f"{__name__}.VAULT", tmp_path / "no-vault")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_vault()
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception):
        require_vault()
