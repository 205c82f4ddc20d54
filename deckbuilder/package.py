"""The genanki adapter: the only module that knows genanki, SQLite or the .apkg zip layout."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import sqlite3
import stat
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import genanki  # type: ignore[import-untyped]

from .kinds import KINDS
from .notetype import NoteType

SCRATCH_PREFIX = ".build-"
STALE_AFTER = 3600  # seconds; far longer than any build takes

# Fixed zip entry time: the package's bytes must not depend on when it was built.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class PackageCard:
    ord: int
    card_id: int


@dataclass(frozen=True, slots=True)
class PackageNote:
    """One note exactly as it goes into the package.

    `modified` is when its content last changed (Anki imports it only if newer than its own
    copy). A note without cards (removed notes) updates an existing note in place but gives
    a first-time importer nothing to study.
    """

    guid: str
    note_id: int
    note_type_id: int
    fields: tuple[str, ...]  # in its kind's field order
    tags: tuple[str, ...]
    modified: int
    deck_id: int
    cards: tuple[PackageCard, ...]


@dataclass(frozen=True, slots=True)
class PackageMedia:
    name: str
    source: Path


@dataclass(frozen=True, slots=True)
class PackageDeck:
    deck_id: int
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class PackageNoteType:
    note_type_id: int
    note_type: NoteType
    modified: int  # Anki replaces templates and CSS only when this is newer


@dataclass(frozen=True, slots=True)
class Package:
    decks: tuple[PackageDeck, ...]  # the deck itself first, then its subdecks, parents first
    note_types: tuple[PackageNoteType, ...]
    notes: tuple[PackageNote, ...]
    media: tuple[PackageMedia, ...]


def _genanki_model(item: PackageNoteType) -> genanki.Model:
    kind = KINDS[item.note_type.kind]
    return genanki.Model(
        item.note_type_id,
        item.note_type.name,
        fields=[{"name": name} for name in kind.fields],
        templates=[
            {"name": faces.name, "qfmt": faces.front, "afmt": faces.back}
            for faces in item.note_type.templates
        ],
        css=item.note_type.css,
        model_type=genanki.Model.CLOZE if kind.is_cloze else genanki.Model.FRONT_BACK,
        sort_field_index=kind.sort_field,
    )


# A new card's columns after its mod and usn: type, queue, due, interval, ease, reviews,
# lapses, left, original due, original deck, flags (all 0: new, never studied) and data.
_NEW_CARD = (0,) * 11 + ("",)
_Row = tuple[object, ...]


def _note_rows(notes: Sequence[PackageNote], sort_fields: dict[int, int]) -> Iterator[_Row]:
    for note in notes:
        tags, fields = f" {' '.join(note.tags)} ", "\x1f".join(note.fields)
        sort_field = note.fields[sort_fields[note.note_type_id]]
        yield (note.note_id, note.guid, note.note_type_id, note.modified, -1, tags, fields,
               sort_field, 0, 0, "")  # fmt: skip


def _card_rows(notes: Sequence[PackageNote]) -> Iterator[_Row]:
    for note in notes:
        for card in note.cards:
            yield (card.card_id, note.note_id, note.deck_id, card.ord, note.modified, -1,
                   *_NEW_CARD)  # fmt: skip


def _row_id(row: _Row) -> int:
    return int(str(row[0]))


def _write_notes(cursor: sqlite3.Cursor, package: Package) -> None:
    """Notes and cards with genanki's columns, each with its own ID and modification time.

    genanki gives every row one build time and IDs from a counter, and writes one row per
    call; here the rows stream to SQLite in bulk.
    """
    # In ID order: each row then lands at the end of its table and indexes. In any other order
    # SQLite rewrites pages all over a file larger than its cache (100,000 notes: 10x slower).
    notes = sorted(package.notes, key=lambda note: note.note_id)
    sort_fields = {t.note_type_id: KINDS[t.note_type.kind].sort_field for t in package.note_types}
    note_rows = _note_rows(notes, sort_fields)
    cursor.executemany(f"INSERT INTO notes VALUES({','.join('?' * 11)})", note_rows)
    cards = sorted(_card_rows(notes), key=_row_id)
    cursor.executemany(f"INSERT INTO cards VALUES({','.join('?' * 18)})", cards)


def _write_collection(package: Package, db_path: Path) -> None:
    connection = sqlite3.connect(db_path)
    try:
        # A scratch file, zipped and thrown away: nothing to roll back to or to keep durable.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        cursor = connection.cursor()
        decks = [genanki.Deck(d.deck_id, d.name, d.description) for d in package.decks]
        for item in package.note_types:
            decks[0].add_model(_genanki_model(item))  # the deck itself is their default deck
        # The collection, decks and note types; the notes follow, in bulk.
        genanki.Package(decks).write_to_db(cursor, 0, itertools.count(1))
        _date_note_types(cursor, package)
        _write_notes(cursor, package)
        connection.commit()
        connection.execute("VACUUM")  # compact, and the same bytes for the same rows
    finally:
        connection.close()


def _date_note_types(cursor: sqlite3.Cursor, package: Package) -> None:
    """Each note type's own modification time (genanki gives them all one)."""
    (models_json,) = cursor.execute("SELECT models FROM col").fetchone()
    models = json.loads(models_json)
    for item in package.note_types:
        models[str(item.note_type_id)]["mod"] = item.modified
    cursor.execute("UPDATE col SET models = ?", (json.dumps(models, sort_keys=True),))


def _zip_entry(name: str, stored: bool = False) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _write_entry(archive: zipfile.ZipFile, name: str, source: Path, stored: bool) -> None:
    """As `writestr(name, source.read_bytes())` writes it, byte for byte, without holding the
    whole file in memory (the collection of a large deck is hundreds of megabytes)."""
    info = _zip_entry(name, stored)
    info.file_size = source.stat().st_size  # what writestr sets: the same header
    with archive.open(info, "w") as entry, source.open("rb") as data:
        shutil.copyfileobj(data, entry, 1 << 20)


def _write_zip(package: Package, db_path: Path, target: Path, stored: bool) -> None:
    media: Sequence[PackageMedia] = sorted(package.media, key=lambda m: m.name)
    with zipfile.ZipFile(target, "w") as archive:
        _write_entry(archive, "collection.anki2", db_path, stored)
        index = {str(i): item.name for i, item in enumerate(media)}
        archive.writestr(_zip_entry("media"), json.dumps(index, sort_keys=True))
        for i, item in enumerate(media):
            archive.writestr(_zip_entry(str(i)), item.source.read_bytes())


def remove_stale_scratch(folder: Path) -> None:
    # A killed build leaves its scratch folder behind. A young one may belong to a build
    # running right now, so only those untouched for STALE_AFTER seconds go.
    cutoff = time.time() - STALE_AFTER
    for scratch in folder.glob(f"{SCRATCH_PREFIX}*"):
        with contextlib.suppress(OSError):
            info = scratch.lstat()  # lstat: a link is never followed into someone else's files
            if stat.S_ISDIR(info.st_mode) and info.st_mtime < cutoff:
                shutil.rmtree(scratch, ignore_errors=True)


def write_package_file(package: Package, scratch: Path, name: str, stored: bool = False) -> Path:
    """Write the .apkg into the scratch folder `scratch`; the caller renames it into place.

    `stored`: the collection goes into the zip uncompressed (much faster, several times
    larger; Anki reads both).
    """
    db_path = scratch / "collection.anki2"
    _write_collection(package, db_path)
    target = scratch / name
    _write_zip(package, db_path, target, stored)
    db_path.unlink()
    with open(target, "rb") as handle:
        os.fsync(handle.fileno())
    return target


def write_package(package: Package, out_file: Path) -> None:
    """Write the .apkg atomically: a temporary file in the same folder, then a rename.

    An interrupted build leaves at most a stray temporary folder (removed by a later build
    once stale), never a truncated package.
    """
    out_file.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_scratch(out_file.parent)
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=out_file.parent) as scratch:
        os.replace(write_package_file(package, Path(scratch), out_file.name), out_file)
