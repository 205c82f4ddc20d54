"""What a heading says: a note (with its key and cards) or a section, and why it cannot be read.

Attributes are written Pandoc's way at the end of the heading text: `{#key .cloze}`. Anything
in a trailing `{...}` that starts with `#` or `.` is read as attributes, strictly: a key that
cannot be a key, or a class that is not a card kind, is an error. A question is never lost
to a typo in its attributes (it once became a section heading without a word).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt

from .cards import CardSpec, read_card_classes

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
ANSWER_HEADING = re.compile(r"^[ \t]*(\*\*|__)?answer(\1)?[ \t]*:?[ \t]*$", re.IGNORECASE)
# A trailing `{...}` that is not escaped (`\{`) and starts (after spaces) with `#` or `.`.
ATTRIBUTES = re.compile(r"(?<!\\)\{[ \t]*([#.][^{}]*)\}[ \t]*$")
# Letters, digits, `_` in any script, then also `.`, `:` and `-`: what a key may hold.
KEY = re.compile(r"[^\W][\w.:-]*")


@dataclass(frozen=True, slots=True)
class Attributes:
    key: str | None  # without the `#`
    cards: CardSpec | None  # None when the heading names no card class


@dataclass(frozen=True, slots=True)
class HeadingText:
    """A heading's text split into what it shows and the attributes written after it."""

    text: str  # inline Markdown without the attributes
    attributes: Attributes | None  # None when it has none
    problem: str | None = None  # why its attributes cannot be read


def read_attributes(inner: str) -> Attributes | str:
    """`#key .class ...` (the inside of the braces), or why it cannot be read."""
    key: str | None = None
    classes: list[str] = []
    for word in inner.split():
        if word.startswith("#"):
            candidate = unicodedata.normalize("NFC", word[1:])
            if key is not None:
                return f"heading has two keys, #{key} and {word}: keep one"
            if not KEY.fullmatch(candidate):
                return (
                    f"malformed key {word!r}: a key is letters, digits and _ . : - "
                    "with no spaces or quotes, like {#my-key}"
                )
            key = candidate
        elif word.startswith(".") and len(word) > 1:
            classes.append(word[1:])
        else:
            return (
                f"cannot read heading attribute {word!r}: write a key {{#my-key}} and "
                "card kinds {.cloze}, {.reverse}, {.type} or {.basic}"
            )
    cards = read_card_classes(classes, prefix=".") if classes else None
    if isinstance(cards, str):
        return cards
    return Attributes(key, cards)


def split_heading(content: str) -> HeadingText:
    found = ATTRIBUTES.search(content)
    if found is None:
        return HeadingText(content, None)
    text = content[: found.start()].rstrip()
    attributes = read_attributes(found.group(1))
    if isinstance(attributes, str):
        return HeadingText(text, None, attributes)
    return HeadingText(text, attributes)


@cache
def _inline_parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["strikethrough"])


def markdown_text(markdown: str) -> str:
    """The readable text of inline Markdown: what a person sees, without markup."""
    parts: list[str] = []
    for token in _inline_parser().parseInline(markdown):
        for child in token.children or ():
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
    return "".join(parts)


def normalise_key(text: str) -> str:
    """Identity key of a question: case, spacing, Unicode form and invisible format characters
    (zero-width spaces and joiners, soft hyphens) do not matter."""
    text = unicodedata.normalize("NFKC", text)
    visible = "".join(char for char in text if unicodedata.category(char) != "Cf")
    return " ".join(visible.casefold().split())


@dataclass(frozen=True, slots=True)
class NoteHead:
    """A heading that starts a note."""

    title: str  # inline Markdown shown on the card
    key: str  # `#explicit` or the normalised question text
    prefixed: bool  # `Question:`: its body is question detail until an answer marker
    cards: CardSpec | None  # the heading's own card classes, if any


def note_head(heading: HeadingText, always: bool = False) -> NoteHead | None:
    """The note a heading starts, or None for a section heading (no question, no attributes).

    A heading with attributes is a note whatever its text: `## Activation {.cloze}` asks no
    question but is one. `always`: the caller knows it is a note (a cloze file's heading
    over cloze markers).
    """
    prefix = QUESTION_PREFIX.match(heading.text)
    title = heading.text[prefix.end() :].strip() if prefix else heading.text.strip()
    text = markdown_text(title).strip()
    attributes = heading.attributes
    if not always and attributes is None and not prefix and not text.endswith("?"):
        return None
    explicit = attributes.key if attributes else None
    key = f"#{explicit}" if explicit else normalise_key(text)
    cards = attributes.cards if attributes else None
    return NoteHead(title=title, key=key, prefixed=prefix is not None, cards=cards)


def is_answer_heading(content: str) -> bool:
    return bool(ANSWER_HEADING.match(markdown_text(content)))
