"""Cloze markers: read from a note's Markdown, carried through rendering, written for Anki.

A cloze note's text holds Anki's markers, `{{c1::hidden}}` and `{{c2::hidden::hint}}`. They
are read here before Markdown is rendered, and replaced by private-use characters that
Markdown, Pygments, MathJax's delimiters and the sanitiser all pass through as plain text. After
rendering they become Anki's markers again, where the HTML lets Anki hide them cleanly: a
cloze that starts inside some formatting and ends outside it would leave half a tag on the
card once hidden, so that is an error naming the line.

The reading is Anki's own (rslib's cloze tokenizer: `{{cN::` opens, the first `::` starts the
hint, `}}` closes the innermost open cloze, clozes may nest), with one extension: inside a
cloze, a `}}` closes it only once braces opened inside it are closed, so that
`{{c1::\\frac{a}{b}}}` and `{{c1::{"a": {}}}}` hide what they say (Anki would stop at the first
`}}`). Inside a cloze, `\\:`, `\\{` and `\\}` are those characters as text (`{{c1::std\\::map}}`
hides `std::map`; the backslash goes, in code too). What is written for Anki is unambiguous
to its tokenizer: every `:` and `}` inside a cloze is written as a character reference,
which shows the same and means nothing to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPEN, OPEN_END, HINT, CLOSE = "\ue001", "\ue002", "\ue003", "\ue004"
SENTINELS = frozenset((OPEN, OPEN_END, HINT, CLOSE))
_OPENING = re.compile(r"\{\{c(\d+)::", re.IGNORECASE)
MAX_NESTING = 20


@dataclass(frozen=True, slots=True)
class Marker:
    number: int
    line: int  # 1-based file line of its `{{`


@dataclass(frozen=True, slots=True)
class Encoded:
    """Markdown with every marker replaced by sentinels, and the markers in text order."""

    text: str
    markers: tuple[Marker, ...]


@dataclass(frozen=True, slots=True)
class ClozeProblem:
    line: int
    message: str


def has_sentinels(text: str) -> bool:
    return any(char in SENTINELS for char in text)


class _Reader:
    """One pass over one Markdown text, a cloze at a time (recursive for nested ones)."""

    def __init__(self, text: str, first_line: int) -> None:
        self.text = text
        self.first_line = first_line
        self.out: list[str] = []
        self.markers: list[Marker] = []
        self.problems: list[ClozeProblem] = []
        self.depth = 0  # clozes open around the one being read

    def line_at(self, index: int) -> int:
        return self.first_line + self.text.count("\n", 0, index)

    def opening_at(self, index: int) -> re.Match[str] | None:
        if self.text.startswith("{{", index) and (index == 0 or self.text[index - 1] != "\\"):
            return _OPENING.match(self.text, index)
        return None

    def read(self) -> Encoded:
        index = 0
        while index < len(self.text):
            opening = self.opening_at(index)
            if opening is None:
                self.out.append(self.text[index])
                index += 1
                continue
            index = self.cloze(opening)
        return Encoded("".join(self.out), tuple(self.markers))

    def cloze(self, opening: re.Match[str]) -> int:
        """Read the cloze that `opening` starts; return the index after it."""
        number, start = int(opening.group(1)), opening.start()
        if self.depth >= MAX_NESTING:
            message = f"clozes nested more than {MAX_NESTING} deep"
            self.problems.append(ClozeProblem(self.line_at(start), message))
            self.out.append(self.text[start : opening.end()])
            return opening.end()
        marks = len(self.markers), len(self.out), len(self.problems)
        self.markers.append(Marker(number, self.line_at(start)))
        self.out.append(f"{OPEN}{number}{OPEN_END}")
        self.depth += 1
        end = self.body(opening.end(), balanced=True)
        if end is None:  # braces never balance: read it as Anki would, first `}}` wins
            self._rewind(marks[0] + 1, marks[1] + 1, marks[2])
            end = self.body(opening.end(), balanced=False)
        self.depth -= 1
        if end is None:
            self._rewind(*marks)
            message = f"cloze {{{{c{number}:: is never closed with }}}}"
            self.problems.append(ClozeProblem(self.line_at(start), message))
            self.out.append(self.text[start : opening.end()])
            return opening.end()
        if number == 0:
            self.problems.append(ClozeProblem(self.line_at(start), "cloze numbers start at c1"))
        return end

    def _rewind(self, markers: int, out: int, problems: int) -> None:
        del self.markers[markers:], self.out[out:], self.problems[problems:]

    def body(self, index: int, balanced: bool) -> int | None:
        """Read a cloze's text and hint from `index`; the index after its `}}`, or None."""
        depth, hinted = 0, False
        while index < len(self.text):
            opening = self.opening_at(index)
            if opening is not None:
                index = self.cloze(opening)
                continue
            char = self.text[index]
            if char == "\\" and self.text[index + 1 : index + 2] in (":", "{", "}"):
                self.out.append(self.text[index + 1])  # escaped: text, not hint or brace
                index += 2
                continue
            if self.text.startswith("}}", index) and (depth == 0 or not balanced):
                self.out.append(CLOSE)
                return index + 2
            if self.text.startswith("::", index) and depth == 0 and not hinted:
                self.out.append(HINT)
                hinted, index = True, index + 2
                continue
            if balanced and char == "{":
                depth += 1
            elif balanced and char == "}" and depth:
                depth -= 1
            self.out.append(char)
            index += 1
        return None


def encode(markdown: str, first_line: int) -> tuple[Encoded, list[ClozeProblem]]:
    """Markers read from `markdown` (whose first line is file line `first_line`)."""
    reader = _Reader(markdown, first_line)
    encoded = reader.read()
    return encoded, reader.problems


# --- back to Anki's markers -----------------------------------------------------------

_VOID = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr")
)  # fmt: skip
_PIECES = re.compile(rf"<[^>]*>|{OPEN}[0-9]+{OPEN_END}|[{HINT}{CLOSE}]|[^<{OPEN}{HINT}{CLOSE}]+")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
# An escaped marker (`\{{c1::` in the Markdown) is text: Anki must not read it as one.
_LITERAL = re.compile(r"\{\{(c\d+::)", re.IGNORECASE)


def _escape_inside(text: str) -> str:
    return text.replace(":", "&#58;").replace("}", "&#125;")


@dataclass(slots=True)
class _Frame:
    number: int
    line: int
    depth: int  # open tags around its start


def _tag_move(piece: str, tags: list[str]) -> bool:
    """Apply a tag to the open-tag stack; False when it closes a tag that is not open."""
    found = _TAG.match(piece)
    if found is None:
        return True  # a comment or doctype: nothing opens or closes
    closing, name = found.group(1) == "/", found.group(2).lower()
    if not closing:
        if name not in _VOID and not piece.endswith("/>"):
            tags.append(name)
        return True
    if not tags or tags[-1] != name:
        return False
    tags.pop()
    return True


def decode(html: str, markers: tuple[Marker, ...]) -> str | ClozeProblem:
    """Rendered HTML with sentinels, as HTML with Anki's markers; or where a cloze breaks it."""
    html = _LITERAL.sub(r"{&#123;\1", html)
    out: list[str] = []
    tags: list[str] = []
    frames: list[_Frame] = []
    seen = 0
    for piece in _PIECES.findall(html):
        if piece.startswith(OPEN):
            if seen >= len(markers):
                return ClozeProblem(markers[-1].line if markers else 1, FORGED)
            marker = markers[seen]
            seen += 1
            frames.append(_Frame(marker.number, marker.line, len(tags)))
            out.append(f"{{{{c{marker.number}::")
        elif piece in (HINT, CLOSE):
            if not frames or len(tags) != frames[-1].depth:
                line = frames[-1].line if frames else 1
                return ClozeProblem(line, _crosses(frames[-1].number if frames else 0))
            if piece == CLOSE:
                frames.pop()
            out.append("::" if piece == HINT else "}}")
        elif piece.startswith("<"):
            if any(char in piece for char in SENTINELS):
                return ClozeProblem(_line_of(frames, markers, seen), _IN_TAG)
            if not _tag_move(piece, tags) or (frames and len(tags) < frames[-1].depth):
                return ClozeProblem(frames[-1].line, _crosses(frames[-1].number))
            out.append(piece)
        else:
            out.append(_escape_inside(piece) if frames else piece)
    if frames or seen != len(markers):
        return ClozeProblem(_line_of(frames, markers, seen), _LOST)
    written = "".join(out)
    if has_sentinels(written):
        return ClozeProblem(_line_of(frames, markers, seen), FORGED)
    return written


def _line_of(frames: list[_Frame], markers: tuple[Marker, ...], seen: int) -> int:
    if frames:
        return frames[-1].line
    return markers[min(seen, len(markers) - 1)].line if markers else 1


def _crosses(number: int) -> str:
    return (
        f"cloze c{number} starts and ends in different places of the formatting (one inside "
        "**bold**, a link, a list item or a paragraph and one outside); Anki would hide half "
        "of it: put the whole cloze inside or outside"
    )


_IN_TAG = "cloze marker inside a link target or an image description, where Anki cannot hide it"
_LOST = (
    "cloze marker inside a link target, an image, or HTML the sanitiser removed, where Anki "
    "cannot hide it; keep markers in the text"
)
FORGED = "note contains the private-use characters U+E001 to U+E004, which cloze markers use"


def numbers(markers: tuple[Marker, ...]) -> list[int]:
    return sorted({marker.number for marker in markers if marker.number > 0})


# --- what Anki shows of a cloze text, card by card -------------------------------------

_SENTINEL = re.compile(f"{OPEN}([0-9]+){OPEN_END}|[{HINT}{CLOSE}]")


@dataclass(slots=True)
class _Shown:
    number: int
    text: list[str]
    hint: list[str] | None = None  # once the cloze's `::` is read

    def add(self, piece: str) -> None:
        (self.text if self.hint is None else self.hint).append(piece)


def _shown(text: str, hidden: int | None) -> str:
    """Text with sentinels as Anki shows it: cloze `hidden` as `[...]` or `[hint]`, every other
    cloze as its text (inside math Anki writes it bare, without a `<span>` around it)."""
    top = _Shown(0, [])
    stack = [top]
    position = 0
    for found in _SENTINEL.finditer(text):
        stack[-1].add(text[position : found.start()])
        position = found.end()
        if found.group(1) is not None:
            stack.append(_Shown(int(found.group(1)), []))
        elif found.group(0) == HINT and len(stack) > 1:
            stack[-1].hint = []
        elif len(stack) > 1:
            done = stack.pop()
            hint = "".join(done.hint) if done.hint is not None else "..."
            stack[-1].add(f"[{hint}]" if done.number == hidden else "".join(done.text))
    stack[-1].add(text[position:])
    while len(stack) > 1:  # never closed: decode() reports it; show its text meanwhile
        stack[-2].add("".join(stack.pop().text))
    return "".join(top.text)


def views(text: str) -> list[str]:
    """Every way Anki can show a text with sentinels: all revealed (every back), and with each
    number hidden (that card's front). What one card hides, the others show in place."""
    hidden = sorted({int(number) for number in re.findall(f"{OPEN}([0-9]+){OPEN_END}", text)})
    return [_shown(text, None), *(_shown(text, number) for number in hidden)]
