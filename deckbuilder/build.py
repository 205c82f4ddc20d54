"""The pipeline, top to bottom: files, notes, HTML, identity, package. Nothing is written here."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TypeVar

from .cache import BuildCache, Fingerprint, file_digest
from .config import DeckConfig
from .diagnostics import Diagnostic, error
from .discover import SourceFile, display_path, find_markdown, read_source
from .identity import duplicate_keys, note_ids, stable_id
from .ledger import (
    CurrentNote,
    Entry,
    Ledger,
    Reconciled,
    Report,
    content_hash,
    read_ledger,
    reconcile,
    removal_notice,
    same_text,
)
from .notetype import FIELDS, NoteType, load_note_type
from .package import Package, PackageMedia, PackageNote
from .parse import ParsedFile, SourceNote, parse_file, slug
from .progress import QUIET, Progress
from .render import RenderedNote, RenderResult, inert, plain_field, render_note

REMOVED_TAG = "removed"
# Below these, starting worker processes costs more than it saves.
PARALLEL_RENDER_NOTES = 500
PARALLEL_PARSE_CHARS = 500_000  # about 500 notes of Markdown
_RENDER_CHUNK = 50  # notes per task: big enough to amortise sending, small enough to balance

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


@dataclass(frozen=True, slots=True)
class BuildPlan:
    """Everything a build found: what to write (None when there are errors) and why not."""

    package: Package | None
    diagnostics: tuple[Diagnostic, ...]
    ledger: Ledger | None = None
    ledger_changed: bool = False
    report: Report | None = None
    inputs: str = ""  # hash of everything read but the ledger: see `current_inputs`


def package_file_name(config: DeckConfig) -> str:
    return f"{slug(config.name) or 'deck'}.apkg"


# --- workers ----------------------------------------------------------------------------


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what this process may use, not what the box has
    except AttributeError:
        return os.cpu_count() or 1


class _Workers:
    """A process pool, started on first need and shared by parsing and rendering."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def pool(self) -> Executor | None:
        if self._pool is None and _cores() > 1:
            # fork: workers start with everything imported, in milliseconds.
            context = get_context("fork") if sys.platform == "linux" else None
            self._pool = ProcessPoolExecutor(_cores(), mp_context=context)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _apply(function: Callable[[_Item], _Result], chunk: Sequence[_Item]) -> list[_Result]:
    return [function(item) for item in chunk]


def _map(
    function: Callable[[_Item], _Result],
    items: Iterable[_Item],
    pool: Executor | None,
    chunk: int,
    report: Callable[[int], None],
) -> Iterator[_Result]:
    """`function` over `items`, results in order, in worker processes when a pool is given.

    A generator: the caller stores each result while the workers go on with the next. Each
    item and result is let go once handed on (100,000 notes' worth would otherwise stay).
    """
    if pool is None:
        for done, item in enumerate(items, 1):
            yield function(item)
            report(done)
        return
    items = iter(items)
    futures = deque(
        pool.submit(_apply, function, batch)
        for batch in iter(lambda: list(islice(items, chunk)), [])
    )
    done = 0
    while futures:
        results = futures.popleft().result()
        done += len(results)
        yield from results
        report(done)


# --- reading ----------------------------------------------------------------------------


def _read_sources(content_dir: Path) -> tuple[list[SourceFile], list[Diagnostic]]:
    sources: list[SourceFile] = []
    problems: list[Diagnostic] = []
    for path in find_markdown(content_dir):
        source = read_source(path)
        if isinstance(source, Diagnostic):
            problems.append(source)
        else:
            sources.append(source)
    return sources, problems


def _parse_all(
    sources: list[SourceFile], cache: BuildCache, workers: _Workers, progress: Progress
) -> list[ParsedFile]:
    """Every file's notes: from the cache when its text is unchanged, else parsed anew."""
    parsed = cache.parsed(sources)
    missing = [index for index, found in enumerate(parsed) if found is None]
    to_parse = [sources[index] for index in missing]
    size = sum(len(source.text) for source in to_parse)
    pool = workers.pool() if size > PARALLEL_PARSE_CHARS else None
    report = partial(progress.update, "parsing", total=len(to_parse))
    for index, result in zip(missing, _map(parse_file, to_parse, pool, 1, report), strict=True):
        parsed[index] = result
        cache.store_parsed(sources[index], result)
    return [found for found in parsed if found is not None]


def read_notes(content_dir: Path) -> tuple[list[SourceNote], list[Diagnostic]]:
    """Every question of every file, and every problem found reading them."""
    if not content_dir.is_dir():
        return [], [error(display_path(content_dir), None, "content folder not found")]
    sources, problems = _read_sources(content_dir)
    workers = _Workers()
    try:
        parsed = _parse_all(sources, BuildCache(None), workers, QUIET)
    finally:
        workers.close()
    return _notes_of(parsed, problems)


def _notes_of(
    parsed: list[ParsedFile], problems: list[Diagnostic]
) -> tuple[list[SourceNote], list[Diagnostic]]:
    notes = [note for result in parsed for note in result.notes]
    problems = [*problems, *(problem for result in parsed for problem in result.diagnostics)]
    return notes, problems


# --- rendering --------------------------------------------------------------------------

_Detached = tuple[dict[str, Any] | None, tuple[Diagnostic, ...]]


def _render_detached(root: Path, note: SourceNote) -> _Detached:
    """`render_note` without the note in the result: the caller has it (half the sending)."""
    result = render_note(note, root, resolved=True)
    if result.note is None:
        return None, result.diagnostics
    note_fields = dataclasses.fields(result.note)
    parts = {f.name: getattr(result.note, f.name) for f in note_fields if f.name != "note"}
    return parts, result.diagnostics


def _attach(detached: _Detached, note: SourceNote) -> RenderResult:
    parts, diagnostics = detached
    return RenderResult(None if parts is None else RenderedNote(note=note, **parts), diagnostics)


def _render_all(
    notes: list[SourceNote],
    content_dir: Path,
    cache: BuildCache,
    workers: _Workers,
    progress: Progress,
) -> list[RenderResult]:
    """Every note's rendering: cached when its Markdown and images are unchanged, else anew.

    The results hold their notes `placed()`, without Markdown, and so does `notes` once this
    returns: each note's Markdown is let go as its HTML comes, not all at the end.
    """
    results: list[RenderResult | None] = [None] * len(notes)
    for index, found in enumerate(cache.rendered(notes, content_dir)):
        if found is not None:
            results[index] = RenderResult(_placed(found), ())
            notes[index] = found.note.placed()
    missing = [index for index, found in enumerate(results) if found is None]
    pool = workers.pool() if len(missing) > PARALLEL_RENDER_NOTES else None
    render = partial(_render_detached, content_dir.resolve())
    report = partial(progress.update, "rendering", total=len(missing))
    to_render = (notes[index] for index in missing)
    for index, detached in zip(
        missing, _map(render, to_render, pool, _RENDER_CHUNK, report), strict=True
    ):
        result = _attach(detached, notes[index])
        if result.note is not None and not result.diagnostics:
            cache.store_rendered(result.note, content_dir)  # keyed by the note with its Markdown
        if result.note is not None:
            result = RenderResult(_placed(result.note), result.diagnostics)
        results[index] = result
        notes[index] = notes[index].placed()
    return [result for result in results if result is not None]


def _placed(rendered: RenderedNote) -> RenderedNote:
    return dataclasses.replace(rendered, note=rendered.note.placed())


def _source_file(note: SourceNote, content_dir: Path) -> str:
    return _relative(note.path, content_dir)


@lru_cache(maxsize=4096)  # a file's notes share its path: compute it once, not per note
def _relative(path: Path, content_dir: Path) -> str:
    return path.relative_to(content_dir).as_posix()  # the same from any working directory


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
            "Topic": plain_field(note.topic),
            "Source": plain_field(f"{_source_file(note, content_dir)}:{note.line}"),
            "Key": plain_field(note.key),
        }
        values = tuple(fields[name] for name in FIELDS)
        notes.append(PackageNote(entry.guid, ids[entry.guid], values, note.tags, entry.modified))
    notes.extend(_removed_note(entry, ids[entry.guid]) for entry in entries if entry.removed)
    return tuple(notes)


def _removed_note(entry: Entry, note_id: int) -> PackageNote:
    fields = {
        "Question": inert(entry.question),
        "Answer": removal_notice(),
        "Key": plain_field(entry.key),
    }
    tags = tuple(dict.fromkeys((*entry.tags, REMOVED_TAG)))
    values = tuple(fields.get(name, "") for name in FIELDS)
    return PackageNote(entry.guid, note_id, values, tags, entry.modified, has_card=False)


@dataclass(frozen=True, slots=True)
class _Content:
    sources: str  # fingerprint of every file read and every one that could not be
    problems: list[Diagnostic]
    rendered: list[RenderedNote]  # their notes without Markdown (see `SourceNote.placed`)


def _read_and_render(content_dir: Path, cache: BuildCache, progress: Progress) -> _Content:
    """Every note rendered. Only what comes after is kept: a large deck's Markdown (the files,
    then each note's) is let go as soon as it has been used."""
    if not content_dir.is_dir():
        missing = error(display_path(content_dir), None, "content folder not found")
        return _Content("", [missing], [])
    sources, unreadable = _read_sources(content_dir)
    fingerprint = _sources_fingerprint(sources, unreadable)
    workers = _Workers()  # one pool for both steps
    try:
        notes, problems = _notes_of(_parse_all(sources, cache, workers, progress), unreadable)
        del sources
        problems.extend(duplicate_keys(notes))
        if not notes and not any(p.severity == "error" for p in problems):
            problems.append(
                error(display_path(content_dir), None, "no questions found in any *.md file")
            )
        answered = [note for note in notes if note.answer]
        del notes
        results = _render_all(answered, content_dir, cache, workers, progress)
    finally:
        workers.close()
    rendered = [result.note for result in results if result.note is not None]
    problems.extend(problem for result in results for problem in result.diagnostics)
    return _Content(fingerprint, problems, rendered)


# --- replaying a build --------------------------------------------------------------------


def _sources_fingerprint(sources: Sequence[SourceFile], unreadable: Sequence[Diagnostic]) -> str:
    fingerprint = Fingerprint("sources")
    for source in sources:
        fingerprint.add(*(getattr(source, field.name) for field in dataclasses.fields(source)))
    for problem in unreadable:
        fingerprint.add(problem)
    return fingerprint.hexdigest()


def _inputs_hash(
    sources: str, note_type: NoteType, config: DeckConfig, folders: tuple[Path, Path]
) -> str:
    # Messages name paths as given, relative to the working directory: both are inputs too.
    fingerprint = Fingerprint("inputs", os.getcwd(), *map(str, folders), repr(config), sources)
    fingerprint.add(note_type)
    return fingerprint.hexdigest()


def current_inputs(content_dir: Path, templates_dir: Path, config: DeckConfig) -> str | None:
    """The `inputs` hash a build would have now (reading the sources, parsing nothing).

    With the ledger and the images, this is everything a plan is made from: equal inputs and
    an unchanged ledger mean the plan of the build that recorded them, with every note
    unchanged (that build wrote this very ledger from these very notes).
    """
    if not content_dir.is_dir():
        return None
    sources, unreadable = _read_sources(content_dir)
    note_type = load_note_type(templates_dir, config.note_type_name)
    if isinstance(note_type, list):
        return None
    sources_fingerprint = _sources_fingerprint(sources, unreadable)
    return _inputs_hash(sources_fingerprint, note_type, config, (content_dir, templates_dir))


def plan_build(
    content_dir: Path,
    templates_dir: Path,
    ledger_file: Path,
    config: DeckConfig,
    now: int,
    cache: BuildCache | None = None,
    progress: Progress = QUIET,
) -> BuildPlan:
    """Parse, check, render and reconcile everything, reporting every problem at once.

    `cache` (read here, saved by the caller) skips parsing unchanged files and rendering
    unchanged notes; the plan is the same with or without it.
    """
    content = _read_and_render(content_dir, cache or BuildCache(None), progress)
    rendered, problems = content.rendered, content.problems
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
    del current  # 100,000 of them: not kept while the package is made
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
    # Ledgers that differ as values differ as text (dumps writes every field): writing out
    # 100,000 entries twice to see it again is needed only when they are equal.
    changed = (
        not ledger_file.exists()
        or reconciled.ledger != ledger
        or not same_text(reconciled.ledger, ledger)
    )
    inputs = _inputs_hash(content.sources, note_type, config, (content_dir, templates_dir))
    return BuildPlan(package, diagnostics, reconciled.ledger, changed, reconciled.report, inputs)


def package_fingerprint(package: Package) -> str:
    """Everything the .apkg is made from: the same fingerprint means the same bytes."""
    fingerprint = Fingerprint("package")
    for item in dataclasses.fields(package):
        if item.name not in ("notes", "media"):
            fingerprint.add(item.name, getattr(package, item.name))
    for note in package.notes:  # piece by piece: one repr of 100,000 notes would be huge
        fingerprint.add(note)
    for media in package.media:  # the bytes, not just the name: they are what gets zipped
        fingerprint.add(media, file_digest(media.source))
    return fingerprint.hexdigest()


def replay_key(inputs: str, target: Path, ledger_file: Path, ledger_digest: str) -> str:
    """Which recorded build a build with these inputs, output and ledger bytes would repeat."""
    return Fingerprint(
        "replay", inputs, os.path.abspath(target), str(ledger_file), ledger_digest
    ).hexdigest()
