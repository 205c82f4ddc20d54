"""The plan, top to bottom: files, notes, HTML, identity, package. Nothing is written here.

`plan_build` gathers every problem of a run at once and returns what to write, or why not;
`write.py` writes it. The stages it runs (parse and render) come from `stages.py`, with or
without a cache: the plan is the same either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from .assemble import REMOVED_TAG, NoteFields, assemble, note_fields
from .config import DeckConfig
from .decks import spelling_conflicts
from .diagnostics import Diagnostic, error, warning
from .discover import SourceFile, display_path, read_sources
from .identity import duplicate_keys
from .ledger import Ledger, Report, reconcile
from .ledger_file import read_ledger_as_written, same_text
from .ledger_merge import resolve
from .lint import lint_notes
from .notetype import load_note_types
from .package import Package
from .parse import ParsedFile, SourceNote, is_ready
from .progress import QUIET, Progress
from .replay import inputs_hash, sources_fingerprint
from .request import BuildRequest
from .stages import Stages, make_stages
from .vault.source import read_vault
from .workers import Workers


@dataclass(frozen=True, slots=True)
class BuildPlan:
    """Everything a build found: what to write (None when there are errors) and why not."""

    package: Package | None
    diagnostics: tuple[Diagnostic, ...]
    ledger: Ledger | None = None
    ledger_changed: bool = False
    report: Report | None = None
    inputs: str = ""  # hash of what it was made from, the ledger aside: see replay.py
    # False when what it reports will not hold again (it repaired the ledger it read): a
    # later build with the same inputs must not replay this one's messages.
    repeatable: bool = True


def _lost_ledger(request: BuildRequest) -> list[Diagnostic]:
    """A package and no ledger: most likely the ledger was deleted, which costs people who
    imported the package their phone edits (every note is dated now) and their removed notes."""
    package = request.package_file
    if request.ledger_file.exists() or package is None or not package.is_file():
        return []
    message = (
        f"no ledger, but {display_path(package)} exists: every note is dated now (an import "
        "replaces edits made in Anki) and notes removed before are forgotten; if the ledger "
        "was deleted, restore it first (git checkout, a backup)"
    )
    return [warning(display_path(request.ledger_file), None, message)]


def read_notes(
    content_dir: Path, config: DeckConfig | None = None
) -> tuple[list[SourceNote], list[Diagnostic]]:
    """Every note of every file, ready or not, and every problem found reading them."""
    if not content_dir.is_dir():
        return [], [error(display_path(content_dir), None, "content folder not found")]
    sources, problems = read_sources(content_dir, (config or DeckConfig()).deck_for)
    with Workers() as workers:
        parsed = list(make_stages(None, workers).parse(sources))
    notes = [note for result in parsed for note in result.notes]
    problems.extend(problem for result in parsed for problem in result.diagnostics)
    return notes, problems


def _reserved_tags(notes: list[SourceNote]) -> list[Diagnostic]:
    """A content tag at or below the removed notes' tag would make their search find it."""
    found = []
    for note in notes:
        for tag in note.tags:
            if tag.casefold() == REMOVED_TAG or tag.casefold().startswith(REMOVED_TAG + "::"):
                message = (
                    f"tag {tag!r} is reserved: Anki's search for removed notes, "
                    f"tag:{REMOVED_TAG}, would find this note; rename the file, section or tag"
                )
                found.append(error(note.display, note.line, message))
                break
    return found


def _deck_spellings(notes: list[SourceNote]) -> list[Diagnostic]:
    """One spelling per subdeck (Anki ignores case): later spellings give way, with a warning."""
    first_use: dict[str, SourceNote] = {}
    for note in notes:
        first_use.setdefault(note.deck, note)
    found = []
    conflicts = spelling_conflicts({deck: n.location for deck, n in first_use.items()})
    renamed = {deck: seen for deck, seen, _ in conflicts}
    for deck, seen, _ in conflicts:
        note = first_use[deck]
        message = f"subdeck {deck!r} is written {seen!r} elsewhere; Anki sees one deck: {seen!r}"
        found.append(warning(note.display, note.line, message))
    for index, note in enumerate(notes):
        if note.deck in renamed:
            notes[index] = _in_deck(note, renamed[note.deck])
    return found


def _in_deck(note: SourceNote, deck: str) -> SourceNote:
    return replace(note, deck=deck)


def _parsed(
    request: BuildRequest, sources: list[SourceFile], stages: Stages, problems: list[Diagnostic]
) -> Iterable[ParsedFile]:
    """Every file's notes: Markdown notes through the parse stage; a vault as a whole, since a
    vault note's cards depend on the notes and attachments it embeds."""
    if not request.vault:
        return stages.parse(sources)
    read = read_vault(request.content_dir, sources)
    problems.extend(read.problems)
    return read.parsed


@dataclass(frozen=True, slots=True)
class _Content:
    sources: str  # fingerprint of every file read and every one that could not be
    problems: list[Diagnostic]
    notes: list[NoteFields]


def _read_and_render(request: BuildRequest, stages: Stages, progress: Progress) -> _Content:
    """Every note rendered. Only what comes after is kept: a large deck's Markdown (the files,
    then each note's) is let go as soon as it has been used."""
    content_dir = request.content_dir
    if not content_dir.is_dir():
        missing = error(display_path(content_dir), None, "content folder not found")
        return _Content("", [missing], [])
    sources, problems = read_sources(content_dir, request.config.deck_for)
    fingerprint = sources_fingerprint(sources, problems)
    notes: list[SourceNote] = []
    for parsed in _parsed(request, sources, stages, problems):
        notes.extend(parsed.notes)
        problems.extend(parsed.diagnostics)
    del sources
    problems.extend(duplicate_keys(notes))
    problems.extend(_reserved_tags(notes))
    if not notes and not any(p.severity == "error" for p in problems):
        problems.append(
            error(display_path(content_dir), None, "no questions found in any *.md file")
        )
    ready = [note for note in notes if is_ready(note)]
    del notes
    if request.lint:  # content advice, while the notes still have their Markdown
        problems.extend(lint_notes(ready))
    problems.extend(_deck_spellings(ready))
    fields: list[NoteFields] = []
    make = partial(note_fields, content_dir=content_dir)
    for result in stages.render(ready, content_dir):
        problems.extend(result.diagnostics)
        if result.note is not None:
            memory = stages.memory
            fields.append(
                make(result.note) if memory is None else memory.note_fields(result.note, make)
            )
    if stages.memory is not None:
        stages.memory.keep_only([item.rendered for item in fields])
    return _Content(fingerprint, problems, fields)


def _ledger_changed(path: Path, new: Ledger, old: Ledger, canonical: bool) -> bool:
    # Ledgers that differ as values differ as text (it writes every field); equal ones are
    # the same text when the file was read as written, and must be compared otherwise.
    return not path.exists() or new != old or (not canonical and not same_text(new, old))


def plan_build(
    request: BuildRequest, stages: Stages | None = None, progress: Progress = QUIET
) -> BuildPlan:
    """Parse, check, render and reconcile everything, reporting every problem at once."""
    if stages is None:
        with Workers() as workers:
            return plan_build(request, make_stages(None, workers), progress)
    content = _read_and_render(request, stages, progress)
    problems = content.problems
    note_types = load_note_types(request.templates_dir, request.config.namespace)
    if isinstance(note_types, list):
        problems.extend(note_types)
    remembered = stages.memory.ledger_of(request.ledger_file) if stages.memory else None
    ledger, canonical = (
        (remembered, True) if remembered is not None
        else read_ledger_as_written(request.ledger_file, request.config.namespace)
    )  # fmt: skip
    if isinstance(ledger, Diagnostic):
        problems.append(ledger)
    problems.extend(_lost_ledger(request))
    diagnostics = tuple(sorted(problems, key=lambda d: d.sort_key))
    if any(d.severity == "error" for d in diagnostics):
        return BuildPlan(None, diagnostics)
    assert isinstance(note_types, dict) and isinstance(ledger, Ledger)
    hashes = {kind: note_type.hash for kind, note_type in note_types.items()}
    current = [item.current for item in content.notes]
    resolved = resolve(ledger.entries, {note.identity for note in current})
    if resolved.messages:  # a merged ledger: said, and diagnostics stay sorted
        shown = display_path(request.ledger_file)
        warnings = (warning(shown, None, message) for message in resolved.messages)
        diagnostics = tuple(sorted((*diagnostics, *warnings), key=lambda d: d.sort_key))
    merged = replace(ledger, entries=resolved.entries)
    reconciled = reconcile(merged, current, hashes, request.now, request.config.name)
    package = assemble(content.notes, reconciled, note_types, request.config)
    changed = _ledger_changed(request.ledger_file, reconciled.ledger, ledger, canonical)
    inputs = inputs_hash(request, content.sources, note_types)
    return BuildPlan(package, diagnostics, reconciled.ledger, changed, reconciled.report, inputs,
                     repeatable=not resolved.messages)  # fmt: skip
