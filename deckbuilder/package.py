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

import genanki

from .notetype import FIELDS, NoteType

SCRATCH_PREFIX = ".build-"
STALE_AFTER = 3600  # seconds; far longer than any build takes

# Fixed zip entry time: the package's bytes must not depend on when it was built.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class PackageMedia:
    name: str
    source: Path


@dataclass(frozen=True, slots=True)
class Package:
    deck_id: int
    deck_name: str
    description: str
    note_type_id: int
    note_type: NoteType
    notes: tuple[PackageNote, ...]
    media: tuple[PackageMedia, ...]
    note_type_modified: int  # Anki replaces templates and CSS only when this is newer


def _genanki_model(package: Package) -> genanki.Model:
    return genanki.Model(
        package.note_type_id,
        package.note_type.name,
        fields=[{"name": name} for name in FIELDS],
        templates=[
            {"name": "Card", "qfmt": package.note_type.front, "afmt": package.note_type.back}
        ],
        css=package.note_type.css,
        sort_field_index=0,
    )


# A new card's columns after its mod and usn: type, queue, due, interval, ease, reviews,
# lapses, left, original due, original deck, flags (all 0: new, never studied) and data.
_NEW_CARD = (0,) * 11 + ("",)
_Row = tuple[object, ...]


def _note_rows(notes: Sequence[PackageNote], model: genanki.Model) -> Iterator[_Row]:
    for note in notes:
        tags, fields = f" {' '.join(note.tags)} ", "\x1f".join(note.fields)
        sort_field = note.fields[model.sort_field_index]  # what genanki.Note.sort_field gives
        yield (note.note_id, note.guid, model.model_id, note.modified, -1, tags, fields, sort_field,
               0, 0, "")  # fmt: skip


def _card_rows(notes: Sequence[PackageNote], model: genanki.Model, deck_id: int) -> Iterator[_Row]:
    ords: dict[tuple[bool, ...], list[int]] = {}
    for note in notes:
        if not note.has_card:
            continue
        # genanki decides which cards a note has, from which of its fields are empty: asked
        # once per pattern of empty fields, not once per note.
        filled = tuple(bool(field) for field in note.fields)
        if filled not in ords:
            made = genanki.Note(model=model, fields=list(note.fields), guid=note.guid)
            ords[filled] = [card.ord for card in made.cards]
        for ord_ in ords[filled]:
            yield (note.note_id, note.note_id, deck_id, ord_, note.modified, -1, *_NEW_CARD)


def _write_notes(cursor: sqlite3.Cursor, package: Package, model: genanki.Model) -> None:
    """Notes and cards with genanki's columns, each with its own ID and modification time.

    genanki gives every row one build time and IDs from a counter, and writes one row per
    call; here the rows stream to SQLite in bulk. A card takes its note's ID (a note has one
    card, as Anki numbers them).
    """
    # In ID order: each row then lands at the end of its table and indexes. In any other order
    # SQLite rewrites pages all over a file larger than its cache (100,000 notes: 10x slower).
    notes = sorted(package.notes, key=lambda note: note.note_id)
    cursor.executemany(f"INSERT INTO notes VALUES({','.join('?' * 11)})", _note_rows(notes, model))
    cards = _card_rows(notes, model, package.deck_id)
    cursor.executemany(f"INSERT INTO cards VALUES({','.join('?' * 18)})", cards)


def _write_collection(package: Package, db_path: Path) -> None:
    connection = sqlite3.connect(db_path)
    try:
        # A scratch file, zipped and thrown away: nothing to roll back to or to keep durable.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        cursor = connection.cursor()
        model = _genanki_model(package)
        deck = genanki.Deck(package.deck_id, package.deck_name, package.description)
        deck.add_model(model)
        # The collection, deck and note type; the notes follow, one by one.
        genanki.Package(deck).write_to_db(cursor, package.note_type_modified, itertools.count(1))
        _write_notes(cursor, package, model)
        connection.commit()
        connection.execute("VACUUM")  # compact, and the same bytes for the same rows
    finally:
        connection.close()


def _zip_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _write_entry(archive: zipfile.ZipFile, name: str, source: Path) -> None:
    """As `writestr(name, source.read_bytes())` writes it, byte for byte, without holding the
    whole file in memory (the collection of a large deck is hundreds of megabytes)."""
    info = _zip_entry(name)
    info.file_size = source.stat().st_size  # what writestr sets: the same header
    with archive.open(info, "w") as entry, source.open("rb") as data:
        shutil.copyfileobj(data, entry, 1 << 20)


def _write_zip(package: Package, db_path: Path, target: Path) -> None:
    media: Sequence[PackageMedia] = sorted(package.media, key=lambda m: m.name)
    with zipfile.ZipFile(target, "w") as archive:
        _write_entry(archive, "collection.anki2", db_path)
        index = {str(i): item.name for i, item in enumerate(media)}
        archive.writestr(_zip_entry("media"), json.dumps(index, sort_keys=True))
        for i, item in enumerate(media):
            archive.writestr(_zip_entry(str(i)), item.source.read_bytes())


def _remove_stale_scratch(folder: Path) -> None:
    # A killed build leaves its scratch folder behind. A young one may belong to a build
    # running right now, so only those untouched for STALE_AFTER seconds go.
    cutoff = time.time() - STALE_AFTER
    for scratch in folder.glob(f"{SCRATCH_PREFIX}*"):
        with contextlib.suppress(OSError):
            info = scratch.lstat()  # lstat: a link is never followed into someone else's files
            if stat.S_ISDIR(info.st_mode) and info.st_mtime < cutoff:
                shutil.rmtree(scratch, ignore_errors=True)


def write_package(package: Package, out_file: Path) -> None:
    """Write the .apkg atomically: a temporary file in the same folder, then a rename.

    An interrupted build leaves at most a stray temporary folder (removed by a later build
    once stale), never a truncated package.
    """
    out_file.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_scratch(out_file.parent)
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=out_file.parent) as scratch:
        db_path = Path(scratch) / "collection.anki2"
        _write_collection(package, db_path)
        partial = Path(scratch) / out_file.name
        _write_zip(package, db_path, partial)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, out_file)
