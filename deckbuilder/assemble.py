"""Rendered notes and the ledger to the package: fields by kind, cards, IDs, decks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape, unescape
from pathlib import Path

from .config import DeckConfig
from .decks import full_name, with_parents
from .fingerprint import content_hash
from .identity import card_ids, note_ids, stable_id
from .kinds import KINDS, NoteParts
from .ledger import CurrentNote, Entry, Reconciled, removal_notice
from .notetype import NoteType
from .package import (
    Package,
    PackageCard,
    PackageDeck,
    PackageMedia,
    PackageNote,
    PackageNoteType,
)
from .render import RenderedNote
from .sanitise import inert, plain_field

# Reserved (build.py refuses content tags at or below it), so `tag:build-deck::removed` in
# Anki's browser finds removed notes and nothing else.
REMOVED_TAG = "build-deck::removed"


@lru_cache(maxsize=4096)  # a file's notes share its path: compute it once, not per note
def relative_file(path: Path, content_dir: Path) -> str:
    # The same from any working directory, and in any Unicode form the file system uses.
    return unicodedata.normalize("NFC", path.relative_to(content_dir).as_posix())


@dataclass(frozen=True, slots=True)
class NoteFields:
    """A rendered note as its note type's field values, and what the ledger keeps of it."""

    rendered: RenderedNote
    fields: tuple[str, ...]
    current: CurrentNote


def note_fields(rendered: RenderedNote, content_dir: Path) -> NoteFields:
    note = rendered.note
    kind = KINDS[note.kind]
    file = relative_file(note.path, content_dir)
    parts = NoteParts(
        title=rendered.question,
        front=rendered.detail,
        back=rendered.answer,
        topic=plain_field(note.topic),
        source=plain_field(f"{file}:{note.line}"),
        key=plain_field(note.key),
        options=note.options,
    )
    fields = kind.field_values(parts)
    named = dict(zip(kind.fields, fields, strict=True))
    # The line number is left out: adding a question above must not "change" every note below.
    content = content_hash(
        kind.name, *(value for name, value in named.items() if name != "Source"), file, *note.tags
    )
    current = CurrentNote(
        key=note.key,
        kind=kind.name,
        question=rendered.question,
        tags=note.tags,
        file=file,
        deck=note.deck,
        content=content,
        answer=content_hash(named[kind.identity_field]),
        location=note.location,
        answer_size=len(unescape(re.sub(r"<[^>]*>", "", named[kind.identity_field])).strip()),
    )
    return NoteFields(rendered, fields, current)


def note_type_id(namespace: str, kind: str) -> int:
    return stable_id("notetype", f"{namespace}\x1f{kind}")


def deck_id(namespace: str, deck: str) -> int:
    """The deck's own ID comes from the namespace alone; a subdeck's from its path too."""
    return stable_id("deck", f"{namespace}\x1f{deck}" if deck else namespace)


def _removed_fields(entry: Entry) -> tuple[str, ...]:
    # The notice goes where the note's cards would show it; with no cards, none are made.
    kind = KINDS[entry.kind]
    notice = removal_notice()
    parts = NoteParts(
        title=inert(entry.question),
        front=notice if kind.is_cloze else "",
        back="" if kind.is_cloze else notice,
        topic="",
        source="",
        key=plain_field(entry.key),
        options=(),
    )
    return kind.field_values(parts)


def _decks(config: DeckConfig, used: set[str]) -> tuple[PackageDeck, ...]:
    subdecks = [deck for deck in with_parents(used) if deck]
    # Anki desktop shows a deck's description as HTML: it is plain text here, and stays so.
    root = PackageDeck(deck_id(config.namespace, ""), config.name, escape(config.description))
    return (root, *(
        PackageDeck(deck_id(config.namespace, deck), full_name(config.name, deck), "")
        for deck in subdecks
    ))  # fmt: skip


def assemble(
    notes: Sequence[NoteFields],
    reconciled: Reconciled,
    note_types: dict[str, NoteType],
    config: DeckConfig,
) -> Package:
    """The package: every note with its cards in its deck, and removed notes without cards."""
    entries = reconciled.ledger.entries
    ids = note_ids((entry.guid, entry.created) for entry in entries)
    kinds_of = {kind: note_type_id(config.namespace, kind) for kind in note_types}
    pending: list[tuple[PackageNote, tuple[int, ...]]] = []
    for item in notes:
        note, entry = item.rendered.note, reconciled.by_identity[item.current.identity]
        ords = KINDS[note.kind].cards_of(item.fields)
        package_note = PackageNote(
            entry.guid, ids[entry.guid], kinds_of[note.kind], item.fields, note.tags,
            entry.modified, deck_id(config.namespace, note.deck), (),
        )  # fmt: skip
        pending.append((package_note, ords))
    for entry in entries:
        if entry.removed is not None:
            tags = tuple(dict.fromkeys((*entry.tags, REMOVED_TAG)))
            removed = PackageNote(entry.guid, ids[entry.guid], kinds_of[entry.kind],
                                  _removed_fields(entry), tags, entry.modified,
                                  deck_id(config.namespace, ""), ())  # fmt: skip
            pending.append((removed, ()))
    card_id = card_ids((note.note_id, ords) for note, ords in pending)
    packaged = tuple(
        _with_cards(note, tuple(PackageCard(o, card_id[(note.note_id, o)]) for o in ords))
        for note, ords in pending
    )
    media = {m.name: PackageMedia(m.name, m.source) for i in notes for m in i.rendered.media}
    types = tuple(
        PackageNoteType(kinds_of[kind], note_types[kind],
                        reconciled.ledger.note_type(kind).modified)
        for kind in sorted(note_types)
    )  # fmt: skip
    return Package(
        decks=_decks(config, {item.rendered.note.deck for item in notes}),
        note_types=types,
        notes=packaged,
        media=tuple(media[name] for name in sorted(media)),
    )


def _with_cards(note: PackageNote, cards: tuple[PackageCard, ...]) -> PackageNote:
    return PackageNote(note.guid, note.note_id, note.note_type_id, note.fields, note.tags,
                       note.modified, note.deck_id, cards)  # fmt: skip
