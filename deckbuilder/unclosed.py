"""Blocks that never close: a fence or raw HTML block that swallows everything after it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it.token import Token

from .diagnostics import Diagnostic, warning

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


def unclosed_blocks(
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
