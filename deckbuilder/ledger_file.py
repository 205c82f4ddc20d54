"""The ledger file: sorted JSON, one note a line, read and written a note at a time.

Format 2 records every note's kind and deck, and a state per note type. Format 1 ledgers
(Q&A notes in one deck) are read as such and written as format 2.
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
from collections.abc import Iterable, Iterator
from itertools import zip_longest
from pathlib import Path
from typing import Any, TextIO

from .diagnostics import Diagnostic, error
from .discover import display_path
from .kinds import KINDS, QA
from .ledger import Entry, Ledger, NoteTypeState
from .reuse import Reuse

FORMAT = 2
FORMATS = (1, 2)
TEMP_PREFIX = ".ledger-"
STALE_AFTER = 3600  # seconds; far longer than any build takes

_ENTRY_FIELDS = ("key", "kind", "deck", "guid", "question", "tags", "file", "content", "answer",
                 "created", "modified", "removed")  # fmt: skip
_FORMAT_1_FIELDS = frozenset(_ENTRY_FIELDS) - {"kind", "deck"}
_TEXT_FIELDS = ("key", "kind", "deck", "guid", "question", "file", "content", "answer")


class LedgerError(ValueError):
    """A ledger that cannot be used, with the line it breaks at when that is known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def _row(entry: Entry) -> str:
    values: dict[str, Any] = {name: getattr(entry, name) for name in _ENTRY_FIELDS}
    values["tags"] = list(entry.tags)
    return json.dumps(values, ensure_ascii=False, separators=(", ", ": "))


_ROWS: Reuse[Entry, str] = Reuse()  # an unchanged note's entry is the very same object


def text_parts(ledger: Ledger) -> Iterator[str]:
    """The ledger's text in pieces, a note at a time: written and hashed without ever being
    one string (100,000 notes are 35 MB of text)."""
    types = {kind: {"hash": state.hash, "modified": state.modified}
             for kind, state in ledger.note_types}  # fmt: skip
    yield (
        "{\n"
        f'  "format": {FORMAT},\n'
        f'  "namespace": {json.dumps(ledger.namespace, ensure_ascii=False)},\n'
        f'  "deck_name": {json.dumps(ledger.deck_name, ensure_ascii=False)},\n'
        f'  "note_types": {json.dumps(types, sort_keys=True)},\n'
        '  "notes": [\n'
    )
    for index, entry in enumerate(ledger.entries):
        row = _ROWS.get(entry, _row)
        yield f",\n    {row}" if index else f"    {row}"
    _ROWS.done()
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


# --- reading ------------------------------------------------------------------------------


def _entry(raw: Any, version: int, line: int | None = None) -> Entry:
    """One note's entry, checked field by field: a hand-edited ledger must not half-work."""
    expected = frozenset(_ENTRY_FIELDS) if version >= 2 else _FORMAT_1_FIELDS
    if not isinstance(raw, dict) or set(raw) != expected:
        raise LedgerError("a note entry has the wrong fields", line)
    values = {"kind": QA, "deck": ""} | dict(raw)
    for name in _TEXT_FIELDS:
        if not isinstance(values[name], str):
            raise LedgerError(f"a note's {name!r} must be text", line)
    if values["kind"] not in KINDS:
        raise LedgerError(f"unknown note kind {values['kind']!r}", line)
    tags = values["tags"]
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise LedgerError("a note's 'tags' must be a list of text", line)
    for name in ("created", "modified", "removed"):
        value = values[name]
        if not (value is None and name == "removed") and (
            not isinstance(value, int) or isinstance(value, bool)
        ):
            raise LedgerError(f"a note's {name!r} must be whole seconds", line)
    values["tags"] = tuple(tags)
    return Entry(**values)


def _note_types(data: dict[str, Any]) -> tuple[tuple[str, NoteTypeState], ...]:
    raw = data.get("note_types") if data["format"] >= 2 else {QA: data.get("note_type", {})}
    if not isinstance(raw, dict):
        raise LedgerError("'note_types' must map note kinds to their state")
    states = []
    for kind, state in sorted(raw.items()):
        if not isinstance(state, dict):
            raise LedgerError(f"note type {kind!r} has no state")
        digest, modified = state.get("hash", ""), state.get("modified", 0)
        if not isinstance(digest, str) or not isinstance(modified, int):
            raise LedgerError(f"note type {kind!r} has a malformed hash or time")
        states.append((str(kind), NoteTypeState(digest, modified)))
    return tuple(states)


def _ledger(data: dict[str, Any], entries: Iterable[Entry], namespace: str) -> Ledger:
    if data.get("namespace") != namespace:
        raise LedgerError(
            f"ledger belongs to namespace {data.get('namespace')!r}, not {namespace!r}; "
            "changing the namespace would duplicate every note in Anki"
        )
    deck_name = data.get("deck_name", "")
    if not isinstance(deck_name, str):
        raise LedgerError("'deck_name' must be text")
    return Ledger(namespace, deck_name, _note_types(data), tuple(entries))


def _format(data: Any) -> int:
    version = data.get("format") if isinstance(data, dict) else None
    if version not in FORMATS:
        raise LedgerError(f"unknown ledger format (expected format {FORMAT})")
    assert isinstance(version, int)
    return version


def loads(text: str, namespace: str) -> Ledger:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LedgerError(f"not valid JSON: {exc.msg}", exc.lineno) from None
    version = _format(data)
    notes = data.get("notes", [])
    if not isinstance(notes, list):
        raise LedgerError("'notes' must be a list")
    return _ledger(data, (_entry(raw, version) for raw in notes), namespace)


# The first lines exactly as `text_parts` writes them (format 1 named its one note type).
_TEXT = r'("(?:[^"\\\n]|\\.)*")'
_HEAD = re.compile(
    rf'\{{\n  "format": (-?\d+),\n  "namespace": {_TEXT},\n(?:  "deck_name": {_TEXT},\n)?'
    r'  "(note_types?)": (\{[^\n]*\}),\n  "notes": \[\n\Z'
)


def _read_as_written(handle: TextIO, namespace: str) -> Ledger | None:
    """The ledger read a line at a time, or None when it is not laid out as `text_parts`
    writes it (edited by hand: then it is read as any JSON). One note's JSON at a time, not
    the whole file's: 100,000 notes would otherwise take 100 MB more while being read."""
    lines = [handle.readline() for _ in range(5)]
    if '"deck_name": ' in lines[3]:
        lines.append(handle.readline())
    head = _HEAD.match("".join(lines))
    if head is None:
        return None
    data = {"format": int(head.group(1)), "namespace": json.loads(head.group(2)),
            "deck_name": json.loads(head.group(3) or '""'),
            head.group(4): json.loads(head.group(5))}  # fmt: skip
    version = _format(data)
    entries: list[Entry] = []
    last = ""  # the previous note's line: every one but the final one ends with a comma
    for number, line in enumerate(handle, start=len(lines) + 1):
        if line == "  ]\n":
            break
        if not line.startswith("    {") or (last and not last.endswith(",\n")):
            return None
        try:
            raw = json.loads(line.removesuffix("\n").removesuffix(","))
        except (json.JSONDecodeError, RecursionError):
            return None  # read again as a whole, which says where it breaks
        entries.append(_entry(raw, version, number))
        last = line
    else:
        return None
    if last.endswith(",\n") or handle.read() != "}\n":
        return None
    return _ledger(data, entries, namespace)


def read_ledger(path: Path, namespace: str) -> Ledger | Diagnostic:
    return read_ledger_as_written(path, namespace)[0]


def read_ledger_as_written(path: Path, namespace: str) -> tuple[Ledger | Diagnostic, bool]:
    """The ledger, and whether its file is laid out exactly as this tool writes it (then a
    ledger equal to it is that very text, and need not be written out to be compared)."""
    if not path.exists():
        return Ledger(namespace=namespace), False
    display = display_path(path)
    if not path.is_file():  # a FIFO would block the build forever, a folder fail later
        return error(display, None, "cannot use the ledger: not a regular file"), False
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            ledger = _read_as_written(handle, namespace)
        if ledger is not None:
            return ledger, True
        return loads(path.read_text(encoding="utf-8"), namespace), False
    except LedgerError as exc:
        return error(display, exc.line, f"cannot use the ledger: {exc}"), False
    except RecursionError:
        return error(display, None, "cannot use the ledger: it nests too deeply"), False
    except (OSError, UnicodeDecodeError, ValueError, TypeError, AttributeError) as exc:
        return error(display, None, f"cannot use the ledger: {exc}"), False


# --- writing ------------------------------------------------------------------------------


def _remove_stale_temporaries(folder: Path) -> None:
    # A killed build leaves its temporary ledger behind; a young one may be another build's.
    cutoff = time.time() - STALE_AFTER
    for temp in folder.glob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            info = temp.lstat()
            if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                temp.unlink()


def _mode(path: Path) -> int:
    """The mode a rewritten ledger keeps: its own, or what the umask gives a new file."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_ledger(path: Path, ledger: Ledger) -> None:
    """Atomically: the ledger is never half-written. A symlinked ledger is written where the
    link leads (the link stays), with the mode the file had: it is committed and shared."""
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path.parent)
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        os.chmod(temp, _mode(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.writelines(text_parts(ledger))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
