"""What a build says it did: the changes people who imported an earlier package will see."""

from __future__ import annotations

from .assemble import REMOVED_TAG
from .decks import full_name
from .kinds import KINDS
from .ledger import Report


def _deck(root: str, deck: str) -> str:
    return repr(full_name(root, deck))


def change_lines(report: Report, deck_name: str) -> list[str]:
    """The build summary's note counts, and every note matched, moved, removed or renewed."""
    counts = (
        f"{len(report.new)} new, {len(report.changed)} changed, {report.unchanged} unchanged, "
        f"{len(report.matched)} reworded/moved, {len(report.removed)} removed"
        + (f", {len(report.revived)} back again" if report.revived else "")
    )
    lines = [f"notes: {counts}"]
    for match in report.matched:
        if match.old_key != match.new_key:
            lines.append(f"  reworded: {match.location}: was {match.old_key!r}, same note")
        else:
            lines.append(f"  moved: {match.location}: was in {match.old_file}, same note")
    for change in report.kind_changed:
        was, now = KINDS[change.was].label, KINDS[change.now].label
        lines.append(
            f"  new kind: {change.location}: was a {was} note, now a {now} note; Anki keeps a "
            f"note's kind, so it is a new note and the {was} note is tagged '{REMOVED_TAG}' "
            "with its review history"
        )
    for change in report.deck_changed:
        lines.append(
            f"  new deck: {change.location}: from {_deck(deck_name, change.was)} to "
            f"{_deck(deck_name, change.now)}; Anki's importer leaves cards it already has "
            "where they are: move them in Browse (Change Deck)"
        )
    for entry in report.removed:
        lines.append(f"  removed: {entry.key!r} (was in {entry.file}; tagged '{REMOVED_TAG}')")
    if report.deck_renamed is not None:
        was, now = report.deck_renamed
        lines.append(
            f"  deck renamed: from {was!r} to {now!r}; Anki matches decks by name: rename the "
            f"deck in Anki to {now!r} before importing, or the cards you study stay in {was!r} "
            f"and new ones go to a new deck {now!r}"
        )
    for kind in report.note_types_changed:
        lines.append(
            f"  {KINDS[kind].label} templates or CSS changed: the note type updates on import"
        )
    return lines
