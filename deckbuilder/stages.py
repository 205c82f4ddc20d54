"""The pure stages as a build runs them: over many items, in worker processes when that pays,
and remembered in a store when one is given. The plan is the same with or without either.

What a remembered result's key covers, and why that is enough:
- a parsed file: every field of its `SourceFile` (path, name shown in messages, text, the
  subdeck its folder maps to);
- a rendered note: every field of its `SourceNote` but the line numbers, the folder its images
  are resolved from, and the content folder. Only renders without a single diagnostic are kept
  (line numbers matter only to messages), and each keeps the SHA-256 of every image it
  packaged, checked again on every hit, so a changed or deleted image is rendered anew.
Every key starts with the code version (fingerprint.py): a code change or an upgrade misses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from .codec import Codec
from .diagnostics import Diagnostic
from .discover import SourceFile
from .fingerprint import file_digest, joined, key
from .media import MediaFile
from .memory import Memory
from .parse import ParsedFile, SourceNote, parse_file
from .progress import QUIET, Progress
from .render import RenderedNote, RenderResult, render_note
from .replay import PARSED, RENDERED
from .store import Store
from .workers import Workers, ordered_map

# Below these, starting worker processes costs more than it saves.
PARALLEL_RENDER_NOTES = 500
PARALLEL_PARSE_CHARS = 500_000  # about 500 notes of Markdown
_RENDER_CHUNK = 50  # notes per task: big enough to amortise sending, small enough to balance
_LINE_FIELDS = frozenset({"line", "detail_line", "answer_line"})

CODEC = Codec(ParsedFile, SourceNote, Diagnostic, MediaFile)

ParseMany = Callable[[Sequence[SourceFile]], Iterator[ParsedFile]]
# Each note of the list is replaced by its `placed()` copy as it is rendered: its Markdown goes.
RenderMany = Callable[[list[SourceNote], Path], Iterator[RenderResult]]


@dataclass(frozen=True, slots=True)
class Stages:
    parse: ParseMany
    render: RenderMany
    memory: Memory | None = None  # a watching build's objects from the build before


def _text(value: object) -> str:
    return value if isinstance(value, str) else repr(value)


# --- parsing ------------------------------------------------------------------------------


def _file_key(source: SourceFile) -> bytes:
    return key("parsed", joined(_text(getattr(source, f.name)) for f in dataclasses.fields(source)))


def _parse_many(
    sources: Sequence[SourceFile], store: Store | None, workers: Workers, progress: Progress
) -> Iterator[ParsedFile]:
    keys = [_file_key(source) for source in sources] if store else []
    found: list[ParsedFile | None] = [None] * len(sources)
    if store is not None:
        values = store.get_many(PARSED.name, keys)
        found = [CODEC.loads(value, ParsedFile) for value in values]
    missing = [index for index, hit in enumerate(found) if hit is None]
    size = sum(len(sources[index].text) for index in missing)
    pool = workers.pool() if size > PARALLEL_PARSE_CHARS else None
    report = partial(progress.update, "parsing", total=len(missing))
    fresh = ordered_map(parse_file, (sources[i] for i in missing), pool, 1, report)
    for index, parsed in zip(missing, fresh, strict=True):
        found[index] = parsed
        value = CODEC.dumps(parsed) if store is not None else None
        if store is not None and value is not None:
            store.put(PARSED.name, keys[index], value)
    for hit in found:
        assert hit is not None
        yield hit


# --- rendering ------------------------------------------------------------------------------

_Detached = tuple[dict[str, Any] | None, tuple[Diagnostic, ...]]


def _render_detached(root: Path, note: SourceNote) -> _Detached:
    """`render_note` without the note in the result: the caller has it (half the sending)."""
    result = render_note(note, root, resolved=True)
    if result.note is None:
        return None, result.diagnostics
    return _parts(result.note), result.diagnostics


def _parts(rendered: RenderedNote) -> dict[str, Any]:
    return {f.name: getattr(rendered, f.name) for f in dataclasses.fields(rendered)
            if f.name != "note"}  # fmt: skip


class _RenderMemo:
    """Remembered renders: keyed by a note's Markdown and place, valid while its images are."""

    def __init__(self, store: Store, root: Path) -> None:
        self.store = store
        self.root = str(root.resolve())
        self._folders: dict[Path, str] = {}
        self._images: dict[Path, str | None] = {}

    def _folder(self, path: Path) -> str:
        # Memoised: resolving is a system call per path component, and 100 notes share a file.
        if path not in self._folders:
            self._folders[path] = str(path.resolve())
        return self._folders[path]

    def image(self, path: Path) -> str | None:
        if path not in self._images:
            self._images[path] = file_digest(path)
        return self._images[path]

    def key(self, note: SourceNote) -> bytes:
        parts = (_text(getattr(note, f.name)) for f in dataclasses.fields(note)
                 if f.name not in _LINE_FIELDS)  # fmt: skip
        return key("rendered", self.root, self._folder(note.path.parent), joined(parts))

    def revive(self, value: bytes | None, note: SourceNote) -> RenderedNote | None:
        entry = CODEC.loads(value, dict)
        if entry is None:
            return None
        try:
            if any(self.image(Path(path)) != digest for path, digest in entry["images"]):
                return None
            return RenderedNote(note=note, **entry["parts"])
        except (KeyError, TypeError, ValueError):
            return None

    def keep(self, key_: bytes, rendered: RenderedNote) -> None:
        images = []
        for media in rendered.media:
            digest = self.image(media.source)
            # Media are named by their content hash: a name that is not this digest's means
            # the image changed while it was rendered (or the naming did): keep nothing.
            if digest is None or not media.name.startswith(digest[:16]):
                return
            images.append((str(media.source), digest))
        value = CODEC.dumps({"parts": _parts(rendered), "images": images})
        if value is not None:
            self.store.put(RENDERED.name, key_, value)


def _render_many(
    notes: list[SourceNote],
    content_dir: Path,
    store: Store | None,
    workers: Workers,
    progress: Progress,
) -> Iterator[RenderResult]:
    """Each note's rendering in order, its note without Markdown (see `SourceNote.placed`)."""
    memo = _RenderMemo(store, content_dir) if store is not None else None
    keys = [memo.key(note) for note in notes] if memo else []
    hits: list[RenderedNote | None] = [None] * len(notes)
    if memo is not None and store is not None:
        values = store.get_many(RENDERED.name, keys)
        hits = [
            memo.revive(value, note.placed()) for value, note in zip(values, notes, strict=True)
        ]
    missing = [index for index, hit in enumerate(hits) if hit is None]
    pool = workers.pool() if len(missing) > PARALLEL_RENDER_NOTES else None
    render = partial(_render_detached, content_dir.resolve())
    report = partial(progress.update, "rendering", total=len(missing))
    fresh = iter(ordered_map(render, (notes[i] for i in missing), pool, _RENDER_CHUNK, report))
    for index, hit in enumerate(hits):
        if hit is not None:
            notes[index] = hit.note
            yield RenderResult(hit, ())
            continue
        parts, diagnostics = next(fresh)
        placed = notes[index] = notes[index].placed()
        result = RenderResult(None if parts is None else RenderedNote(note=placed, **parts),
                              diagnostics)  # fmt: skip
        if memo is not None and result.note is not None and not diagnostics:
            memo.keep(keys[index], result.note)
        yield result


def make_stages(
    store: Store | None, workers: Workers, progress: Progress = QUIET, memory: Memory | None = None
) -> Stages:
    """The stages a build runs: cached in `store` (None: not at all), parallel in `workers`,
    and with `memory` (a watching build) first looked up in what the last build had."""
    parse: ParseMany = partial(_parse_many, store=store, workers=workers, progress=progress)
    render: RenderMany = partial(_render_many, store=store, workers=workers, progress=progress)
    if memory is None:
        return Stages(parse, render)
    return Stages(memory.parse(parse), memory.render(render), memory)
