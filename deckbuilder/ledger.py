"""The ledger: what every note was, so a rebuild knows what changed, what moved and what left.

Anki's importer replaces a note only when the incoming modification time is newer, and never
deletes. So each note carries the time its own content last changed (unchanged notes keep
theirs and a re-import leaves them, and any edit made on a phone, alone), the GUID survives
rewording (matched here by an unchanged answer), and removed notes stay known so the package
can carry them once more, tagged `build-deck::removed`.

A note is known by its kind and key: the same key under another kind is another note, since
Anki ties a GUID to one note type for good.

Everything here is pure: `reconcile` takes the old ledger and this build's notes and returns
the new ledger with a report. Reading and writing the file are in ledger_file.py.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from .identity import note_guid, note_identity

Identity = tuple[str, str]  # (kind, key)


@dataclass(frozen=True, slots=True)
class Entry:
    """One note the deck has ever shipped. `removed` is when it left the source, or None."""

    key: str
    kind: str
    guid: str
    question: str  # rendered question (or title) HTML: a removed note is shipped again with it
    tags: tuple[str, ...]
    file: str  # source file, relative to the content folder
    deck: str  # subdeck path its cards go to
    content: str  # hash of everything the note renders to
    answer: str  # hash of what a reworded note keeps: its answer, or a cloze note's text
    created: int
    modified: int
    removed: int | None = None

    @property
    def identity(self) -> Identity:
        return (self.kind, self.key)


@dataclass(frozen=True, slots=True)
class NoteTypeState:
    hash: str = ""  # of fields, templates and CSS
    modified: int = 0  # Anki replaces templates and CSS only when this is newer


@dataclass(frozen=True, slots=True)
class Ledger:
    namespace: str
    deck_name: str = ""  # the deck's name when last built: Anki matches decks by name
    note_types: tuple[tuple[str, NoteTypeState], ...] = ()  # by kind, sorted
    entries: tuple[Entry, ...] = ()

    def note_type(self, kind: str) -> NoteTypeState:
        return dict(self.note_types).get(kind, NoteTypeState())


@dataclass(frozen=True, slots=True)
class CurrentNote:
    """What reconcile needs of a note in this build."""

    key: str
    kind: str
    question: str
    tags: tuple[str, ...]
    file: str
    deck: str
    content: str
    answer: str
    location: str  # for the report
    answer_size: int = 0  # characters of text in the answer (identity field)

    @property
    def identity(self) -> Identity:
        return (self.kind, self.key)


@dataclass(frozen=True, slots=True)
class Matched:
    """A note found again under another question key or in another file: same GUID."""

    old_key: str
    new_key: str
    old_file: str
    location: str


@dataclass(frozen=True, slots=True)
class Change:
    """A note that changed what Anki keeps per note or per card: its kind, or its deck."""

    location: str
    was: str
    now: str


@dataclass(frozen=True, slots=True)
class Report:
    new: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: int = 0
    matched: tuple[Matched, ...] = ()
    removed: tuple[Entry, ...] = ()
    revived: tuple[str, ...] = ()
    kind_changed: tuple[Change, ...] = ()
    deck_changed: tuple[Change, ...] = ()
    note_types_changed: tuple[str, ...] = ()  # kinds whose templates or CSS changed
    deck_renamed: tuple[str, str] | None = None  # (was, now)


@dataclass(frozen=True, slots=True)
class Reconciled:
    ledger: Ledger
    report: Report
    by_identity: dict[Identity, Entry] = field(default_factory=dict)  # this build's notes


def _later(now: int, previous: int) -> int:
    # Strictly newer than before, even for two builds within one second or a clock set back.
    return max(now, previous + 1)


def _free_guid(namespace: str, note: CurrentNote, taken: set[str]) -> str:
    identity = note_identity(note.kind, note.key)
    guid, attempt = note_guid(namespace, identity), 1
    while guid in taken:  # a reworded note kept this key's natural GUID
        attempt += 1
        guid = note_guid(namespace, f"{identity}\x1f{attempt}")
    return guid


def _match_rewordings(
    notes: Sequence[CurrentNote], old: dict[Identity, Entry]
) -> dict[Identity, Entry]:
    """New notes whose answer equals that of exactly one vanished note of their kind: that
    note, reworded."""
    present = {note.identity for note in notes}
    vanished: dict[tuple[str, str], list[Entry]] = {}
    for entry in old.values():
        if entry.identity not in present and entry.removed is None:
            vanished.setdefault((entry.kind, entry.answer), []).append(entry)
    newcomers: dict[tuple[str, str], list[CurrentNote]] = {}
    for note in notes:
        if note.identity not in old:
            newcomers.setdefault((note.kind, note.answer), []).append(note)
    matches: dict[Identity, Entry] = {}
    for answer, candidates in newcomers.items():
        gone = vanished.get(answer, [])
        # Ambiguous matches stay new notes, and so do coincidences: a new question whose
        # answer is a short "Yes." like a deleted one's is not that question reworded.
        if len(candidates) == 1 and len(gone) == 1 and _plausible(gone[0], candidates[0]):
            matches[candidates[0].identity] = gone[0]
    return matches


DISTINCT_ANSWER = 25  # characters: an answer this long is unlikely to repeat by chance
SIMILAR_QUESTION = 0.6  # difflib ratio of the two questions' text


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]*>", " ", html).casefold().split())


def _plausible(gone: Entry, note: CurrentNote) -> bool:
    """Whether an unchanged answer makes `note` the vanished note reworded."""
    if note.answer_size >= DISTINCT_ANSWER:
        return True
    ratio = difflib.SequenceMatcher(None, _text(gone.question), _text(note.question)).ratio()
    return ratio >= SIMILAR_QUESTION


def _is_same(entry: Entry, note: CurrentNote) -> bool:
    """The note is exactly as its entry records it: nothing in the entry would change."""
    return (
        entry.removed is None
        and entry.key == note.key
        and entry.file == note.file
        and entry.deck == note.deck
        and entry.content == note.content
        and entry.answer == note.answer
        and entry.question == note.question
        and entry.tags == note.tags
    )


class _Reconciler:
    """One reconcile: the old ledger's entries, and what this build's notes make of them."""

    def __init__(self, ledger: Ledger, notes: Sequence[CurrentNote], now: int) -> None:
        self.ledger, self.notes, self.now = ledger, notes, now
        self.old = {entry.identity: entry for entry in ledger.entries}
        self.live_kinds: dict[str, str] = {
            e.key: e.kind for e in ledger.entries if e.removed is None
        }
        self.taken = {entry.guid for entry in ledger.entries}
        self.entries: dict[Identity, Entry] = {}
        self.new: list[str] = []
        self.changed: list[str] = []
        self.revived: list[str] = []
        self.matches: list[Matched] = []
        self.kinds: list[Change] = []
        self.decks: list[Change] = []
        self.unchanged = 0

    def _add(self, note: CurrentNote) -> Entry:
        guid = _free_guid(self.ledger.namespace, note, self.taken)
        self.taken.add(guid)
        self.new.append(note.location)
        was = self.live_kinds.get(note.key)
        if was is not None and was != note.kind:
            self.kinds.append(Change(note.location, was, note.kind))
        return Entry(note.key, note.kind, guid, note.question, note.tags, note.file, note.deck,
                     note.content, note.answer, created=self.now, modified=self.now)  # fmt: skip

    def _update(self, before: Entry, note: CurrentNote) -> Entry:
        same = before.content == note.content and before.removed is None
        if before.deck != note.deck and before.removed is None:
            self.decks.append(Change(note.location, before.deck, note.deck))
        if before.key != note.key or before.file != note.file:
            self.matches.append(Matched(before.key, note.key, before.file, note.location))
        elif before.removed is not None:
            self.revived.append(note.location)
        elif same:
            self.unchanged += 1
        else:
            self.changed.append(note.location)
        return replace(
            before, key=note.key, question=note.question, tags=note.tags, file=note.file,
            deck=note.deck, content=note.content, answer=note.answer,
            modified=before.modified if same else _later(self.now, before.modified), removed=None,
        )  # fmt: skip

    def run(self) -> tuple[list[Entry], dict[Identity, Entry]]:
        reworded = _match_rewordings(self.notes, self.old)
        for note in self.notes:
            before = self.old.get(note.identity) or reworded.get(note.identity)
            if before is None:
                entry = self._add(note)
            elif _is_same(before, note):
                entry = before  # most notes: the very entry, not a copy (100,000 of them)
                self.unchanged += 1
            else:
                entry = self._update(before, note)
            self.entries[note.identity] = entry
        current = dict(self.entries)
        moved_away = {entry.identity for entry in reworded.values()}
        removed = []
        for entry in self.ledger.entries:
            if entry.identity in self.entries or entry.identity in moved_away:
                continue
            if entry.removed is None:
                entry = replace(entry, removed=self.now, modified=_later(self.now, entry.modified))
                removed.append(entry)
            self.entries[entry.identity] = entry
        return removed, current


def _note_types(
    ledger: Ledger, hashes: dict[str, str], now: int
) -> tuple[tuple[tuple[str, NoteTypeState], ...], tuple[str, ...]]:
    states, changed = [], []
    for kind in sorted(hashes):
        before = ledger.note_type(kind)
        if before.hash == hashes[kind]:
            states.append((kind, before))
            continue
        states.append((kind, NoteTypeState(hashes[kind], _later(now, before.modified))))
        if before.hash:
            changed.append(kind)
    return tuple(states), tuple(changed)


def reconcile(
    ledger: Ledger,
    notes: Sequence[CurrentNote],
    note_types: dict[str, str],
    now: int,
    deck_name: str = "",
) -> Reconciled:
    """The new ledger for this build's notes, and what changed for people who imported one.

    `note_types` maps every kind to the hash of its note type (fields, templates, CSS).
    """
    reconciler = _Reconciler(ledger, notes, now)
    removed, current = reconciler.run()
    states, types_changed = _note_types(ledger, note_types, now)
    new_ledger = Ledger(
        namespace=ledger.namespace,
        deck_name=deck_name,
        note_types=states,
        entries=tuple(sorted(reconciler.entries.values(), key=lambda e: (e.key, e.kind))),
    )
    report = Report(
        new=tuple(reconciler.new),
        changed=tuple(reconciler.changed),
        unchanged=reconciler.unchanged,
        matched=tuple(reconciler.matches),
        removed=tuple(removed),
        revived=tuple(reconciler.revived),
        kind_changed=tuple(reconciler.kinds),
        deck_changed=tuple(reconciler.decks),
        note_types_changed=types_changed,
        deck_renamed=(
            (ledger.deck_name, deck_name)
            if ledger.deck_name and deck_name and ledger.deck_name != deck_name
            else None
        ),
    )
    return Reconciled(new_ledger, report, current)


def removal_notice() -> str:
    """The answer (or text) a removed note is shipped with."""
    return (
        '<p class="removed-notice"><strong>This question was removed from the deck.</strong> '
        "It is no longer in the source. To delete every removed note: Browse, search "
        "<code>tag:build-deck::removed</code>, select all, Delete.</p>"
    )
