"""One vault note to card records: which notes have cards, their decks, tags and text.

- A note has cards when one of its tags is a flashcard tag (front matter `tags:` or inline,
  outside code and comments), as the plugin's `NoteQuestionParser.createQuestionList`;
  with `convertFoldersToDecks`, also when it sits in a folder. Notes in `noteFoldersToIgnore`
  have none. Other notes give nothing, not even diagnostics.
- Deck (`NoteQuestionParser.determineQuestionTopicPathList`): the folder path with
  `convertFoldersToDecks`; else a flashcard tag at the very start of the card's text; else
  the flashcard tags of the last line before the card that has some (outside cards); else
  those of the front matter; else those of the first such line after the card. `#flashcards`
  itself is the root deck "", `#flashcards/a/b` the deck `a::b`.
- Tags: the front matter's tags and the inline tags on the card's lines, flashcard tags left
  out, `a/b` written `a::b`. Inline tags are taken out of the card text.
"""

from __future__ import annotations

import posixpath
import textwrap
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..diagnostics import Diagnostic, warning
from .cards import CardSpan, cloze_pattern, find_cards
from .cloze import clozes
from .convert import Converter, Piece
from .index import VaultIndex
from .lines import NoteLine, ScannedNote, scan_note
from .settings import VaultSettings
from .tags import anki_tag, deck_of, front_matter_tags, inline_tags, leading_tag, remove_span


@dataclass(frozen=True, slots=True)
class VaultCard:
    kind: Literal["qa", "cloze"]
    reverse: bool  # the plugin makes a second card, back to front (`:::`, `??`)
    front: str  # CommonMark; a cloze card's text with {{c1::...}} markers
    back: str  # "" for cloze cards
    line: int  # 1-based first line of the card in its file
    back_line: int  # 1-based line where `back` starts (`line` for cloze cards)
    tags: tuple[str, ...]  # Anki style: `a::b`, no `#`
    deck: str  # `sub::deeper` below the flashcard tag, "" for its root


@dataclass(frozen=True, slots=True)
class VaultNote:
    cards: tuple[VaultCard, ...]
    media: tuple[Path, ...]  # attachments the cards show, as real paths
    diagnostics: tuple[Diagnostic, ...]


_NO_CARDS = VaultNote((), (), ())


@dataclass(frozen=True, slots=True)
class _Decks:
    """The note's deck tags: of its front matter, and line by line (0-based index)."""

    front_matter: tuple[str, ...]
    lines: tuple[tuple[int, tuple[str, ...]], ...]
    folder: str | None  # with convertFoldersToDecks: the note's folder as a deck, else None

    def of(self, start: int, leading: str | None) -> tuple[str, ...]:
        if self.folder is not None:
            return (self.folder,)
        if leading is not None:
            return (leading,)
        before = bisect_left(self.lines, start, key=lambda entry: entry[0])
        if before:
            return self.lines[before - 1][1]
        if self.front_matter:
            return self.front_matter
        return self.lines[0][1] if self.lines else ("",)


@dataclass(frozen=True, slots=True)
class _Note:
    """What each card of a note is made with."""

    lines: Sequence[NoteLine]
    decks: _Decks
    tags: tuple[str, ...]  # the front matter's card tags
    settings: VaultSettings
    converter: Converter
    diagnostics: list[Diagnostic]

    def warn(self, line: int, message: str) -> None:
        self.diagnostics.append(warning(self.converter.display, line, message))


@dataclass(frozen=True, slots=True)
class _Sides:
    front: list[Piece]
    back: list[Piece]
    back_line: int


def parse_vault_note(
    text: str, path: Path, display: str, index: VaultIndex, settings: VaultSettings
) -> VaultNote:
    """The cards of one note, with located diagnostics. Pure: reads other notes of the vault
    only when a card embeds them."""
    vault_path = index.vault_path(path) or path.name
    if settings.is_ignored(vault_path):
        return _NO_CARDS
    scanned = scan_note(text)
    names, front_matter_read = front_matter_tags(scanned.front_matter)
    decks = _decks(scanned.lines, names, vault_path, settings)
    if not (decks.front_matter or decks.lines or decks.folder):
        return _unread_front_matter(scanned, display, settings, front_matter_read)
    found = find_cards(scanned.lines, settings)
    decks = _Decks(decks.front_matter, _outside(decks.lines, found.spans), decks.folder)
    converter = Converter(index, vault_path, display)
    diagnostics = [warning(display, line, message) for line, message in scanned.problems]
    diagnostics += [warning(display, line, message) for line, message in found.problems]
    if not front_matter_read:
        diagnostics.append(_front_matter_warning(display))
    note_tags = tuple(anki_tag(name) for name in names if deck_of(name, settings) is None)
    note = _Note(scanned.lines, decks, note_tags, settings, converter, diagnostics)
    cards = [card for card in (_card(span, note) for span in found.spans) if card is not None]
    diagnostics += list(converter.diagnostics)
    diagnostics.sort(key=lambda d: d.line or 0)
    return VaultNote(tuple(cards), tuple(converter.media), tuple(diagnostics))


def _decks(
    lines: Sequence[NoteLine], names: Sequence[str], vault_path: str, settings: VaultSettings
) -> _Decks:
    front_matter = tuple(d for d in (deck_of(n, settings) for n in names) if d is not None)
    by_line = []
    for index, line in enumerate(lines):
        if line.protected:
            continue
        found = tuple(
            d
            for d in (deck_of(t.name, settings) for t in inline_tags(line.masked))
            if d is not None
        )
        if found:
            by_line.append((index, found))
    folder = posixpath.dirname(vault_path)
    # With convertFoldersToDecks the folder is the deck, tags never are (the vault root: "").
    folder_deck = (
        "::".join(folder.split("/") if folder else []) if settings.folders_to_decks else None
    )
    return _Decks(front_matter, tuple(by_line), folder_deck)


def _outside(
    lines: tuple[tuple[int, tuple[str, ...]], ...], spans: Sequence[CardSpan]
) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """Flashcard tags on a card's own lines are that card's business, not a deck for the
    cards after it (`analyseTagCacheList`: "is not question specific")."""
    inside = {i for span in spans for i in range(span.start, span.end)}
    return tuple(entry for entry in lines if entry[0] not in inside)


def _unread_front_matter(
    scanned: ScannedNote, display: str, settings: VaultSettings, read: bool
) -> VaultNote:
    """A note without flashcard tags gives nothing, unless its tags could not be read at all
    and its front matter mentions one: then it was meant to have cards."""
    mentioned = any(
        tag.removeprefix("#") in (scanned.front_matter or "") for tag in settings.flashcard_tags
    )
    if read or not mentioned:
        return _NO_CARDS
    return VaultNote((), (), (_front_matter_warning(display),))


def _front_matter_warning(display: str) -> Diagnostic:
    return warning(
        display, 1, "front matter is not valid YAML; Obsidian ignores it, so its tags are not read"
    )


def _card(span: CardSpan, note: _Note) -> VaultCard | None:
    sides = _sides(span, note.lines)
    first = note.lines[span.start].number
    leading = _leading_deck(sides.front, note.settings)
    front, front_tags = _without_tags(sides.front, note.settings)
    back, back_tags = _without_tags(sides.back, note.settings)
    deck = note.decks.of(span.start, leading)
    if len(deck) > 1:
        note.warn(first, _several_decks(deck))
    tags = tuple(dict.fromkeys(note.tags + front_tags + back_tags))
    if span.shape == "cloze":
        return _cloze_card(front, first, tags, deck[0], note)
    front_text, back_text = _markdown(note.converter, front), _markdown(note.converter, back)
    if not front_text or not back_text:
        note.warn(
            first, f"card has an empty {'question' if not front_text else 'answer'}; not added"
        )
        return None
    return VaultCard(
        "qa", span.reverse, front_text, back_text, first, sides.back_line, tags, deck[0]
    )


def _sides(span: CardSpan, lines: Sequence[NoteLine]) -> _Sides:
    if span.shape == "single":
        line = lines[span.start]
        cut, after = span.separator, span.separator + len(span.separator_text)
        return _Sides(
            [Piece(line.number, line.text[:cut])],
            [Piece(line.number, line.text[after:])],
            line.number,
        )
    if span.shape == "multi":
        answer = lines[span.separator + 1 : span.end]
        return _Sides(
            _pieces(lines[span.start : span.separator]), _pieces(answer), answer[0].number
        )
    return _Sides(_pieces(lines[span.start : span.end]), [], lines[span.start].number)


def _pieces(lines: Sequence[NoteLine]) -> list[Piece]:
    return [Piece(line.number, line.text, line.protected) for line in lines if not line.transparent]


def _leading_deck(front: Sequence[Piece], settings: VaultSettings) -> str | None:
    """A flashcard tag at the start of the card's text puts that card alone in its deck.
    (The plugin takes any tag there as the card's deck; only flashcard tags are decks here.)"""
    if not front or front[0].protected:
        return None
    tag = leading_tag(front[0].masked)
    return None if tag is None else deck_of(tag.name, settings)


def _without_tags(
    pieces: Sequence[Piece], settings: VaultSettings
) -> tuple[list[Piece], tuple[str, ...]]:
    """The pieces without their inline tags (flashcard tags too: they are decks), and the
    tags that are card tags. A line that held only tags goes."""
    out: list[Piece] = []
    found: list[str] = []
    for piece in pieces:
        if piece.protected:
            out.append(piece)
            continue
        text = piece.text
        for tag in reversed(list(inline_tags(piece.masked))):
            if deck_of(tag.name, settings) is None:
                found.insert(0, anki_tag(tag.name))
            text = remove_span(text, tag.start, tag.end)
        if text.strip() or not piece.text.strip():
            out.append(Piece(piece.number, text))
    return out, tuple(found)


def _cloze_card(
    front: Sequence[Piece], first: int, tags: tuple[str, ...], deck: str, note: _Note
) -> VaultCard | None:
    pattern = cloze_pattern(note.settings)
    assert pattern is not None  # the grammar found a cloze, so some delimiter is on
    clozed = clozes(front, pattern)
    text = _markdown(note.converter, clozed.pieces)
    if not clozed.count or not text:
        return None
    return VaultCard("cloze", False, text, "", first, first, tags, deck)


def _markdown(converter: Converter, pieces: Sequence[Piece]) -> str:
    return textwrap.dedent(converter.convert(pieces)).strip()


def _several_decks(decks: tuple[str, ...]) -> str:
    shown = ", ".join(repr(deck) for deck in decks)
    return f"card is in several decks in the plugin ({shown}); an Anki card is in one: {decks[0]!r}"
