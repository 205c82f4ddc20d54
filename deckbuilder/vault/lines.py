"""A note's text as the lines the card parser reads.

The front matter is blanked (the plugin's `extractFrontmatter` keeps the line count so card
lines stay right), `<!-- -->` and `%% %%` comments and Obsidian block ids (`^id`) are removed,
and fenced code and `$$` blocks are marked as protected. Each line also carries a *masked*
copy of its text, of the same length, in which inline code and math are blanked out with
FILLER: every marker (separators, clozes, tags, wikilinks, highlights) is searched for in the
masked copy and cut from the real text at the same positions, so nothing inside code or math
is ever read as Obsidian syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FILLER = "\x00"  # not whitespace, not punctuation: no pattern here matches it

# Code spans (a backtick run closed by a run of the same length), `$$...$$` and `$...$` math on
# one line; an escaped opener is text. Math follows the renderer's dollarmath settings
# (spaces and digits allowed inside).
_INLINE_PROTECTED = re.compile(
    r"(?<!\\)(`+)(?!`).*?(?<!`)\1(?!`)"
    r"|(?<![\\$])\$\$(?!\$).+?(?<!\\)\$\$"
    r"|(?<![\\$])\$(?!\$)(?:\\.|[^$\\])+?\$"
)
_QUOTES = r"(?:[ \t]*>)*[ \t]*"  # fences may sit inside block quotes and list items
_FENCE_OPEN = re.compile(rf"^{_QUOTES}(`{{3,}}|~{{3,}})(.*)$")
_FENCE_CLOSE = re.compile(rf"^{_QUOTES}(`{{3,}}|~{{3,}})[ \t]*$")
_MATH_BLOCK_OPEN = re.compile(rf"^{_QUOTES}\$\$")
# The plugin's OBSIDIAN_BLOCK_ID_ENDOFLINE_REGEX (src/constants.ts): ` ^id` ending a line,
# letters, digits and dashes; alone on its line it names the block above it.
_BLOCK_ID = re.compile(r"(?:^|[ \t])\^([A-Za-z0-9-]+)[ \t]*$")
_COMMENT_CLOSERS = {"<!--": "-->", "%%": "%%"}
_COMMENT_OPENER = re.compile("<!--|%%")


@dataclass(frozen=True, slots=True)
class NoteLine:
    """One line of a note as the card parser sees it."""

    number: int  # 1-based line in the file
    text: str  # comments and block id removed
    masked: str  # `text` with inline code and math replaced by FILLER (same length)
    raw_blank: bool  # blank as written: where the plugin ends a card
    protected: bool  # fenced code or `$$` block: content, never syntax
    block_id: str = ""  # the `^id` this line ended with

    @property
    def transparent(self) -> bool:
        """Held only a comment or a block id: neither a blank line nor content."""
        return not self.raw_blank and not self.protected and not self.text.strip()


@dataclass(frozen=True, slots=True)
class ScannedNote:
    lines: tuple[NoteLine, ...]
    front_matter: str | None  # the YAML between the `---` lines, None without front matter
    problems: tuple[tuple[int, str], ...]  # (line, message): structures that never close


def mask_inline(text: str) -> str:
    """`text` with code spans and inline math blanked out, same length."""
    return _INLINE_PROTECTED.sub(lambda m: FILLER * len(m.group(0)), text)


def front_matter_end(lines: list[str]) -> int:
    """Index of the first line after the front matter; 0 when there is none.

    As the plugin's `extractFrontmatter` (src/util/utils.ts): `---` on the first line and a
    closing `---` line, both exact; without the closing line there is no front matter.
    """
    if not lines or lines[0] != "---":
        return 0
    for index in range(1, len(lines)):
        if lines[index] == "---":
            return index + 1
    return 0


def split_lines(text: str) -> list[str]:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


class _Scanner:
    """Line-by-line state: inside a fence, a `$$` block or a comment."""

    def __init__(self) -> None:
        self.fence: tuple[str, int] | None = None  # fence character and run length
        self.fence_line = 0
        self.math_line = 0  # where an open `$$` block started, 0 when none is open
        self.comment: str | None = None  # the closer awaited
        self.comment_line = 0

    def line(self, number: int, raw: str) -> NoteLine:
        if self.fence is not None or self.math_line:
            return self._protected_line(number, raw)
        if self.comment is None and self._opens_block(number, raw):
            return NoteLine(number, raw, FILLER * len(raw), False, True)
        text = self._without_comments(number, raw)
        text, block_id = _split_block_id(text)
        return NoteLine(number, text, mask_inline(text), not raw.strip(), False, block_id)

    def _protected_line(self, number: int, raw: str) -> NoteLine:
        if self.fence is not None:
            close = _FENCE_CLOSE.match(raw)
            char, length = self.fence
            if close and close.group(1)[0] == char and len(close.group(1)) >= length:
                self.fence = None
        elif "$$" in raw:
            self.math_line = 0
        return NoteLine(number, raw, FILLER * len(raw), False, True)

    def _opens_block(self, number: int, raw: str) -> bool:
        fence = _FENCE_OPEN.match(raw)
        if fence and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
            self.fence, self.fence_line = (fence.group(1)[0], len(fence.group(1))), number
            return True
        math = _MATH_BLOCK_OPEN.match(raw)
        if math and "$$" not in raw[math.end() :]:
            self.math_line = number
            return True
        return False

    def _without_comments(self, number: int, raw: str) -> str:
        """The line without its comments (and the parts of comments begun above it)."""
        masked = mask_inline(raw)  # a comment opener inside code is code
        kept: list[str] = [""] if self.comment is not None else []  # a comment sat first
        at = 0
        while at < len(raw):
            if self.comment is not None:
                end = raw.find(self.comment, at)
                if end < 0:
                    break
                at, self.comment = end + len(self.comment), None
                continue
            opener = _COMMENT_OPENER.search(masked, at)
            if opener is None:
                kept.append(raw[at:])
                break
            kept.append(raw[at : opener.start()])
            at = opener.end()
            self.comment, self.comment_line = _COMMENT_CLOSERS[opener.group()], number
        return raw if kept == [raw] else _joined(kept)

    def problems(self) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        if self.fence is not None:
            found.append((self.fence_line, "code fence never closes; the rest of the note is code"))
        if self.math_line:
            found.append((self.math_line, "`$$` math block never closes"))
        if self.comment is not None:
            opener = "%%" if self.comment == "%%" else "<!--"
            found.append(
                (
                    self.comment_line,
                    f"`{opener}` comment never closes; the rest of the note is hidden",
                )
            )
        return found


def _joined(parts: list[str]) -> str:
    """What is left of a line around its comments: one space where a comment sat between
    words, none at its end (two would be a Markdown hard break)."""
    text = parts[0] if parts else ""
    for part in parts[1:]:
        if text.strip():
            text = text.rstrip(" \t") + " " + part.lstrip(" \t")
        else:  # only indentation so far: keep it, and add none
            text += part.lstrip(" \t")
    return text.rstrip(" \t") if text.strip() else ""


def _split_block_id(text: str) -> tuple[str, str]:
    match = _BLOCK_ID.search(text)
    if match is None or FILLER in mask_inline(text)[match.start() :]:
        return text, ""
    return text[: match.start()].rstrip(), match.group(1)


def scan_note(text: str) -> ScannedNote:
    """Every line of a note, front matter blanked, comments and block ids removed."""
    raw_lines = split_lines(text)
    body_start = front_matter_end(raw_lines)
    scanner = _Scanner()
    lines = [
        NoteLine(index + 1, "", "", True, False)
        if index < body_start
        else scanner.line(index + 1, raw)
        for index, raw in enumerate(raw_lines)
    ]
    front_matter = "\n".join(raw_lines[1 : body_start - 1]) if body_start else None
    return ScannedNote(tuple(lines), front_matter, tuple(scanner.problems()))
