"""What a watching build keeps between builds, as objects: nothing to hash again or decode.

A build that is run again by `--watch` finds a file whose text is unchanged, a note whose
Markdown and place are unchanged, and the ledger it wrote itself, here; anything else takes
the cached or the full path. Holds only what the last build used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .discover import SourceFile
from .parse import ParsedFile, SourceNote
from .render import RenderedNote, RenderResult

if TYPE_CHECKING:
    from .assemble import NoteFields
    from .ledger import Ledger
    from .stages import ParseMany, RenderMany


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


@dataclass
class Memory:
    parsed: dict[SourceFile, ParsedFile] = field(default_factory=dict)
    rendered: dict[SourceNote, RenderResult] = field(default_factory=dict)
    fields: dict[int, tuple[RenderedNote, NoteFields]] = field(default_factory=dict)
    ledger: tuple[Path, tuple[int, int, int] | None, Ledger] | None = None

    def forget_renders(self) -> None:
        """After an image changed: every note showing one may look different."""
        self.rendered.clear()
        self.fields.clear()

    def ledger_of(self, path: Path) -> Ledger | None:
        """The ledger this process last wrote to `path`, if the file is still that one."""
        if self.ledger is None or self.ledger[0] != path:
            return None
        return self.ledger[2] if _signature(path) == self.ledger[1] else None

    def wrote_ledger(self, path: Path, ledger: Ledger) -> None:
        self.ledger = (path, _signature(path), ledger)

    def parse(self, parse: ParseMany) -> ParseMany:
        def parse_many(sources: list[SourceFile]) -> Iterator[ParsedFile]:
            known = [self.parsed.get(source) for source in sources]
            fresh = iter(parse([s for s, hit in zip(sources, known, strict=True) if hit is None]))
            kept: dict[SourceFile, ParsedFile] = {}
            for source, hit in zip(sources, known, strict=True):
                kept[source] = result = hit if hit is not None else next(fresh)
                yield result
            self.parsed = kept

        return parse_many  # type: ignore[return-value]

    def render(self, render: RenderMany) -> RenderMany:
        def render_many(notes: list[SourceNote], content_dir: Path) -> Iterator[RenderResult]:
            originals = list(notes)
            known = [self.rendered.get(note) for note in originals]
            missing = [note for note, hit in zip(originals, known, strict=True) if hit is None]
            fresh = iter(render(missing, content_dir))
            kept: dict[SourceNote, RenderResult] = {}
            for index, (note, hit) in enumerate(zip(originals, known, strict=True)):
                kept[note] = result = hit if hit is not None else next(fresh)
                if result.note is not None:
                    notes[index] = result.note.note  # its Markdown goes, as without memory
                yield result
            self.rendered = kept

        return render_many

    def note_fields(
        self, rendered: RenderedNote, make: Callable[[RenderedNote], NoteFields]
    ) -> NoteFields:
        found = self.fields.get(id(rendered))
        if found is not None and found[0] is rendered:
            return found[1]
        made = make(rendered)
        self.fields[id(rendered)] = (rendered, made)
        return made

    def keep_only(self, rendered: list[RenderedNote]) -> None:
        """Let go of the fields of notes this build no longer had."""
        alive = {id(item) for item in rendered}
        self.fields = {key: value for key, value in self.fields.items() if key in alive}
