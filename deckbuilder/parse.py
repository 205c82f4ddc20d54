"""Markdown text to source notes: questions, question detail, answers, tags, line numbers.

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

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .diagnostics import Diagnostic, error, warning
from .discover import SourceFile

_MARK = r"(?:question|q)"
_ANSWER = r"(?:answer|a)"


def _prefix_pattern(word: str) -> re.Pattern[str]:
    # `Word:`, `**Word:**`, `**Word**:` (and the `__` spellings), any case.
    return re.compile(
        rf"^[ \t]*(?:(\*\*|__){word}[ \t]*:[ \t]*\1|(\*\*|__){word}\2[ \t]*:|{word}[ \t]*:)[ \t]*",
        re.IGNORECASE,
    )


QUESTION_PREFIX = _prefix_pattern(_MARK)
ANSWER_PREFIX = _prefix_pattern(_ANSWER)
EXPLICIT_KEY = re.compile(r"[ \t]*\{#([A-Za-z0-9][A-Za-z0-9_.:-]*)\}[ \t]*$")
FRONT_MATTER_KEYS = ("topic", "tags")
# The opening line the front matter plugin accepts; without a closing line it is silently
# read as a rule and paragraphs, so the YAML would end up on cards.
FRONT_MATTER_OPEN = re.compile(r"^-{3,}[ \t]*(?:\n|$)")
# CommonMark's raw HTML blocks that end only at an end marker, not at a blank line.
RAW_HTML_BLOCKS = tuple(
    (
        re.compile(rf"^ {{0,3}}({opening})", re.IGNORECASE),
        re.compile(closing, re.IGNORECASE),
        label,  # how the message shows the opening; {} is the opening as written
    )
    for opening, closing, label in (
        (r"<(?:script|pre|style|textarea)(?=[\s>]|$)", r"</(?:script|pre|style|textarea)>", "{}>"),
        (r"<!--", r"-->", "{}"),
        (r"<\?", r"\?>", "{}"),
        (r"<![A-Za-z]", r">", "<!"),
        (r"<!\[CDATA\[", r"\]\]>", "{}"),
    )
)
ANSWER_HEADING = re.compile(r"^[ \t]*(\*\*|__)?answer(\1)?[ \t]*:?[ \t]*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SourceNote:
    """One question as written: Markdown parts, where each part starts, and its tags."""

    key: str
    question: str
    detail: str
    answer: str
    topic: str
    tags: tuple[str, ...]
    path: Path
    display: str
    line: int
    detail_line: int
    answer_line: int

    @property
    def location(self) -> str:
        return f"{self.display}:{self.line}"

    def placed(self) -> SourceNote:
        """This note without its Markdown: what it is and where, all that is needed of it
        once rendered. A large deck's Markdown need not stay in memory beside its HTML."""
        return replace(self, question="", detail="", answer="")


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


@dataclass(frozen=True, slots=True)
class _FrontMatter:
    topic: str | None
    tags: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...] = ()


def _commonmark() -> MarkdownIt:
    from mdit_py_plugins.front_matter import front_matter_plugin

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(front_matter_plugin)


@cache
def _parser() -> MarkdownIt:
    return _commonmark()


@cache
def block_parser() -> MarkdownIt:
    """Block structure only: inline Markdown (half the parsing time) stays unparsed text."""
    return _commonmark().disable("inline")


def plain_text(markdown: str) -> str:
    """The readable text of inline Markdown: what a person sees, without markup."""
    parts: list[str] = []
    for token in _parser().parseInline(markdown):
        for child in token.children or ():
            if child.type in ("text", "code_inline", "html_inline"):
                parts.append(child.content if child.type != "html_inline" else "")
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
    return "".join(parts)


def normalise_key(text: str) -> str:
    """Identity key of a question: case, spacing and Unicode form do not matter."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def slug(text: str) -> str:
    """A tag part: Anki tags cannot hold spaces, and `::` separates hierarchy levels."""
    return re.sub(r"[^\w.+#-]+", "-", unicodedata.normalize("NFKC", text).casefold()).strip("-.")


def _load_yaml(token: Token, display: str) -> object:
    """The front matter's data, or a located reason it is not YAML."""
    try:
        return yaml.safe_load(token.content) if token.content.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + mark.line if mark is not None else 1
        return error(
            display, line, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}"
        )
    except RecursionError:  # PyYAML recurses once per nesting level: `[[[[...` is hostile
        return error(display, 1, "front matter nests too deeply")


def _is_text_value(value: object) -> bool:
    # `yes`, `true` and dates are YAML types of their own: as a topic they are a typo.
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _front_matter(token: Token, display: str) -> _FrontMatter | Diagnostic:
    data = _load_yaml(token, display)
    if isinstance(data, Diagnostic):
        return data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return error(display, 1, "front matter must be a mapping of keys (topic:, tags:)")
    topic = data.get("topic")
    if topic is not None and not (_is_text_value(topic) and str(topic).strip()):
        return error(display, 1, "front matter `topic:` must be a single, non-empty text value")
    tags = data.get("tags", [])
    if isinstance(tags, str):
        tags = tags.split()
    if not isinstance(tags, list) or not all(_is_text_value(t) for t in tags):
        return error(display, 1, "front matter `tags:` must be a list of text values")
    return _FrontMatter(
        topic=None if topic is None else str(topic),
        tags=tuple(str(t) for t in tags),
        diagnostics=_unknown_keys(data, display),
    )


def _unknown_keys(data: dict[object, object], display: str) -> tuple[Diagnostic, ...]:
    # A typo (`tag:`) would otherwise be ignored without a word; other tools' keys
    # (`aliases:`) are harmless, hence a warning rather than an error.
    known = ", ".join(f"{key}:" for key in FRONT_MATTER_KEYS)
    return tuple(
        warning(display, 1, f"unknown front matter key {str(key)!r} ignored (known: {known})")
        for key in data
        if key not in FRONT_MATTER_KEYS
    )


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


def _is_closing_fence(line: str, markup: str) -> bool:
    # Container prefixes (`>` quotes, list indentation) come before a nested closing fence.
    text = line.lstrip(" \t>").rstrip()
    return len(text) >= len(markup) and text == markup[0] * len(text)


def _unclosed_html(content: str) -> str | None:
    """The opening of a raw HTML block that runs on until its end marker, if it has none."""
    for opening, closing, label in RAW_HTML_BLOCKS:
        if started := opening.match(content):
            unclosed = not closing.search(content, started.end())
            return label.format(started.group(1).lower()) if unclosed else None
    return None


def _unclosed_blocks(
    tokens: Sequence[Token], lines: Sequence[str], display: str
) -> list[Diagnostic]:
    """A fence or a raw `<script>`/`<!--` block that never closes runs to the end of its
    container, swallowing every question after it without a word: say where it starts."""
    found = []
    for token in tokens:
        if token.map is None:
            continue
        start, end = token.map
        if token.type == "fence" and (
            end - 1 <= start or not _is_closing_fence(lines[end - 1], token.markup)
        ):
            found.append(warning(display, start + 1, "code fence never closed"))
        elif token.type == "html_block" and (shown := _unclosed_html(token.content)):
            message = f"raw HTML `{shown}` never closed: it hides everything after it"
            found.append(warning(display, start + 1, message))
    return found


@dataclass(frozen=True, slots=True)
class _QuestionHead:
    title: str  # inline Markdown shown on the card
    key: str
    prefixed: bool


def _question_head(heading: _Heading) -> _QuestionHead | None:
    """The question a heading asks, or None for a section heading."""
    content = heading.content
    explicit = EXPLICIT_KEY.search(content)
    if explicit:
        content = content[: explicit.start()]
    prefix = QUESTION_PREFIX.match(content)
    title = content[prefix.end() :].strip() if prefix else content.strip()
    text = plain_text(title).strip()
    if not prefix and not text.endswith("?"):
        return None
    key = f"#{explicit.group(1)}" if explicit else normalise_key(text)
    return _QuestionHead(title=title, key=key, prefixed=prefix is not None)


def _is_answer_heading(heading: _Heading) -> bool:
    return bool(ANSWER_HEADING.match(plain_text(heading.content)))


def _chunk(lines: Sequence[str], start: int, end: int) -> tuple[str, int]:
    """Markdown of lines[start:end] without surrounding blank lines, and its 0-based first line."""
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end]), start


class _Parser:
    """One pass over one file's headings; holds nothing between files."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.lines = source.text.split("\n")
        self.notes: list[SourceNote] = []
        self.diagnostics: list[Diagnostic] = []

    def run(self) -> ParsedFile:
        tokens = block_parser().parse(self.source.text)
        front = _FrontMatter(topic=None, tags=())
        if tokens and tokens[0].type == "front_matter":
            parsed = _front_matter(tokens[0], self.source.display)
            if isinstance(parsed, Diagnostic):
                return ParsedFile((), (parsed,))
            front = parsed
        elif FRONT_MATTER_OPEN.match(self.source.text):
            message = "front matter never closed: end it with a `---` line"
            return ParsedFile((), (error(self.source.display, 1, message),))
        self.diagnostics.extend(front.diagnostics)
        self.diagnostics.extend(_unclosed_blocks(tokens, self.lines, self.source.display))
        topic = front.topic if front.topic is not None else self.source.path.stem
        headings, paragraphs = _structure(tokens)
        heads = [_question_head(h) for h in headings]
        sections: list[tuple[int, str]] = []
        for index, (heading, head) in enumerate(zip(headings, heads, strict=True)):
            # A heading closes every open section at its level or deeper.
            sections = [s for s in sections if s[0] < heading.level]
            if head is None:
                if heading.level > 1:  # a level-1 heading is the document title
                    sections.append((heading.level, plain_text(heading.content).strip()))
                continue
            tag_parts = [slug(topic), *(slug(text) for _, text in sections)]
            topic_tag = "::".join(part for part in tag_parts if part)
            extra = (slug_tag(t) for t in front.tags)
            tags = tuple(dict.fromkeys(t for t in (topic_tag, *extra) if t))
            end, marker = self._body_end(index, headings, heads)
            self._question(head, heading, end, marker, paragraphs, topic, tags)
        return ParsedFile(tuple(self.notes), tuple(self.diagnostics))

    def _body_end(
        self, index: int, headings: Sequence[_Heading], heads: Sequence[_QuestionHead | None]
    ) -> tuple[int, _Heading | None]:
        """Where a question's body stops, and its `Answer` heading if it has one."""
        level, marker = headings[index].level, None
        for later_index in range(index + 1, len(headings)):  # no slicing: O(body), not O(file)
            later, later_head = headings[later_index], heads[later_index]
            if marker is None and later_head is None and _is_answer_heading(later):
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

    def _question(
        self,
        head: _QuestionHead,
        heading: _Heading,
        end: int,
        marker: _Heading | None,
        paragraphs: Sequence[int],
        topic: str,
        tags: tuple[str, ...],
    ) -> None:
        display, line = self.source.display, heading.start + 1
        if not head.title:
            self.diagnostics.append(error(display, line, "question heading has no question text"))
            return
        body_start = heading.end
        para = self._marker_paragraph(paragraphs, body_start, marker.start if marker else end)
        if para is not None:
            detail = _chunk(self.lines, body_start, para)
            first = ANSWER_PREFIX.sub("", self.lines[para], count=1)
            text, offset = _chunk([first, *self.lines[para + 1 : end]], 0, end - para)
            answer = (text, para + offset)
        elif marker is not None:
            detail = _chunk(self.lines, body_start, marker.start)
            answer = _chunk(self.lines, marker.end, end)
        elif head.prefixed:
            detail, answer = _chunk(self.lines, body_start, end), ("", end)
        else:
            detail, answer = ("", body_start), _chunk(self.lines, body_start, end)
        if not answer[0]:
            self.diagnostics.append(warning(display, line, "question has no answer; not added"))
        self.notes.append(
            SourceNote(
                key=head.key,
                question=head.title,
                detail=detail[0],
                answer=answer[0],
                topic=topic,
                tags=tags,
                path=self.source.path,
                display=display,
                line=line,
                detail_line=detail[1] + 1,
                answer_line=answer[1] + 1,
            )
        )


def slug_tag(tag: str) -> str:
    """A front-matter tag, slugged part by part so `a::b c` stays hierarchical."""
    return "::".join(part for part in (slug(p) for p in tag.split("::")) if part)


def parse_file(source: SourceFile) -> ParsedFile:
    """Every question in one file, answered or not, with located diagnostics.

    Unanswered questions are kept (with a warning) so identity checks see every key.
    """
    return _Parser(source).run()
