"""Where the cards are: the plugin's card grammar over a note's lines.

This follows the plugin's parser, a PEG grammar (src/generateParser.ts, used by `parseEx` in
src/parser.ts). At the start of every line not yet part of a card it tries, in this order:

1. an HTML comment: skipped (here every comment is already removed, see lines.py; a line
   that held only a comment is *transparent*: skipped at a card's start, dropped inside one);
2. a single-line reversed card: the line holds the reversed separator (`:::`) after at least
   one character; then a single-line card with `::`. The card is that line alone (and an
   `<!--SR:...-->` line right below it);
3. a multi-line reversed card, then a multi-line card: one or more non-blank lines, then a
   line that is only the separator (`??`, `?`; surrounding spaces allowed), then one or more
   lines up to a blank line. The question is therefore every line from the card's start
   (headings and list items included) and the answer runs to the next blank line, through
   headings and further `?` lines alike. With an end marker set (`multilineCardEndMarker`)
   the answer runs to a line starting with the marker instead, blank lines included, and a
   card whose marker never comes is no card at all;
4. a cloze card: non-blank lines, one holding a cloze (`==x==`, and `**x**`, `{{x}}` when
   on), then lines up to a blank line (or the end marker, or the end of the note).

What this does differently, on purpose: markers inside code spans, math and fenced code are
not markers (the plugin reads `::` even in a fenced block at a note's top level), and a
fenced block is one piece everywhere (the plugin keeps blank lines inside fences only in the
answers of multi-line basic cards).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .lines import NoteLine
from .settings import VaultSettings

CardShape = Literal["single", "multi", "cloze"]


@dataclass(frozen=True, slots=True)
class CardSpan:
    """A card's place in the note's lines (0-based indexes)."""

    shape: CardShape
    reverse: bool
    start: int
    end: int  # exclusive
    separator: int  # multi: the separator line; single: its column in the start line
    separator_text: str = ""
    next: int = -1  # where reading goes on (past an end marker); -1: at `end`
    cut_short: bool = False  # the answer ended where the next card's question begins


@dataclass(frozen=True, slots=True)
class FoundCards:
    spans: tuple[CardSpan, ...]
    problems: tuple[tuple[int, str], ...]  # (line number, message)


def cloze_pattern(settings: VaultSettings) -> re.Pattern[str] | None:
    """The enabled cloze delimiters, as the grammar's `close_text`: a delimiter, at least one
    character that does not start the closing delimiter, the closing delimiter, on one line."""
    parts = []
    if settings.cloze_highlight:
        parts.append(r"==((?:(?!==).)+)==")
    if settings.cloze_bold:
        parts.append(r"\*\*((?:(?!\*\*).)+)\*\*")
    if settings.cloze_curly:
        parts.append(r"\{\{((?:(?!\}\}).)+)\}\}")
    return re.compile("|".join(parts)) if parts else None


class _Grammar:
    def __init__(self, lines: Sequence[NoteLine], settings: VaultSettings) -> None:
        self.lines = lines
        self.settings = settings
        self.cloze = cloze_pattern(settings)

    def card_at(self, index: int) -> CardSpan | None:
        return (
            self.single(index)
            or self.multi(index, reverse=True)
            or self.multi(index, reverse=False)
            or self.cloze_card(index)
        )

    def single(self, index: int) -> CardSpan | None:
        line = self.lines[index]
        if line.protected or line.raw_blank:
            return None
        for separator, reverse in (
            (self.settings.single_line_reversed, True),
            (self.settings.single_line, False),
        ):
            column = line.masked.find(separator) if separator else -1
            if column >= 1:  # the grammar wants at least one character before it
                return CardSpan("single", reverse, index, index + 1, column, separator)
        return None

    def multi(self, index: int, reverse: bool) -> CardSpan | None:
        separator = self.settings.multi_line_reversed if reverse else self.settings.multi_line
        if not separator:
            return None
        marker = index
        while self._question_part(marker) and not self.is_separator(marker, separator):
            marker += 1
        if marker == index or not self.is_separator(marker, separator):
            return None
        end, cut_short = self._answer_end(marker + 1)
        at_marker = bool(self.settings.multi_line_end_marker) and not cut_short
        if end == marker + 1 or (at_marker and end == len(self.lines)):
            return None  # no answer, or (with an end marker) no end marker
        # With an end marker the marker line belongs to the card (the grammar's `separator_line`).
        after = end + 1 if at_marker else end
        return CardSpan("multi", reverse, index, end, marker, separator, after, cut_short)

    def cloze_card(self, index: int) -> CardSpan | None:
        if self.cloze is None:
            return None
        line = index
        while self._question_part(line) and not self.has_cloze(line):
            line += 1
        if not (self._question_part(line) and self.has_cloze(line)):
            return None
        return CardSpan("cloze", False, index, self._card_end(line + 1), -1)

    def has_cloze(self, index: int) -> bool:
        line = self.lines[index]
        return (
            self.cloze is not None and not line.protected and bool(self.cloze.search(line.masked))
        )

    def is_separator(self, index: int, separator: str) -> bool:
        if index >= len(self.lines) or not separator:
            return False
        line = self.lines[index]
        return not line.protected and line.text.strip() == separator.strip()

    def is_end(self, index: int) -> bool:
        line = self.lines[index]
        marker = self.settings.multi_line_end_marker
        if marker:
            return not line.protected and line.text.rstrip() == marker
        return line.raw_blank

    def _answer_end(self, start: int) -> tuple[int, bool]:
        """Where an answer ends, and whether the next card's question ended it.

        The plugin's grammar lets an answer run on through another `?` line, so cards written
        without a blank line between them become one card. Its newer line parser
        (src/parser/parser.ts, state MULTILINE_SEPARATOR) instead gives the line above a `?`
        to a new card, as its author meant; so does this, with a warning.
        """
        end = start
        while end < len(self.lines) and not self.is_end(end):
            if end > start and self._question_line(end):
                return end, True
            end += 1
        return end, False

    def _question_line(self, index: int) -> bool:
        line = self.lines[index]
        separators = (self.settings.multi_line, self.settings.multi_line_reversed)
        return (
            not (line.protected or line.raw_blank or line.transparent)
            and not any(self.is_separator(index, s) for s in separators)
            and any(self.is_separator(index + 1, s) for s in separators)
        )

    def _question_part(self, index: int) -> bool:
        """A line that can open a multi-line or cloze card: not blank, and not a single-line
        card. (The grammar would take `Q1::A1` on the second line of a question into it; the
        plugin's older and newer line parsers make it a card of its own, as here.)"""
        return (
            index < len(self.lines)
            and not self.lines[index].raw_blank
            and self.single(index) is None
        )

    def _card_end(self, start: int) -> int:
        end = start
        while end < len(self.lines) and not self.is_end(end):
            end += 1
        return end


def find_cards(lines: Sequence[NoteLine], settings: VaultSettings) -> FoundCards:
    """Every card of a note, in order, and the places where a card was probably meant."""
    grammar = _Grammar(lines, settings)
    spans: list[CardSpan] = []
    index = 0
    while index < len(lines):
        card = None if lines[index].transparent else grammar.card_at(index)
        if card is None:
            index += 1
            continue
        spans.append(card)
        index = card.next if card.next >= 0 else card.end
    return FoundCards(tuple(spans), tuple(_problems(grammar, spans)))


def _problems(grammar: _Grammar, spans: Sequence[CardSpan]) -> list[tuple[int, str]]:
    inside = {line for span in spans for line in range(span.start, span.end)}
    separators = [
        s for s in (grammar.settings.multi_line, grammar.settings.multi_line_reversed) if s
    ]
    found: list[tuple[int, str]] = []
    for index, line in enumerate(grammar.lines):
        separator = next((s for s in separators if grammar.is_separator(index, s)), None)
        if separator is None:
            continue
        if index not in inside:
            found.append((line.number, _stray_separator(grammar, separator)))
        elif not any(span.shape == "multi" and span.separator == index for span in spans):
            found.append((line.number, _separator_inside(grammar, spans, index, separator)))
    found.extend(
        (grammar.lines[span.end].number, "card starts right below the answer of the card at "
         f"line {grammar.lines[span.start].number}, with no blank line: read as a card of its "
         "own (the plugin's grammar reads it as more of that answer)")
        for span in spans
        if span.cut_short
    )  # fmt: skip
    found.extend(
        (grammar.lines[span.start].number, "cloze card has no end marker "
         f"`{grammar.settings.multi_line_end_marker}`: it runs to the end of the note, "
         "as in the plugin")
        for span in spans
        if span.shape == "cloze" and grammar.settings.multi_line_end_marker
        and span.end == len(grammar.lines)
    )  # fmt: skip
    return sorted(found)


def _stray_separator(grammar: _Grammar, separator: str) -> str:
    marker = grammar.settings.multi_line_end_marker
    then = f", then a `{marker}` line" if marker else ""
    return (
        f"`{separator}` line makes no card: a multi-line card needs its question on the "
        f"line(s) right above it and its answer right below it{then}"
    )


def _separator_inside(
    grammar: _Grammar, spans: Sequence[CardSpan], index: int, separator: str
) -> str:
    owner = next(span for span in spans if span.start <= index < span.end)
    where = grammar.lines[owner.start].number
    return (
        f"`{separator}` line inside the card that starts at line {where}: the plugin reads "
        "it as part of that card; put a blank line between two cards"
    )
