"""The pipeline, top to bottom: files, notes, identity, HTML, package. Nothing is written here."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .config import DeckConfig
from .diagnostics import Diagnostic, error
from .discover import display_path, find_markdown, read_source
from .identity import duplicate_keys, note_guid, stable_id
from .notetype import FIELDS, load_note_type
from .package import Package, PackageMedia, PackageNote
from .parse import SourceNote, parse_file, slug
from .render import RenderedNote, render_note


@dataclass(frozen=True)
class BuildPlan:
    """Everything a build found: the package to write (None when there are errors) and why not."""

    package: Package | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")


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


def _package_note(rendered: RenderedNote, config: DeckConfig, content_dir: Path) -> PackageNote:
    note = rendered.note
    source = f"{note.path.relative_to(content_dir).as_posix()}:{note.line}"  # same for any cwd
    fields = {
        "Question": rendered.question,
        "Detail": rendered.detail,
        "Answer": rendered.answer,
        "Topic": note.topic,
        "Source": source,
        "Key": note.key,
    }
    return PackageNote(
        note_guid(config.namespace, note.key), tuple(fields[f] for f in FIELDS), note.tags
    )


def plan_build(content_dir: Path, templates_dir: Path, config: DeckConfig) -> BuildPlan:
    """Parse, check and render everything, reporting every problem at once."""
    notes, problems = read_notes(content_dir)
    problems.extend(duplicate_keys(notes))
    answered = [note for note in notes if note.answer]
    if not notes and not any(p.severity == "error" for p in problems):
        problems.append(
            error(display_path(content_dir), None, "no questions found in any *.md file")
        )
    rendered: list[RenderedNote] = []
    for note in answered:
        result = render_note(note, content_dir)
        problems.extend(result.diagnostics)
        if result.note is not None:
            rendered.append(result.note)
    note_type = load_note_type(templates_dir, config.note_type_name)
    if isinstance(note_type, list):
        problems.extend(note_type)
    diagnostics = tuple(sorted(problems, key=lambda d: d.sort_key))
    if any(d.severity == "error" for d in diagnostics) or isinstance(note_type, list):
        return BuildPlan(None, diagnostics)
    media = {m.name: PackageMedia(m.name, m.source) for r in rendered for m in r.media}
    package = Package(
        deck_id=stable_id("deck", config.namespace),
        deck_name=config.name,
        description=config.description,
        note_type_id=stable_id("notetype", config.namespace),
        note_type=note_type,
        notes=tuple(_package_note(r, config, content_dir) for r in rendered),
        media=tuple(media[name] for name in sorted(media)),
        timestamp=time.time(),
    )
    return BuildPlan(package, diagnostics)
