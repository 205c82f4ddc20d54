"""The genanki adapter: the only module that knows genanki, SQLite or the .apkg zip layout."""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import genanki

from .notetype import FIELDS, NoteType

# Fixed zip entry time: the package's bytes must not depend on when it was built.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class PackageNote:
    """One note exactly as it goes into the package.

    `modified` is when its content last changed (Anki imports it only if newer than its own
    copy). A note without a card (`has_card=False`, used for removed notes) updates an
    existing note in place but gives a first-time importer nothing to study.
    """

    guid: str
    note_id: int
    fields: tuple[str, ...]  # in FIELDS order
    tags: tuple[str, ...]
    modified: int
    has_card: bool = True


@dataclass(frozen=True)
class PackageMedia:
    name: str
    source: Path


@dataclass(frozen=True)
class Package:
    deck_id: int
    deck_name: str
    description: str
    note_type_id: int
    note_type: NoteType
    notes: tuple[PackageNote, ...]
    media: tuple[PackageMedia, ...]
    note_type_modified: int  # Anki replaces templates and CSS only when this is newer


def _genanki_deck(package: Package) -> genanki.Deck:
    model = genanki.Model(
        package.note_type_id,
        package.note_type.name,
        fields=[{"name": name} for name in FIELDS],
        templates=[
            {"name": "Card", "qfmt": package.note_type.front, "afmt": package.note_type.back}
        ],
        css=package.note_type.css,
        sort_field_index=0,
    )
    deck = genanki.Deck(package.deck_id, package.deck_name, package.description)
    deck.add_model(model)
    for note in package.notes:
        deck.add_note(
            genanki.Note(
                model=model, fields=list(note.fields), tags=list(note.tags), guid=note.guid
            )
        )
    return deck


def _own_ids_and_times(cursor: sqlite3.Cursor, notes: Sequence[PackageNote]) -> None:
    """Replace genanki's clock-based IDs and single build time with each note's own.

    genanki numbered rows from 1 (see `_write_collection`), far below real IDs, so renumbering
    can never collide with a row not yet renumbered.
    """
    temporary_ids = dict(cursor.execute("SELECT guid, id FROM notes"))  # one scan, not one per note
    for note in notes:
        temporary = temporary_ids[note.guid]
        cursor.execute(
            "UPDATE notes SET id = ?, mod = ? WHERE id = ?",
            (note.note_id, note.modified, temporary),
        )
        if note.has_card:  # cards.nid is indexed (ix_cards_nid)
            cursor.execute(
                "UPDATE cards SET id = ?, nid = ?, mod = ? WHERE nid = ?",
                (note.note_id, note.note_id, note.modified, temporary),
            )
        else:
            cursor.execute("DELETE FROM cards WHERE nid = ?", (temporary,))


def _write_collection(package: Package, db_path: Path) -> None:
    connection = sqlite3.connect(db_path)
    try:
        cursor = connection.cursor()
        deck = genanki.Package(_genanki_deck(package))
        deck.write_to_db(cursor, package.note_type_modified, itertools.count(1))
        _own_ids_and_times(cursor, package.notes)
        connection.commit()
        connection.execute("VACUUM")  # compact, and the same bytes for the same rows
    finally:
        connection.close()


def _zip_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _write_zip(package: Package, db_path: Path, target: Path) -> None:
    media: Sequence[PackageMedia] = sorted(package.media, key=lambda m: m.name)
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr(_zip_entry("collection.anki2"), db_path.read_bytes())
        index = {str(i): item.name for i, item in enumerate(media)}
        archive.writestr(_zip_entry("media"), json.dumps(index, sort_keys=True))
        for i, item in enumerate(media):
            archive.writestr(_zip_entry(str(i)), item.source.read_bytes())


def write_package(package: Package, out_file: Path) -> None:
    """Write the .apkg atomically: a temporary file in the same folder, then a rename.

    An interrupted build leaves at most a stray temporary file, never a truncated package.
    """
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out_file.parent) as scratch:
        db_path = Path(scratch) / "collection.anki2"
        _write_collection(package, db_path)
        partial = Path(scratch) / out_file.name
        _write_zip(package, db_path, partial)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, out_file)
