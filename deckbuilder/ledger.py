"""The ledger: what every note was, so a rebuild knows what changed, what moved and what left.

Anki's importer replaces a note only when the incoming modification time is newer, and never
deletes. So each note carries the time its own content last changed (unchanged notes keep
theirs and a re-import leaves them, and any edit made on a phone, alone), the GUID survives
rewording (matched here by an unchanged answer), and removed notes stay known so the package
can carry them once more, tagged `removed`.

Everything here is pure: `reconcile` takes the old ledger and this build's notes and returns
the new ledger with a report. Reading and writing the file are the only I/O.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import zip_longest
from pathlib import Path
from typing import Any, TextIO

from .diagnostics import Diagnostic, error
from .discover import display_path
from .identity import note_guid

FORMAT = 1
TEMP_PREFIX = ".ledger-"
STALE_AFTER = 3600  # seconds; far longer than any build takes


def content_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Entry:
    """One note the deck has ever shipped. `removed` is when it left the source, or None."""

    key: str
    guid: str
    question: str  # rendered question HTML: a removed note is shipped again with it
    tags: tuple[str, ...]
    file: str  # source file, relative to the content folder
    content: str  # hash of everything the note renders to
    answer: str  # hash of the answer alone: an unchanged answer identifies a reworded question
    created: int
    modified: int
    removed: int | None = None


@dataclass(frozen=True, slots=True)
class Ledger:
    namespace: str
    note_type: str = ""  # hash of fields, templates and CSS
    note_type_modified: int = 0
    entries: tuple[Entry, ...] = ()


@dataclass(frozen=True, slots=True)
class CurrentNote:
    """What reconcile needs of a note in this build."""

    key: str
    question: str
    tags: tuple[str, ...]
    file: str
    content: str
    answer: str
    location: str  # for the report


@dataclass(frozen=True, slots=True)
class Matched:
    """A note found again under another question key or in another file: same GUID."""

    old_key: str
    new_key: str
    old_file: str
    location: str


@dataclass(frozen=True, slots=True)
class Report:
    new: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: int = 0
    matched: tuple[Matched, ...] = ()
    removed: tuple[Entry, ...] = ()
    revived: tuple[str, ...] = ()
    note_type_changed: bool = False


@dataclass(frozen=True, slots=True)
class Reconciled:
    ledger: Ledger
    report: Report
    by_key: dict[str, Entry] = field(default_factory=dict)  # this build's notes


def _later(now: int, previous: int) -> int:
    # Strictly newer than before, even for two builds within one second or a clock set back.
    return max(now, previous + 1)


def _free_guid(namespace: str, key: str, taken: set[str]) -> str:
    guid, attempt = note_guid(namespace, key), 1
    while guid in taken:  # a reworded note kept this key's natural GUID
        attempt += 1
        guid = note_guid(namespace, f"{key}\x1f{attempt}")
    return guid


def _match_rewordings(notes: Sequence[CurrentNote], old: dict[str, Entry]) -> dict[str, Entry]:
    """New keys whose answer equals that of exactly one vanished note: that note, reworded."""
    present = {note.key for note in notes}
    vanished: dict[str, list[Entry]] = {}
    for entry in old.values():
        if entry.key not in present and entry.removed is None:
            vanished.setdefault(entry.answer, []).append(entry)
    newcomers: dict[str, list[CurrentNote]] = {}
    for note in notes:
        if note.key not in old:
            newcomers.setdefault(note.answer, []).append(note)
    matches: dict[str, Entry] = {}
    for answer, candidates in newcomers.items():
        gone = vanished.get(answer, [])
        if len(candidates) == 1 and len(gone) == 1:  # ambiguous matches stay new notes
            matches[candidates[0].key] = gone[0]
    return matches


def _is_same(entry: Entry, note: CurrentNote) -> bool:
    """The note is exactly as its entry records it: nothing in the entry would change."""
    return (
        entry.removed is None
        and entry.key == note.key
        and entry.file == note.file
        and entry.content == note.content
        and entry.answer == note.answer
        and entry.question == note.question
        and entry.tags == note.tags
    )


def reconcile(ledger: Ledger, notes: Sequence[CurrentNote], note_type: str, now: int) -> Reconciled:
    old = {entry.key: entry for entry in ledger.entries}
    reworded = _match_rewordings(notes, old)
    taken = {entry.guid for entry in ledger.entries}
    entries: dict[str, Entry] = {}
    new, changed, revived, matches = [], [], [], []
    unchanged = 0
    for note in notes:
        before = old.get(note.key) or reworded.get(note.key)
        if before is None:
            guid = _free_guid(ledger.namespace, note.key, taken)
            taken.add(guid)
            entry = Entry(note.key, guid, note.question, note.tags, note.file, note.content,
                          note.answer, created=now, modified=now)  # fmt: skip
            new.append(note.location)
        elif _is_same(before, note):
            entry = before  # most notes: the very entry, not a copy (100,000 of them)
            unchanged += 1
        else:
            same = before.content == note.content and before.removed is None
            entry = replace(
                before,
                key=note.key,
                question=note.question,
                tags=note.tags,
                file=note.file,
                content=note.content,
                answer=note.answer,
                modified=before.modified if same else _later(now, before.modified),
                removed=None,
            )
            if before.key != note.key or before.file != note.file:
                matches.append(Matched(before.key, note.key, before.file, note.location))
            elif before.removed is not None:
                revived.append(note.location)
            elif same:
                unchanged += 1
            else:
                changed.append(note.location)
        entries[note.key] = entry
    current = dict(entries)
    moved_away = {entry.key for entry in reworded.values()}
    removed = []
    for entry in ledger.entries:
        if entry.key in entries or entry.key in moved_away:
            continue
        if entry.removed is None:
            entry = replace(entry, removed=now, modified=_later(now, entry.modified))
            removed.append(entry)
        entries[entry.key] = entry
    type_changed = ledger.note_type != note_type
    new_ledger = Ledger(
        namespace=ledger.namespace,
        note_type=note_type,
        note_type_modified=(
            _later(now, ledger.note_type_modified) if type_changed else ledger.note_type_modified
        ),
        entries=tuple(sorted(entries.values(), key=lambda e: e.key)),
    )
    report = Report(
        new=tuple(new),
        changed=tuple(changed),
        unchanged=unchanged,
        matched=tuple(matches),
        removed=tuple(removed),
        revived=tuple(revived),
        note_type_changed=type_changed and bool(ledger.note_type),
    )
    return Reconciled(new_ledger, report, current)


# --- the file ---------------------------------------------------------------------------

_ENTRY_FIELDS = ("key", "guid", "question", "tags", "file", "content", "answer", "created",
                 "modified", "removed")  # fmt: skip


def text_parts(ledger: Ledger) -> Iterator[str]:
    """The ledger's text in pieces, a note at a time: written and hashed without ever being
    one string (100,000 notes are 35 MB of text)."""
    yield (
        "{\n"
        f'  "format": {FORMAT},\n'
        f'  "namespace": {json.dumps(ledger.namespace, ensure_ascii=False)},\n'
        f'  "note_type": {{"hash": "{ledger.note_type}", '
        f'"modified": {ledger.note_type_modified}}},\n'
        '  "notes": [\n'
    )
    for index, entry in enumerate(ledger.entries):
        values: dict[str, Any] = {name: getattr(entry, name) for name in _ENTRY_FIELDS}
        values["tags"] = list(entry.tags)
        row = json.dumps(values, ensure_ascii=False, separators=(", ", ": "))
        yield f",\n    {row}" if index else f"    {row}"
    yield "\n  ]\n}\n" if ledger.entries else "  ]\n}\n"


def dumps(ledger: Ledger) -> str:
    """Stable text: sorted, one note per line, so a content change is a one-line diff."""
    return "".join(text_parts(ledger))


def text_digest(ledger: Ledger) -> str:
    """SHA-256 of `dumps(ledger)` in UTF-8, made piece by piece."""
    digest = hashlib.sha256()
    for part in text_parts(ledger):
        digest.update(part.encode("utf-8"))
    return digest.hexdigest()


def same_text(first: Ledger, second: Ledger) -> bool:
    """Whether the two ledgers are written as the same text, compared piece by piece."""
    return all(a == b for a, b in zip_longest(text_parts(first), text_parts(second)))


def _entry(raw: Any) -> Entry:
    if not isinstance(raw, dict) or set(raw) != set(_ENTRY_FIELDS):
        raise ValueError("a note entry has the wrong fields")
    values = dict(raw)
    values["tags"] = tuple(values["tags"])
    entry = Entry(**values)
    if not all(isinstance(getattr(entry, n), int) for n in ("created", "modified")):
        raise ValueError("note times must be whole seconds")
    return entry


def loads(text: str, namespace: str) -> Ledger:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"unknown ledger format (expected format {FORMAT})")
    return _ledger(data, (_entry(raw) for raw in data.get("notes", [])), namespace)


def _ledger(data: dict[str, Any], entries: Iterable[Entry], namespace: str) -> Ledger:
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown ledger format (expected format {FORMAT})")
    if data.get("namespace") != namespace:
        raise ValueError(
            f"ledger belongs to namespace {data.get('namespace')!r}, not {namespace!r}; "
            "changing the namespace would duplicate every note in Anki"
        )
    note_type = data.get("note_type", {})
    return Ledger(
        namespace=namespace,
        note_type=str(note_type.get("hash", "")),
        note_type_modified=int(note_type.get("modified", 0)),
        entries=tuple(entries),
    )


# The first lines exactly as `text_parts` writes them.
_HEAD = re.compile(
    r'\{\n  "format": (-?\d+),\n  "namespace": ("(?:[^"\\\n]|\\.)*"),\n'
    r'  "note_type": (\{[^\n]*\}),\n  "notes": \[\n\Z'
)


def _read_as_written(handle: TextIO, namespace: str) -> Ledger | None:
    """The ledger read a line at a time, or None when it is not laid out as `text_parts`
    writes it (edited by hand: then it is read as any JSON). One note's JSON at a time, not
    the whole file's: 100,000 notes would otherwise take 100 MB more while being read."""
    head = _HEAD.match("".join(handle.readline() for _ in range(5)))
    if head is None:
        return None
    data = {
        "format": int(head.group(1)),
        "namespace": json.loads(head.group(2)),
        "note_type": json.loads(head.group(3)),
    }
    if not isinstance(data["note_type"], dict):
        return None
    entries: list[Entry] = []
    last = ""  # the previous note's line: every one but the final one ends with a comma
    for line in handle:
        if line == "  ]\n":
            break
        if not line.startswith("    {") or (last and not last.endswith(",\n")):
            return None
        entries.append(_entry(json.loads(line.removesuffix("\n").removesuffix(","))))
        last = line
    else:
        return None
    if last.endswith(",\n") or handle.read() != "}\n":
        return None
    return _ledger(data, entries, namespace)


def read_ledger(path: Path, namespace: str) -> Ledger | Diagnostic:
    if not path.exists():
        return Ledger(namespace=namespace)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            ledger = _read_as_written(handle, namespace)
        return ledger if ledger is not None else loads(path.read_text(encoding="utf-8"), namespace)
    except (OSError, UnicodeDecodeError, ValueError, TypeError, AttributeError) as exc:
        return error(display_path(path), None, f"cannot use the ledger: {exc}")


def _remove_stale_temporaries(folder: Path) -> None:
    # A killed build leaves its temporary ledger behind; a young one may be another build's.
    cutoff = time.time() - STALE_AFTER
    for temp in folder.glob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            info = temp.lstat()
            if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                temp.unlink()


def write_ledger(path: Path, ledger: Ledger) -> None:
    """Atomically: the ledger is never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path.parent)
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.writelines(text_parts(ledger))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def removal_notice() -> str:
    """The answer a removed note is shipped with."""
    return (
        '<p class="removed-notice"><strong>This question was removed from the deck.</strong> '
        "It is no longer in the source. To delete every removed note: Browse, search "
        "<code>tag:removed</code>, select all, Delete.</p>"
    )
