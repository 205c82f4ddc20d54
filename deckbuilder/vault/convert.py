"""Obsidian Markdown on a card to the CommonMark (with `$` math) the renderer reads.

- `![[image.png]]`, `![[image.png|300]]` (`|300x200`, `|alt|300`): a Markdown image with a
  path from the card's note to the resolved file, `{width=300}` after it for a size (the
  markdown-it attrs plugin's syntax), the file listed as media. Missing: a warning, and the
  name shown as text. `![alt](path)` images with a local path are resolved the same way (so
  they still work when embedded from a note in another folder); remote ones stay as written.
- `![[Note]]`, `![[Note#Heading]]`, `![[Note#^block]]`: the embedded text, converted the same
  way, at most MAX_EMBED_DEPTH deep and never into itself. Missing: a warning at the embed's
  line, and the link's text shown instead.
- `[[Note]]` is `Note`, `[[Note|alias]]` is `alias`, `[[Note#Heading]]` is `Note > Heading`
  (Obsidian's own rendering), `[[Note#^block]]` is `Note`, `[[#Heading]]` is `Heading`.
- `> [!tip]- Title`: a quote whose first line is `**Title**` (or the type, `**Tip**`).
- `==text==`: `<mark>text</mark>`.

Nothing inside code spans, fenced code or math is touched.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from ..diagnostics import Diagnostic, warning
from . import embeds
from .index import VaultIndex, is_image
from .lines import FILLER, ScannedNote, mask_inline, scan_note

MAX_EMBED_DEPTH = 5
# Embeds multiply (ten embeds of a note with ten embeds...): a note's cards may show at most
# this much embedded text in all; past it an embed shows its link text, with one warning.
MAX_EMBEDDED_CHARACTERS = 1_000_000
_LINK = re.compile(
    r"(?P<bang>!?)\[\[(?P<inner>[^\[\]\n]+?)\]\]"
    r"|!\[(?P<alt>[^\]\n]*)\]\(\s*(?P<dest><[^<>\n]*>|[^\s()<>]+)"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)"
)
_REMOTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
_SIZE = re.compile(r"^(\d+)(?:x(\d+))?$")
_HIGHLIGHT = re.compile(r"==(?![\s=])(.+?)(?<![\s=])==")
_CALLOUT = re.compile(
    r"^(?P<quote>(?:[ \t]*>)+)[ \t]*\[!(?P<kind>[^\]\s]+)\][+-]?[ \t]*(?P<title>.*)$"
)
_QUOTE_PREFIX = re.compile(r"^(?:[ \t]*>)+[ \t]?")
_LIST_PREFIX = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+$")
_ESCAPED = re.compile(r"([\\`*_\[\]<>#!|~$])")


@dataclass(frozen=True, slots=True)
class Piece:
    """One line of card text on its way to CommonMark."""

    number: int  # the line in the file it came from
    text: str
    protected: bool = False  # fenced code or math: passed through as it is

    @property
    def masked(self) -> str:
        return FILLER * len(self.text) if self.protected else mask_inline(self.text)


@dataclass(frozen=True, slots=True)
class _Where:
    """Where converted text comes from, and where its problems are reported."""

    source: str  # the vault path of the note the text is in
    line: int | None  # report here (an embed's line); None: at each piece's own line
    chain: tuple[tuple[str, str], ...] = ()  # the embeds being expanded, outermost first
    via: str = ""  # ` (in the embed of X.md)` for problems inside an embed

    def at(self, piece: Piece) -> int:
        return piece.number if self.line is None else self.line


@dataclass(frozen=True, slots=True)
class _Link:
    embed: bool
    path: str  # as written, "" for a link into the same note
    subpath: str  # after the first `#`: `Heading`, `A#B` or `^block`
    label: str  # after `|`, "" when none
    size: str  # `300` or `300x200` for images


def escape(text: str) -> str:
    """Text shown as itself: Markdown punctuation backslash-escaped."""
    return _ESCAPED.sub(r"\\\1", text)


@dataclass
class Converter:
    """Converts the cards of one note; collects the files they show and what went wrong."""

    index: VaultIndex
    note: str  # vault path of the note whose cards these are
    display: str
    media: dict[Path, None] = field(default_factory=dict)  # in order of first use
    diagnostics: dict[Diagnostic, None] = field(default_factory=dict)  # each problem once
    _scanned: dict[str, ScannedNote | None] = field(default_factory=dict)
    _embedded: int = 0  # characters of embedded text so far

    def convert(self, pieces: Sequence[Piece]) -> str:
        return self._convert(pieces, _Where(self.note, None))

    def _convert(self, pieces: Sequence[Piece], where: _Where) -> str:
        converted = [
            piece.text if piece.protected else self._inline(piece, where)
            for piece in callouts(pieces)
        ]
        return "\n".join(converted).strip("\n")

    def _inline(self, piece: Piece, where: _Where) -> str:
        # Highlights first: embedded text comes converted, its code blocks no longer marked.
        text = highlights(piece.text)
        masked = mask_inline(text)
        out: list[str] = []
        done = 0
        for match in _LINK.finditer(masked):
            out.append(text[done : match.start()])
            original = text[match.start() : match.end()]
            replacement = self._link(match, original, piece, where)
            out.append(_continued(replacement, "".join(out).rsplit("\n", 1)[-1]))
            done = match.end()
        out.append(text[done:])
        return "".join(out)

    def _link(self, match: re.Match[str], original: str, piece: Piece, where: _Where) -> str:
        if match.group("inner") is None:
            return self._markdown_image(match, original, piece, where)
        link = _parse_link(original[2 + len(match.group("bang")) : -2], bool(match.group("bang")))
        if not link.embed:
            return _link_text(link)
        return self._embed(link, piece, where)

    def _embed(self, link: _Link, piece: Piece, where: _Where) -> str:
        target = where.source if not link.path else self.index.resolve(link.path, where.source)
        if target is None:
            kind = "attachment" if posixpath.splitext(link.path)[1] else "embedded note"
            self._warn(piece, where, f"{kind} not found: {link.path}; shown as its name")
            return escape(_link_text(link))
        if is_image(target):
            return self._image(target, link.label or posixpath.basename(link.path), link.size)
        if not target.casefold().endswith(".md"):
            self._warn(piece, where, f"embedded file {target} is not shown on cards; its name is")
            return escape(_link_text(link))
        return self._embed_note(target, link, piece, where)

    def _image(self, target: str, alt: str, size: str = "") -> str:
        self._add_media(target)
        relative = posixpath.relpath(target, posixpath.dirname(self.note) or ".")
        sized = _SIZE.match(size)
        attributes = ""
        if sized:
            height = f" height={sized.group(2)}" if sized.group(2) else ""
            attributes = f"{{width={sized.group(1)}{height}}}"
        alt_text = alt.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
        return f"![{alt_text}](<{relative}>){attributes}"

    def _markdown_image(
        self, match: re.Match[str], original: str, piece: Piece, where: _Where
    ) -> str:
        destination = match.group("dest").strip("<>")
        if _REMOTE.match(destination):
            return original  # the integrator decides what remote images may do
        wanted = unquote(destination.split("#", 1)[0].split("?", 1)[0])
        target = self.index.resolve(wanted, where.source)
        alt = original[2 : 2 + len(match.group("alt"))]
        if target is None:
            self._warn(piece, where, f"image not found: {wanted}; shown as its name")
            return alt or escape(posixpath.basename(wanted))
        self._add_media(target)
        relative = posixpath.relpath(target, posixpath.dirname(self.note) or ".")
        return f"![{alt}](<{relative}>)"

    def _add_media(self, target: str) -> None:
        self.media[self.index.absolute(target)] = None

    def _embed_note(self, target: str, link: _Link, piece: Piece, where: _Where) -> str:
        key = (target.casefold(), link.subpath.casefold())
        shown = escape(_link_text(link))
        if key in where.chain:
            self._warn(piece, where, f"embed of {target} includes itself; not expanded")
            return shown
        if len(where.chain) >= MAX_EMBED_DEPTH:
            self._warn(piece, where, f"embeds nest deeper than {MAX_EMBED_DEPTH}; not expanded")
            return shown
        if self._embedded > MAX_EMBEDDED_CHARACTERS:
            return shown  # warned once, when the limit was passed
        scanned = self._scan(target)
        if scanned is None:
            self._warn(piece, where, f"embedded note {target} cannot be read as UTF-8")
            return shown
        part = _part(scanned, link.subpath)
        if part.problem:
            hint = self._found_elsewhere(link.subpath, target)
            self._warn(
                piece, where, f"embed ![[{_written(link)}]]: {target} has {part.problem}{hint}"
            )
            return shown
        pieces = [
            Piece(line.number, line.text, line.protected)
            for line in scanned.lines[part.start : part.end]
            if not line.transparent
        ]
        inner = _Where(target, where.at(piece), (*where.chain, key), f" (in the embed of {target})")
        text = self._convert(pieces, inner)
        if self._embedded <= MAX_EMBEDDED_CHARACTERS < self._embedded + len(text):
            limit = f"{MAX_EMBEDDED_CHARACTERS:,}"
            self._warn(
                piece, where, f"embeds show over {limit} characters; the rest are not expanded"
            )
        self._embedded += len(text)
        return text

    def _scan(self, target: str) -> ScannedNote | None:
        if target not in self._scanned:
            text = self.index.note_text(target)
            self._scanned[target] = None if text is None else scan_note(text)
        return self._scanned[target]

    def _found_elsewhere(self, subpath: str, target: str) -> str:
        """A block id is easily copied from the wrong note: say where it really is."""
        if not subpath.startswith("^"):
            return ""
        for note in self.index.notes():
            scanned = self._scan(note) if note != target else None
            if scanned is not None and embeds.has_block(scanned.lines, subpath[1:]):
                return f" (it is in {note})"
        return ""

    def _warn(self, piece: Piece, where: _Where, message: str) -> None:
        # An embed shown twice has its problems once.
        self.diagnostics[warning(self.display, where.at(piece), message + where.via)] = None


def _parse_link(inner: str, embed: bool) -> _Link:
    parts = inner.replace("\\|", "|").split("|")
    target, rest = parts[0].strip(), [part.strip() for part in parts[1:]]
    path, _, subpath = target.partition("#")
    size = next((part for part in reversed(rest) if embed and _SIZE.match(part)), "")
    labels = [part for part in rest if part != size or not size]
    return _Link(embed, path.strip(), subpath.strip(), labels[0] if labels else "", size)


def _link_text(link: _Link) -> str:
    if link.label:
        return link.label
    name = link.path[:-3] if link.path.casefold().endswith(".md") else link.path
    headings = [] if link.subpath.startswith("^") else [h for h in link.subpath.split("#") if h]
    shown = " > ".join([name] * bool(name) + headings)
    return shown or link.subpath


def _written(link: _Link) -> str:
    return link.path + (f"#{link.subpath}" if link.subpath else "")


def _part(scanned: ScannedNote, subpath: str) -> embeds.Part:
    if not subpath:
        return embeds.whole(scanned.lines)
    if subpath.startswith("^"):
        return embeds.block(scanned.lines, subpath[1:])
    return embeds.section(scanned.lines, [h for h in subpath.split("#") if h])


def _continued(text: str, line_so_far: str) -> str:
    """Multi-line embedded text placed after a quote marker or a list marker stays inside
    that quote or list item."""
    if "\n" not in text:
        return text
    if _LIST_PREFIX.match(line_so_far):
        prefix = " " * len(line_so_far.expandtabs(4))
    elif not line_so_far.strip(" \t>"):
        prefix = line_so_far
    else:
        return text
    return text.replace("\n", "\n" + prefix)


def highlights(text: str) -> str:
    """`==text==` as `<mark>text</mark>`, outside code and math."""
    masked = mask_inline(text)
    out: list[str] = []
    done = 0
    for match in _HIGHLIGHT.finditer(masked):
        out += [
            text[done : match.start()],
            "<mark>",
            text[match.start(1) : match.end(1)],
            "</mark>",
        ]
        done = match.end()
    out.append(text[done:])
    return "".join(out)


def callouts(pieces: Sequence[Piece]) -> list[Piece]:
    """`> [!kind]± Title` as `> **Title**`, then an empty quote line so the title stands as
    its own paragraph above the callout's content."""
    out: list[Piece] = []
    for index, piece in enumerate(pieces):
        match = None if piece.protected else _CALLOUT.match(piece.text)
        if match is None:
            out.append(piece)
            continue
        kind = match.group("kind")
        title = match.group("title").strip() or kind[:1].upper() + kind[1:].lower()
        quote = match.group("quote").rstrip(" \t")
        out.append(Piece(piece.number, f"{quote} **{title}**"))
        following = pieces[index + 1] if index + 1 < len(pieces) else None
        if following is not None and _QUOTE_PREFIX.match(following.text):
            out.append(Piece(piece.number, quote))
    return out
