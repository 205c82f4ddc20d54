"""Markdown text to source notes: titles, fronts and backs, cards, tags, decks, line numbers.

Only the block structure is read here (headings and top-level paragraphs, with their
source line ranges from markdown-it); bodies stay Markdown and are rendered later.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .cards import PLAIN, CardSpec
from .diagnostics import Diagnostic, error, warning
from .discover import SourceFile
from .frontmatter import FRONT_MATTER_OPEN, FrontMatter, read_front_matter
from .headings import (
    ANSWER_PREFIX,
    NoteHead,
    is_answer_heading,
    markdown_text,
    note_head,
    split_heading,
)
from .kinds import CLOZE, KINDS
from .request import slug, slug_tag
from .unclosed import unclosed_blocks

# A cloze marker as a person writes it (Anki's own reading); escaped with `\{` it is text.
CLOZE_MARKER = re.compile(r"(?<!\\)\{\{c\d+::", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SourceNote:
    """One note as written: Markdown parts, where each part starts, its cards and its place.

    For a Q&A note `detail` is the question detail (front) and `answer` the answer (back); for
    a cloze note `detail` is the text holding the markers and `answer` extra for the back.
    """

    key: str
    question: str  # the heading: a Q&A note's question, a cloze note's title
    detail: str
    answer: str
    topic: str
    tags: tuple[str, ...]
    path: Path
    display: str
    line: int
    detail_line: int
    answer_line: int
    kind: str = "qa"  # a key of kinds.KINDS
    options: tuple[str, ...] = ()  # card options (reverse, type)
    deck: str = ""  # subdeck path below the deck's own; "" for the deck itself
    origin: str = ""  # "vault": a card of an Obsidian vault (see vault/source.py)

    @property
    def location(self) -> str:
        return f"{self.display}:{self.line}"

    def placed(self) -> SourceNote:
        """This note without its Markdown: what it is and where, all that is needed of it
        once rendered. A large deck's Markdown need not stay in memory beside its HTML."""
        return replace(self, question="", detail="", answer="")


def is_ready(note: SourceNote) -> bool:
    """Whether the note has what its cards need: an answer, or cloze markers."""
    if KINDS[note.kind].is_cloze:
        return CLOZE_MARKER.search(note.detail) is not None
    return bool(note.answer)


@dataclass(frozen=True, slots=True)
class ParsedFile:
    notes: tuple[SourceNote, ...]
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True)
class _Heading:
    start: int  # 0-based first line
    end: int  # 0-based line after the heading
    level: int
    content: str  # raw inline Markdown of the heading text


def _commonmark() -> MarkdownIt:
    from mdit_py_plugins.front_matter import front_matter_plugin

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(front_matter_plugin)


@cache
def block_parser() -> MarkdownIt:
    """Block structure only: inline Markdown (half the parsing time) stays unparsed text."""
    return _commonmark().disable("inline")


def _structure(tokens: Sequence[Token]) -> tuple[list[_Heading], list[int]]:
    """Top-level headings, and first lines of top-level paragraphs (answer marker candidates)."""
    headings: list[_Heading] = []
    paragraphs: list[int] = []
    for index, token in enumerate(tokens):
        if token.level != 0 or token.map is None:
            continue
        if token.type == "heading_open":
            inline = tokens[index + 1]
            headings.append(_Heading(token.map[0], token.map[1], int(token.tag[1]), inline.content))
        elif token.type == "paragraph_open":
            paragraphs.append(token.map[0])
    return headings, paragraphs


def _chunk(lines: Sequence[str], start: int, end: int) -> tuple[str, int]:
    """Markdown of lines[start:end] without surrounding blank lines, and its 0-based first line."""
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end]), start


def _first_marker(lines: Sequence[str], start: int, end: int) -> int | None:
    """The 0-based line of the first cloze marker in lines[start:end], if any."""
    for index in range(start, end):
        if "{{" in lines[index] and CLOZE_MARKER.search(lines[index]):
            return index
    return None


class _FileParser:
    """One pass over one file's headings; holds nothing between files."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.lines = source.text.split("\n")
        self.notes: list[SourceNote] = []
        self.diagnostics: list[Diagnostic] = []

    def _front_matter(self, tokens: Sequence[Token]) -> FrontMatter | Diagnostic:
        if tokens and tokens[0].type == "front_matter":
            return read_front_matter(tokens[0], self.source.display)
        if FRONT_MATTER_OPEN.match(self.source.text):
            message = "front matter never closed: end it with a `---` line"
            return error(self.source.display, 1, message)
        return FrontMatter()

    def run(self) -> ParsedFile:
        tokens = block_parser().parse(self.source.text)
        front = self._front_matter(tokens)
        if isinstance(front, Diagnostic):
            return ParsedFile((), (front,))
        self.diagnostics.extend(front.diagnostics)
        self.diagnostics.extend(unclosed_blocks(tokens, self.lines, self.source.display))
        headings, paragraphs = _structure(tokens)
        heads = [self._head(h, index, headings, front) for index, h in enumerate(headings)]
        # NFC: a file name written in another Unicode form (macOS writes NFD) is the same topic.
        stem = unicodedata.normalize("NFC", self.source.path.stem)
        topic = front.topic if front.topic is not None else stem
        deck = front.deck if front.deck is not None else self.source.deck
        sections: list[tuple[int, str]] = []
        for index, (heading, head) in enumerate(zip(headings, heads, strict=True)):
            # A heading closes every open section at its level or deeper.
            sections = [s for s in sections if s[0] < heading.level]
            if head is None:
                if heading.level > 1:  # a level-1 heading is the document title
                    sections.append((heading.level, markdown_text(heading.content).strip()))
                continue
            tag_parts = [slug(topic), *(slug(text) for _, text in sections)]
            topic_tag = "::".join(part for part in tag_parts if part)
            extra = (slug_tag(t) for t in front.tags)
            tags = tuple(dict.fromkeys(t for t in (topic_tag, *extra) if t))
            cards = head.cards or front.cards or PLAIN
            end, marker = self._body_end(index, headings, heads)
            body = _Body(heading.end, end, marker, paragraphs)
            self._note(head, heading, body, cards, _Place(topic, tags, deck))
        return ParsedFile(tuple(self.notes), tuple(self.diagnostics))

    def _head(
        self, heading: _Heading, index: int, headings: Sequence[_Heading], front: FrontMatter
    ) -> NoteHead | None:
        """The note this heading starts, or None; reports attributes it cannot read."""
        text = split_heading(heading.content)
        if text.problem is not None:
            self.diagnostics.append(error(self.source.display, heading.start + 1, text.problem))
            return None
        head = note_head(text)
        own_end = headings[index + 1].start if index + 1 < len(headings) else len(self.lines)
        marker = _first_marker(self.lines, heading.end, own_end)
        if head is None and marker is not None:
            if front.cards is not None and front.cards.kind == CLOZE:
                # In a cloze file, a heading whose own text holds markers is a cloze note.
                return note_head(text, always=True)
            message = (
                f"cloze markers under a heading that is not a note (line {heading.start + 1}); "
                "add {.cloze} to that heading to make them cards"
            )
            self.diagnostics.append(warning(self.source.display, marker + 1, message))
        return head

    def _body_end(
        self, index: int, headings: Sequence[_Heading], heads: Sequence[NoteHead | None]
    ) -> tuple[int, _Heading | None]:
        """Where a note's body stops, and its `Answer` heading if it has one."""
        level, marker = headings[index].level, None
        for later_index in range(index + 1, len(headings)):  # no slicing: O(body), not O(file)
            later, later_head = headings[later_index], heads[later_index]
            if marker is None and later_head is None and is_answer_heading(later.content):
                marker = later
            elif later_head is not None or later.level <= level:
                return later.start, marker
        return len(self.lines), marker

    def _marker_paragraph(self, paragraphs: Sequence[int], start: int, stop: int) -> int | None:
        for index in range(bisect_left(paragraphs, start), len(paragraphs)):
            line = paragraphs[index]
            if line >= stop:
                return None
            if ANSWER_PREFIX.match(self.lines[line]):
                return line
        return None

    def _parts(
        self, head: NoteHead, body: _Body, cloze: bool
    ) -> tuple[tuple[str, int], tuple[str, int]]:
        """(front Markdown, its first line) and (back Markdown, its first line), 0-based."""
        start, end, marker = body.start, body.end, body.answer_heading
        para = self._marker_paragraph(body.paragraphs, start, marker.start if marker else end)
        if para is not None:
            first = ANSWER_PREFIX.sub("", self.lines[para], count=1)
            text, offset = _chunk([first, *self.lines[para + 1 : end]], 0, end - para)
            return _chunk(self.lines, start, para), (text, para + offset)
        if marker is not None:
            return _chunk(self.lines, start, marker.start), _chunk(self.lines, marker.end, end)
        if head.prefixed or cloze:  # a cloze note's body is its text
            return _chunk(self.lines, start, end), ("", end)
        return ("", start), _chunk(self.lines, start, end)

    def _note(
        self, head: NoteHead, heading: _Heading, body: _Body, cards: CardSpec, place: _Place
    ) -> None:
        display, line = self.source.display, heading.start + 1
        if not head.title:
            self.diagnostics.append(error(display, line, "question heading has no question text"))
            return
        kind = KINDS[cards.kind]
        (detail, detail_line), (answer, answer_line) = self._parts(head, body, kind.is_cloze)
        note = SourceNote(
            key=head.key, question=head.title, detail=detail, answer=answer,
            topic=place.topic, tags=place.tags, path=self.source.path, display=display,
            line=line, detail_line=detail_line + 1, answer_line=answer_line + 1,
            kind=cards.kind, options=cards.options, deck=place.deck,
        )  # fmt: skip
        self._check(note, body)
        self.notes.append(note)

    def _check(self, note: SourceNote, body: _Body) -> None:
        cloze = KINDS[note.kind].is_cloze
        if not is_ready(note):
            message = (
                "cloze note has no {{c1::...}} markers; not added"
                if cloze
                else "question has no answer; not added"
            )
            self.diagnostics.append(warning(note.display, note.line, message))
        # Markers where Anki will not read them stay literal text on the card: say so.
        if cloze and note.answer:
            start = note.answer_line - 1
            message = (
                "cloze markers after a cloze note's answer marker are not hidden (that part "
                "is extra for the back); move them above it"
            )
        elif cloze:
            return
        else:
            start = body.start
            message = "cloze markers in a Q&A note stay literal text; add {.cloze} to its heading"
        stray = _first_marker(self.lines, start, body.end)
        if stray is not None:
            self.diagnostics.append(warning(note.display, stray + 1, message))


@dataclass(frozen=True, slots=True)
class _Body:
    start: int  # 0-based line after the heading
    end: int  # 0-based line where the body stops
    answer_heading: _Heading | None
    paragraphs: Sequence[int]


@dataclass(frozen=True, slots=True)
class _Place:
    topic: str
    tags: tuple[str, ...]
    deck: str


def parse_file(source: SourceFile) -> ParsedFile:
    """Every note in one file, ready or not, with located diagnostics.

    Notes without an answer (or without cloze markers) are kept, with a warning, so identity
    checks see every key; the build leaves them out of the deck.
    """
    return _FileParser(source).run()
