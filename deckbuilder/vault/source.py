"""A vault's cards as the pipeline's source notes: the same rendering, identity and ledger.

Identity, as for every other note, comes from the card's text: a Q&A card's key is its front
as written (images and math included, so two cards asking "What does this symbol mean?" of
two pictures are two notes), a cloze card's key is its text without the markers (so hiding
other words keeps the note). Nothing is written into the vault: no IDs, no ledger.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt

from ..diagnostics import Diagnostic, warning
from ..discover import SourceFile
from ..headings import normalise_key
from ..kinds import CLOZE, QA, REVERSE
from ..parse import ParsedFile, SourceNote
from .index import VaultIndex
from .note import VaultCard, parse_vault_note
from .settings import VaultSettings, read_settings

ORIGIN = "vault"
_MARKER = re.compile(r"\{\{c\d+::|\}\}", re.IGNORECASE)


@cache
def _blocks() -> MarkdownIt:
    return MarkdownIt("commonmark")


def _is_one_line(front: str) -> bool:
    """Whether a card's front reads as a question line (shown large) rather than a block."""
    tokens = _blocks().parse(front)
    if [token.type for token in tokens] != ["paragraph_open", "inline", "paragraph_close"]:
        return False
    return "\n" not in front.strip() and all(
        child.type != "image" for child in tokens[1].children or ()
    )


def _note(card: VaultCard, source: SourceFile) -> SourceNote:
    kind: str
    options: tuple[str, ...]
    if card.kind == CLOZE:
        key, question, detail, kind, options = (
            normalise_key(_MARKER.sub("", card.front)),
            "",
            card.front,
            CLOZE,
            (),
        )
    else:
        front = card.front.strip()
        one_line = _is_one_line(front)  # shown as the question; a block goes below it
        key, question, detail = (
            normalise_key(front),
            front if one_line else "",
            ("" if one_line else front),
        )
        kind, options = QA, (REVERSE,) if card.reverse else ()
    return SourceNote(
        key=key, question=question, detail=detail, answer=card.back, topic=source.path.stem,
        tags=card.tags, path=source.path, display=source.display, line=card.line,
        detail_line=card.line, answer_line=card.back_line, kind=kind, options=options,
        deck=card.deck, origin=ORIGIN,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class VaultRead:
    parsed: list[ParsedFile]
    problems: list[Diagnostic]


def _vault_path(source: SourceFile, vault: Path) -> str:
    return source.path.relative_to(vault).as_posix()


def read_vault(vault: Path, sources: Sequence[SourceFile]) -> VaultRead:
    """Every flashcard note of the vault as parsed files; the others give nothing."""
    settings = read_settings(vault)
    if isinstance(settings, Diagnostic):
        return VaultRead([], [settings])
    index = VaultIndex.scan(vault)
    parsed = [_read_note(source, vault, index, settings) for source in sources]
    return _told_apart([found for found in parsed if found is not None])


def _read_note(
    source: SourceFile, vault: Path, index: VaultIndex, settings: VaultSettings
) -> ParsedFile | None:
    if settings.is_ignored(_vault_path(source, vault)):
        return None
    note = parse_vault_note(source.text, source.path, source.display, index, settings)
    return ParsedFile(tuple(_note(card, source) for card in note.cards), note.diagnostics)


def _told_apart(parsed: list[ParsedFile]) -> VaultRead:
    """The plugin shows a card written twice twice: both are kept, the later one with its
    place among equals in its key, and a warning (reword one to tell them apart for good)."""
    first: dict[str, SourceNote] = {}
    copies: Counter[str] = Counter()
    problems: list[Diagnostic] = []
    result = []
    for found in parsed:
        notes = []
        for note in found.notes:
            seen = first.setdefault(note.key, note)
            if seen is not note:
                copies[note.key] += 1
                message = f"the same card as {seen.location}; both are kept"
                problems.append(warning(note.display, note.line, message))
                note = replace(note, key=f"{note.key} ({copies[note.key] + 1})")
                first[note.key] = note
            notes.append(note)
        result.append(ParsedFile(tuple(notes), found.diagnostics))
    return VaultRead(result, problems)
