"""What part of a note an embed shows: the whole note, a heading's section, or a block.

- `![[Note]]`: the note without its front matter.
- `![[Note#Heading]]`: the heading line and everything below it up to the next heading of
  the same or a higher level; `#A#B` is heading B inside A's section. Headings compare as
  Obsidian's links do: case, spacing and the characters a link cannot hold (`#^|[]:`) aside.
  Only ATX headings (`## Title`) are headings here.
- `![[Note#^id]]`: the block that ends with ` ^id`: its paragraph, or its list item with the
  items nested below it. An id alone on a line names the block right above it (a table, a
  list, a quote), which is how Obsidian marks those.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .lines import NoteLine

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$|^ {0,3}(#{1,6})[ \t]*$")
_LIST_ITEM = re.compile(r"^([ \t]*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_NOT_IN_LINKS = re.compile(r"[#^|\[\]:\\]+")


@dataclass(frozen=True, slots=True)
class Part:
    """The lines an embed shows (0-based, end exclusive), or why none."""

    start: int
    end: int
    problem: str = ""


def heading_level(line: NoteLine) -> tuple[int, str] | None:
    if line.protected:
        return None
    match = _HEADING.match(line.text)
    if match is None:
        return None
    hashes = match.group(1) or match.group(3)
    return len(hashes), match.group(2) or ""


def heading_key(text: str) -> str:
    """How a heading and a link's `#Heading` are compared."""
    return " ".join(_NOT_IN_LINKS.sub(" ", text).casefold().split())


def whole(lines: Sequence[NoteLine]) -> Part:
    first = next((i for i, line in enumerate(lines) if line.text.strip() or line.protected), 0)
    return Part(first, len(lines))


def section(lines: Sequence[NoteLine], headings: Sequence[str]) -> Part:
    """The section under a heading path such as `A#B`."""
    start, end = 0, len(lines)
    for wanted in headings:
        found = _heading_in(lines, start, end, heading_key(wanted))
        if found is None:
            return Part(0, 0, f'no heading "{wanted}"')
        start, end = found
    return Part(start, end)


def _heading_in(
    lines: Sequence[NoteLine], start: int, end: int, wanted: str
) -> tuple[int, int] | None:
    for index in range(start, end):
        heading = heading_level(lines[index])
        if heading is not None and heading_key(heading[1]) == wanted:
            return index, _section_end(lines, index, heading[0], end)
    return None


def _section_end(lines: Sequence[NoteLine], start: int, level: int, limit: int) -> int:
    for index in range(start + 1, limit):
        heading = heading_level(lines[index])
        if heading is not None and heading[0] <= level:
            return index
    return limit


def block(lines: Sequence[NoteLine], block_id: str) -> Part:
    wanted = block_id.casefold()
    for index, line in enumerate(lines):
        if line.block_id.casefold() == wanted:
            if not line.text.strip():
                return _block_above(lines, index)
            return _block_around(lines, index)
    return Part(0, 0, f"no block ^{block_id}")


def has_block(lines: Sequence[NoteLine], block_id: str) -> bool:
    return any(line.block_id.casefold() == block_id.casefold() for line in lines)


def _block_above(lines: Sequence[NoteLine], index: int) -> Part:
    end = index
    while end > 0 and _blank(lines[end - 1]):
        end -= 1
    start = end
    while start > 0 and not _blank(lines[start - 1]):
        start -= 1
    return Part(start, end)


def _block_around(lines: Sequence[NoteLine], index: int) -> Part:
    item = _LIST_ITEM.match(lines[index].text)
    if item is not None:
        return Part(index, _nested_end(lines, index, len(item.group(1).expandtabs(4))))
    if heading_level(lines[index]) is not None:
        return Part(index, index + 1)
    start = index
    while start > 0 and not _blank(lines[start - 1]) and heading_level(lines[start - 1]) is None:
        start -= 1
    return Part(start, index + 1)


def _nested_end(lines: Sequence[NoteLine], index: int, indent: int) -> int:
    """The line after a list item and the lines indented below it."""
    end = index + 1
    while end < len(lines) and not _blank(lines[end]):
        text = lines[end].text.expandtabs(4)
        if len(text) - len(text.lstrip()) <= indent:
            break
        end += 1
    return end


def _blank(line: NoteLine) -> bool:
    return line.raw_blank or (line.transparent and not line.block_id)
