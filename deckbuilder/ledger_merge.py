"""Merged ledgers: two branches' entries for one note, resolved to the note the content has.

People merge ledgers. Two branches that reword the same question each leave an entry with
the note's one GUID under their own key; git merges the two lines without a conflict, and a
package with two notes of one GUID cannot be built. So before reconciling, every GUID and
every (kind, key) is made to belong to one entry, the choice said in a warning:

- several entries of one GUID: the one whose note the content has keeps it (the others were
  its older names); with none in the content, the latest changed; with several in the
  content, the latest changed keeps the GUID and the others become new notes;
- several entries of one (kind, key): the live one changed last is kept; the others, under
  GUIDs of their own, stay known as removed notes (renamed so they can), so whoever imported
  them finds them with the removed tag.

`python -m deckbuilder.ledger_merge BASE OURS THEIRS` is a git merge driver that takes every
entry of both sides (the build then resolves them as above), so a ledger never conflicts.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .ledger import Entry, Identity, Ledger, NoteTypeState


@dataclass(frozen=True, slots=True)
class Resolved:
    entries: tuple[Entry, ...]
    messages: tuple[str, ...]  # what was chosen, for the build to say


def _latest(entries: Iterable[Entry]) -> Entry:
    return max(entries, key=lambda e: (e.removed is None, e.modified, e.created, e.guid))


def _by_key(entries: Sequence[Entry], messages: list[str]) -> list[Entry]:
    groups: dict[Identity, list[Entry]] = defaultdict(list)
    for entry in entries:
        groups[entry.identity].append(entry)
    kept: list[Entry] = []
    for identity, group in groups.items():
        chosen = _latest(group)
        kept.append(chosen)
        others = [e for e in group if e is not chosen and e.guid != chosen.guid]
        for index, other in enumerate(others, 2):
            # Its own GUID is a note someone may have: kept, removed, under a name of its own.
            removed = other.removed if other.removed is not None else other.modified
            kept.append(replace(other, key=f"{other.key} (merged {index})", removed=removed))
        if len(group) > 1:
            messages.append(
                f"ledger: {len(group)} entries for {identity[1]!r} (a merge of two branches?): "
                f"kept the one changed last (GUID {chosen.guid})"
                + (f"; {len(others)} other GUID(s) kept as removed notes" if others else "")
            )
    return kept


def _by_guid(entries: Sequence[Entry], present: set[Identity], messages: list[str]) -> list[Entry]:
    groups: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        groups[entry.guid].append(entry)
    kept: list[Entry] = []
    for guid, group in groups.items():
        if len(group) == 1:
            kept.extend(group)
            continue
        in_content = [e for e in group if e.identity in present]
        chosen = _latest(in_content or group)
        kept.append(chosen)
        names = ", ".join(repr(e.key) for e in group)
        if len(in_content) > 1:
            messages.append(
                f"ledger: {names} share GUID {guid} and are all in the content (a merge of two "
                f"branches?): {chosen.key!r}, changed last, keeps it; the others are new notes"
            )
        else:
            why = "the one the content has" if in_content else "the one changed last"
            messages.append(
                f"ledger: {names} share GUID {guid} (a merge of two rewordings?): kept "
                f"{chosen.key!r}, {why}"
            )
    return kept


def resolve(entries: Sequence[Entry], present: set[Identity]) -> Resolved:
    """One entry per (kind, key) and per GUID; `present` are the identities the content has."""
    messages: list[str] = []
    by_key = _by_key(entries, messages)
    by_guid = _by_guid(by_key, present, messages)
    if not messages:
        return Resolved(tuple(entries), ())
    ordered = tuple(sorted(by_guid, key=lambda e: (e.key, e.kind)))
    return Resolved(ordered, tuple(messages))


# --- the git merge driver -----------------------------------------------------------------


def merge(ours: Ledger, theirs: Ledger) -> Ledger:
    """Every entry of both sides (duplicates resolved by the next build), and each note type
    at its later state."""
    seen = {(e.identity, e.guid, e.modified) for e in ours.entries}
    entries = [*ours.entries, *(e for e in theirs.entries if (e.identity, e.guid, e.modified)
                                not in seen)]  # fmt: skip
    states = dict(ours.note_types)
    for kind, state in theirs.note_types:
        if kind not in states or state.modified > states[kind].modified:
            states[kind] = state
    note_types: tuple[tuple[str, NoteTypeState], ...] = tuple(sorted(states.items()))
    return Ledger(ours.namespace, ours.deck_name or theirs.deck_name, note_types,
                  tuple(sorted(entries, key=lambda e: (e.key, e.kind, e.guid))))  # fmt: skip


def main(argv: Sequence[str]) -> int:
    """`%O %A %B` from git: writes the merge into %A; 0 merged, 1 when a side is unreadable."""
    from .ledger_file import read_ledger, write_ledger

    if len(argv) != 3:
        print("usage: python -m deckbuilder.ledger_merge BASE OURS THEIRS", file=sys.stderr)
        return 2
    ours_path, theirs_path = Path(argv[1]), Path(argv[2])
    namespace = _namespace(ours_path)
    ours, theirs = read_ledger(ours_path, namespace), read_ledger(theirs_path, namespace)
    if not isinstance(ours, Ledger) or not isinstance(theirs, Ledger):
        for problem in (ours, theirs):
            if not isinstance(problem, Ledger):
                print(problem, file=sys.stderr)
        return 1  # git then leaves the conflict to the person merging
    write_ledger(ours_path, merge(ours, theirs))
    return 0


def _namespace(path: Path) -> str:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str(data.get("namespace", "")) if isinstance(data, dict) else ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
