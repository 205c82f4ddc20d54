"""Obsidian tags: in the front matter and inline, which are flashcard tags, and decks.

An inline tag is `#` after whitespace or the start of a line, then letters, digits, `_`, `-`
and `/`, with at least one character that is not a digit (Obsidian's tag format; `#1984` is
not a tag). Matching against the plugin's flashcard tags is exact and case-sensitive, as its
`SettingsUtil.isFlashcardTag`: a tag is one when it equals a flashcard tag or is nested below
one (`#flashcards/sub`), and the nested part is the deck.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import yaml

from .lines import FILLER
from .settings import VaultSettings

_INLINE_TAG = re.compile(r"(?<!\S)#([\w/-]+)")
# The plugin's OBSIDIAN_TAG_AT_STARTOFLINE_REGEX (src/constants.ts): a question-specific tag
# is one at the very start of the card's text.
_LEADING_TAG = re.compile(r"^[ \t]*#([\w/-]+)")


@dataclass(frozen=True, slots=True)
class TagMatch:
    start: int
    end: int
    name: str  # without `#`


def inline_tags(masked: str) -> Iterator[TagMatch]:
    """Tags in a line's masked text: code and math never hold one."""
    for match in _INLINE_TAG.finditer(masked):
        name = match.group(1).rstrip("/")
        if FILLER not in name and not name.replace("/", "").isdigit() and name:
            yield TagMatch(match.start(), match.end(), name)


def leading_tag(masked: str) -> TagMatch | None:
    match = _LEADING_TAG.match(masked)
    if match is None:
        return None
    return next(inline_tags(masked[: match.end()]), None)


def remove_span(text: str, start: int, end: int) -> str:
    """`text` without `text[start:end]` and the space it leaves; indentation is kept."""
    before, after = text[:start], text[end:]
    if not before.strip():
        return before + after.lstrip(" \t")
    if not after.strip():
        return before.rstrip(" \t")
    return before.rstrip(" \t") + " " + after.lstrip(" \t")


def deck_of(tag: str, settings: VaultSettings) -> str | None:
    """`sub::deeper` for `flashcards/sub/deeper`, "" for the flashcard tag itself, None for a
    tag that is no flashcard tag. The first flashcard tag in the settings that matches wins."""
    for flashcard_tag in settings.flashcard_tags:
        root = flashcard_tag.removeprefix("#")
        if tag == root:
            return ""
        if tag.startswith(root + "/"):
            return "::".join(part for part in tag[len(root) + 1 :].split("/") if part)
    return None


def anki_tag(tag: str) -> str:
    """Anki's hierarchy separator is `::`; Obsidian's is `/`."""
    return "::".join(part for part in tag.split("/") if part)


def front_matter_tags(front_matter: str | None) -> tuple[tuple[str, ...], bool]:
    """The tags of the front matter (without `#`), and whether its YAML could be read.

    Obsidian reads `tags:` (and the older `tag:`) as a list or as a string of names separated
    by commas or spaces, each with or without `#`; unreadable YAML gives no tags at all.
    """
    if not front_matter or not front_matter.strip():
        return (), True
    try:
        data = yaml.safe_load(front_matter)
    except (yaml.YAMLError, RecursionError):
        return (), False
    if not isinstance(data, dict):
        return (), True
    values = [data.get("tags"), data.get("tag")]
    return tuple(_unique(name for value in values for name in _tag_names(value))), True


def _tag_names(value: object) -> Iterator[str]:
    if isinstance(value, str):
        items: Iterable[object] = re.split(r"[,\s]+", value)
    elif isinstance(value, list):
        items = value
    else:
        return
    for item in items:
        if isinstance(item, str | int) and not isinstance(item, bool):
            name = str(item).strip().removeprefix("#").rstrip("/")
            if name:
                yield name


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))
