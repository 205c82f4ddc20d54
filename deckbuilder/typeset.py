r"""Where Anki's MathJax finds TeX in a card's HTML, found the way it finds it.

Whatever ends up as `\(...\)` or `\[...\]` in a card's text is typeset, wherever it came from:
this build's own math, but also `\\(` in prose (Markdown makes it `\(`), `&#92;(`, raw HTML,
a table cell, a link's text, a cloze hint. So the check reads each field's finished HTML
as MathJax 3 does (Anki's configuration: `\(` `\)` inline, `\[` `\]` display; no `$`, `$$`,
bare environments, `\ref` or `\$` outside them):

- the text of the page, character references read, with everything inside `code`, `pre`,
  `script`, `style`, `textarea` and MathML annotations left out (MathJax's `skipHtmlTags`:
  Anki typesets nothing inside inline code or code blocks);
- text is split into strings at every element except `<br>` (a newline), `<wbr>` and
  comments (nothing), as MathJax's `HTMLDomStrings` does: `\hr<wbr>ef` is `\href` to it;
- in each string, a start delimiter and the first end delimiter at brace depth 0 after it,
  skipping escaped characters (MathJax's `FindTeX`).

Beyond what MathJax itself would take, and so on the safe side: the whole field is read again
as one string, as if every element between two pieces of text were gone (a template that puts
two fields side by side, or a tag a browser drops); a start delimiter that is never closed
counts as a formula up to the end of its string, and text before an unopened end delimiter as
the end of one (the other half may be in the next field of the card).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

# MathJax's skipHtmlTags: it never looks inside these.
_SKIPPED = frozenset(
    ("script", "noscript", "style", "textarea", "pre", "code", "annotation", "annotation-xml")
)
# MathJax's includeHtmlTags: these stay part of the text around them.
_INCLUDED = {"br": "\n", "wbr": ""}
# A backslash, typed or as a character reference: without one there is no delimiter.
_MAYBE_TEX = re.compile(r"\\|&(#0*92(?![0-9])|#x0*5c(?![0-9a-f])|bsol;)", re.IGNORECASE)
_START = re.compile(r"\\\(|\\\[")
_CLOSE = {"\\(": "\\)", "\\[": "\\]"}
# As FindTeX's end pattern: the close delimiter, an escaped character, or a brace.
_END = {opening: re.compile(re.escape(close) + r"|\\.|[{}]") for opening, close in _CLOSE.items()}
_ANY_CLOSE = re.compile(r"\\\)|\\\]")


class _Strings(HTMLParser):
    """A field's text as MathJax's strings, and the same text as one string."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.strings: list[str] = []
        self.joined: list[str] = []
        self._current: list[str] = []
        self._skipping: str | None = None  # the skipped element we are inside
        self._depth = 0  # how many of that element are open

    def _split(self) -> None:
        if self._current:
            self.strings.append("".join(self._current))
            self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping is not None:
            self._depth += tag == self._skipping
        elif tag in _INCLUDED:
            self._current.append(_INCLUDED[tag])
            self.joined.append(_INCLUDED[tag])
        else:
            self._split()
            if tag in _SKIPPED:
                self._skipping, self._depth = tag, 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)  # `<span/>` opens a span in HTML: no end tag here

    def handle_endtag(self, tag: str) -> None:
        if self._skipping is None:
            self._split()
        elif tag == self._skipping:
            self._depth -= 1
            if not self._depth:
                self._skipping = None

    def handle_data(self, data: str) -> None:
        if self._skipping is None:
            self._current.append(data)
            self.joined.append(data)

    def close(self) -> None:
        super().close()
        self._split()


def _strings(html: str) -> list[str]:
    parser = _Strings()
    parser.feed(html)
    parser.close()
    return [*parser.strings, "".join(parser.joined)]


def _end_of(text: str, start: int, opening: str) -> re.Match[str] | None:
    """FindTeX's `findEnd`: the close delimiter at brace depth 0 after `start`."""
    braces = 0
    for match in _END[opening].finditer(text, start):
        token = match.group(0)
        if token == _CLOSE[opening] and braces == 0:
            return match
        if token == "{":
            braces += 1
        elif token == "}" and braces:
            braces -= 1
    return None


def _in_string(text: str) -> Iterator[str]:
    first_start = _START.search(text)
    head_end = _ANY_CLOSE.search(text, 0, first_start.start() if first_start else len(text))
    if head_end is not None:  # the end of a formula begun before this string
        yield text[: head_end.start()]
    position = 0
    while (start := _START.search(text, position)) is not None:
        end = _end_of(text, start.end(), start.group(0))
        if end is None:  # MathJax leaves it as text; it may be closed in the next field
            yield text[start.end() :]
            position = start.end()
            continue
        yield text[start.end() : end.start()]
        position = end.end()


def formulas(html: str) -> Iterator[str]:
    """The TeX of everything Anki's MathJax could typeset in this field's HTML."""
    if _MAYBE_TEX.search(html) is None:
        return
    for text in _strings(html):
        yield from _in_string(text)
