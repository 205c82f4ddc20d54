"""The pipeline, top to bottom: files, notes, HTML, identity, package. Nothing is written here."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from .config import DeckConfig
from .diagnostics import Diagnostic, error
from .discover import display_path, find_markdown, read_source
from .identity import duplicate_keys, note_ids, stable_id
from .ledger import (
    CurrentNote,
    Entry,
    Ledger,
    Reconciled,
    Report,
    content_hash,
    dumps,
    read_ledger,
    reconcile,
    removal_notice,
)
from .notetype import FIELDS, NoteType, load_note_type
from .package import Package, PackageMedia, PackageNote
from .parse import SourceNote, parse_file, slug
from .render import RenderedNote, render_note

REMOVED_TAG = "removed"


@dataclass(frozen=True)
class BuildPlan:
    """Everything a build found: what to write (None when there are errors) and why not."""

    package: Package | None
    diagnostics: tuple[Diagnostic, ...]
    ledger: Ledger | None = None
    ledger_changed: bool = False
    report: Report | None = None


def package_file_name(config: DeckConfig) -> str:
    return f"{slug(config.name) or 'deck'}.apkg"


def read_notes(content_dir: Path) -> tuple[list[SourceNote], list[Diagnostic]]:
    """Every question of every file, and every problem found reading them."""
    notes: list[SourceNote] = []
    problems: list[Diagnostic] = []
    if not content_dir.is_dir():
        return [], [error(display_path(content_dir), None, "content folder not found")]
    for path in find_markdown(content_dir):
        source = read_source(path)
        if isinstance(source, Diagnostic):
            problems.append(source)
            continue
        parsed = parse_file(source)
        notes.extend(parsed.notes)
        problems.extend(parsed.diagnostics)
    return notes, problems


def _source_file(note: SourceNote, content_dir: Path) -> str:
    return note.path.relative_to(content_dir).as_posix()  # the same from any working directory


def _current(rendered: RenderedNote, content_dir: Path) -> CurrentNote:
    note = rendered.note
    # The line number is left out: adding a question above must not "change" every note below.
    content = content_hash(
        rendered.question,
        rendered.detail,
        rendered.answer,
        note.topic,
        _source_file(note, content_dir),
        *note.tags,
    )
    return CurrentNote(
        key=note.key,
        question=rendered.question,
        tags=note.tags,
        file=_source_file(note, content_dir),
        content=content,
        answer=content_hash(rendered.answer),
        location=note.location,
    )


def note_type_hash(note_type: NoteType) -> str:
    return content_hash(note_type.name, *FIELDS, note_type.front, note_type.back, note_type.css)


def _package_notes(
    rendered: list[RenderedNote], reconciled: Reconciled, content_dir: Path
) -> tuple[PackageNote, ...]:
    entries = reconciled.ledger.entries
    ids = note_ids((entry.guid, entry.created) for entry in entries)
    notes = []
    for item in rendered:
        note, entry = item.note, reconciled.by_key[item.note.key]
        fields = {
            "Question": item.question,
            "Detail": item.detail,
            "Answer": item.answer,
            # Plain text, but Anki treats every field as HTML: escape, or `<img onerror>` runs.
            "Topic": escape(note.topic),
            "Source": escape(f"{_source_file(note, content_dir)}:{note.line}"),
            "Key": escape(note.key),
        }
        values = tuple(fields[name] for name in FIELDS)
        notes.append(PackageNote(entry.guid, ids[entry.guid], values, note.tags, entry.modified))
    notes.extend(_removed_note(entry, ids[entry.guid]) for entry in entries if entry.removed)
    return tuple(notes)


def _removed_note(entry: Entry, note_id: int) -> PackageNote:
    fields = {"Question": entry.question, "Answer": removal_notice(), "Key": escape(entry.key)}
    tags = tuple(dict.fromkeys((*entry.tags, REMOVED_TAG)))
    values = tuple(fields.get(name, "") for name in FIELDS)
    return PackageNote(entry.guid, note_id, values, tags, entry.modified, has_card=False)


def plan_build(
    content_dir: Path, templates_dir: Path, ledger_file: Path, config: DeckConfig, now: int
) -> BuildPlan:
    """Parse, check, render and reconcile everything, reporting every problem at once."""
    notes, problems = read_notes(content_dir)
    problems.extend(duplicate_keys(notes))
    if not notes and not any(p.severity == "error" for p in problems):
        problems.append(
            error(display_path(content_dir), None, "no questions found in any *.md file")
        )
    rendered: list[RenderedNote] = []
    for note in notes:
        if note.answer:
            result = render_note(note, content_dir)
            problems.extend(result.diagnostics)
            if result.note is not None:
                rendered.append(result.note)
    note_type = load_note_type(templates_dir, config.note_type_name)
    if isinstance(note_type, list):
        problems.extend(note_type)
    ledger = read_ledger(ledger_file, config.namespace)
    if isinstance(ledger, Diagnostic):
        problems.append(ledger)
    diagnostics = tuple(sorted(problems, key=lambda d: d.sort_key))
    if any(d.severity == "error" for d in diagnostics):
        return BuildPlan(None, diagnostics)
    assert isinstance(note_type, NoteType) and isinstance(ledger, Ledger)
    current = [_current(item, content_dir) for item in rendered]
    reconciled = reconcile(ledger, current, note_type_hash(note_type), now)
    media = {m.name: PackageMedia(m.name, m.source) for r in rendered for m in r.media}
    package = Package(
        deck_id=stable_id("deck", config.namespace),
        deck_name=config.name,
        description=config.description,
        note_type_id=stable_id("notetype", config.namespace),
        note_type=note_type,
        notes=_package_notes(rendered, reconciled, content_dir),
        media=tuple(media[name] for name in sorted(media)),
        note_type_modified=reconciled.ledger.note_type_modified,
    )
    changed = not ledger_file.exists() or dumps(reconciled.ledger) != dumps(ledger)
    return BuildPlan(package, diagnostics, reconciled.ledger, changed, reconciled.report)
