"""Who a note is: GUIDs from question keys, fixed IDs from names, duplicate keys.

Anki matches an imported note to an existing one by GUID alone. The GUID therefore comes
only from the deck's namespace and the question key: never the answer (editing an answer
must update the note), never the file or position (moving a note must not duplicate it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic, error
from .kinds import QA

if TYPE_CHECKING:
    from .parse import SourceNote

# Anki's own GUID alphabet (base91 without quotes and backslash, as in anki/utils.py).
_BASE91 = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"
)
_SCHEME = "build-deck/1"


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join((_SCHEME, *parts)).encode("utf-8")).digest()


def note_identity(kind: str, key: str) -> str:
    """What a note's GUID is made from: its key, and its kind unless it is a Q&A note.

    Anki keeps a GUID's note type for good (an import with another one is ignored), so a
    note that changes kind must change GUID; Q&A notes keep the GUIDs they always had.
    """
    return key if kind == QA else f"{kind}\x1f{key}"


def note_guid(namespace: str, key: str) -> str:
    """A 64-bit hash of namespace and key, written the way Anki writes its GUIDs."""
    number = int.from_bytes(_digest("note", namespace, key)[:8], "big")
    chars = []
    while number:
        number, rest = divmod(number, len(_BASE91))
        chars.append(_BASE91[rest])
    return "".join(reversed(chars)) or _BASE91[0]


def stable_id(kind: str, name: str) -> int:
    """A fixed deck or note type ID derived from its name.

    Kept between 2**40 and 2**53 so it is positive, exact in JavaScript (AnkiDroid's and
    Anki's web views) and far above the small IDs Anki reserves (1 is the Default deck).
    """
    number = int.from_bytes(_digest(kind, name)[:8], "big")
    return (1 << 40) + number % ((1 << 53) - (1 << 40))


def note_ids(created: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Anki note IDs, like Anki's own: milliseconds of the note's creation, made unique.

    Derived from the ledger's creation times alone, so the same ledger always gives the same
    IDs, and Anki's browser shows when a note was first added. Anki matches notes by GUID, so
    these matter only to a first import.
    """
    ids: dict[str, int] = {}
    previous = 0
    for guid, seconds in sorted(created, key=lambda item: (item[1], item[0])):
        previous = max(seconds * 1000, previous + 1)
        ids[guid] = previous
    return ids


def card_ids(notes: Iterable[tuple[int, Sequence[int]]]) -> dict[tuple[int, int], int]:
    """A card ID for every (note ID, card ordinal), the same whenever the notes are the same.

    A note's first card takes the note's own ID (Anki's IDs are per table, and most notes have
    one card, so most IDs never move). Its other cards take the next IDs after it that no
    note holds, in order of note and ordinal: adding a card shifts only later extra cards,
    and Anki's importer matches a note's existing cards by ordinal, never by ID.
    """
    notes = list(notes)
    taken = {note_id for note_id, _ in notes}
    ids: dict[tuple[int, int], int] = {}
    extra: list[tuple[int, int]] = []
    for note_id, ords in notes:
        if ords:
            ids[(note_id, ords[0])] = note_id
            extra.extend((note_id, ord_) for ord_ in ords[1:])
    previous = 0
    for note_id, ord_ in sorted(extra):
        candidate = max(note_id + 1, previous + 1)
        while candidate in taken:
            candidate += 1
        ids[(note_id, ord_)] = previous = candidate
    return ids


def duplicate_keys(notes: Iterable[SourceNote]) -> list[Diagnostic]:
    """One error per repeated key, naming the place it repeats and where it was first used."""
    first: dict[str, SourceNote] = {}
    problems: list[Diagnostic] = []
    for note in notes:
        seen = first.setdefault(note.key, note)
        if seen is not note:
            what = f"key {note.key[1:]!r}" if note.key.startswith("#") else "question"
            problems.append(
                error(
                    note.display,
                    note.line,
                    f"duplicate {what}: {seen.location} already has it; "
                    "reword one or give it an explicit key like {#my-key}",
                )
            )
    return problems
