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

What this does differently, on purpose, each where the grammar surprises its own users:

- markers inside code spans, math and fenced code are not markers (the grammar reads `::`
  even in a fenced block at a note's top level; later plugin tests expect none there);
- a fenced block is one piece everywhere: its blank lines end nothing (the grammar keeps
  them only in the answers of multi-line basic cards);
- a line with a single-line separator is a card of its own, never a line of a multi-line
  question or of the lines before a cloze (the grammar takes `Q1::A1` into the question
  when it is not the paragraph's first line; the plugin's older and newer line parsers do
  not);
- a line right above a `?` ends the answer before it and starts a new card (the grammar
  runs the answer on), with a warning. See `_Grammar._answer_end`.
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


def _first_from(flags: Sequence[bool]) -> list[int]:
    """For every index, the first index at or after it whose flag is set (len when none)."""
    first = [len(flags)] * (len(flags) + 2)
    for index in range(len(flags) - 1, -1, -1):
        first[index] = index if flags[index] else first[index + 1]
    return first


class _Grammar:
    """The grammar's questions about each line, answered once: a note is read in linear time
    (the grammar itself re-reads a paragraph from each of its lines)."""

    def __init__(self, lines: Sequence[NoteLine], settings: VaultSettings) -> None:
        self.lines = lines
        self.settings = settings
        self.cloze = cloze_pattern(settings)
        self.singles = [self._single(index) for index in range(len(lines))]
        separators = {True: settings.multi_line_reversed, False: settings.multi_line}
        self.is_separator = {
            reverse: [self._separator_line(line, separator) for line in lines]
            for reverse, separator in separators.items()
        }
        part = [
            not line.raw_blank and single is None
            for line, single in zip(lines, self.singles, strict=True)
        ]
        self.next_not_part = _first_from([not flag for flag in part])
        self.next_separator = {
            reverse: _first_from(flags) for reverse, flags in self.is_separator.items()
        }
        self.next_cloze = _first_from(
            [flag and self._has_cloze(line) for flag, line in zip(part, lines, strict=True)]
        )
        self.next_end = _first_from([self._is_end(line) for line in lines])
        self.next_question = _first_from([self._question_line(i) for i in range(len(lines))])

    def card_at(self, index: int) -> CardSpan | None:
        return (
            self.singles[index]
            or self.multi(index, reverse=True)
            or self.multi(index, reverse=False)
            or self.cloze_card(index)
        )

    def _single(self, index: int) -> CardSpan | None:
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
        """Question lines (not blank, no single-line card among them), the separator line,
        then the answer."""
        separator = self.settings.multi_line_reversed if reverse else self.settings.multi_line
        marker = self.next_separator[reverse][index]
        if marker == index or marker >= self.next_not_part[index]:
            return None
        end, cut_short = self._answer_end(marker + 1)
        at_marker = bool(self.settings.multi_line_end_marker) and not cut_short
        if end == marker + 1 or (at_marker and end == len(self.lines)):
            return None  # no answer, or (with an end marker) no end marker
        # With an end marker the marker line belongs to the card (the grammar's `separator_line`).
        after = end + 1 if at_marker else end
        return CardSpan("multi", reverse, index, end, marker, separator, after, cut_short)

    def cloze_card(self, index: int) -> CardSpan | None:
        line = self.next_cloze[index]
        if line >= self.next_not_part[index]:
            return None
        return CardSpan("cloze", False, index, self.next_end[line + 1], -1)

    def _answer_end(self, start: int) -> tuple[int, bool]:
        """Where an answer ends, and whether the next card's question ended it.

        The plugin's grammar lets an answer run on through another `?` line, so cards written
        without a blank line between them become one card. Its newer line parser
        (src/parser/parser.ts, state MULTILINE_SEPARATOR) instead gives the line above a `?`
        to a new card, as its author meant; so does this, with a warning.
        """
        end, question = self.next_end[start], self.next_question[start + 1]
        return (question, True) if question < end else (end, False)

    def _has_cloze(self, line: NoteLine) -> bool:
        return (
            self.cloze is not None and not line.protected and bool(self.cloze.search(line.masked))
        )

    @staticmethod
    def _separator_line(line: NoteLine, separator: str) -> bool:
        return bool(separator) and not line.protected and line.text.strip() == separator.strip()

    def _is_end(self, line: NoteLine) -> bool:
        marker = self.settings.multi_line_end_marker
        if marker:
            return not line.protected and line.text.rstrip() == marker
        return line.raw_blank

    def _question_line(self, index: int) -> bool:
        """The last line of a question: content, with a separator line right below it."""
        line = self.lines[index]
        below = index + 1
        return (
            not (line.protected or line.raw_blank or line.transparent)
            and not any(flags[index] for flags in self.is_separator.values())
            and below < len(self.lines)
            and any(flags[below] for flags in self.is_separator.values())
        )


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
    owner = {line: span for span in spans for line in range(span.start, span.end)}
    separators = {
        False: grammar.settings.multi_line,
        True: grammar.settings.multi_line_reversed,
    }
    found: list[tuple[int, str]] = []
    for index, line in enumerate(grammar.lines):
        separator = next(
            (s for reverse, s in separators.items() if grammar.is_separator[reverse][index]), None
        )
        span = owner.get(index)
        if separator is None or (span is not None and span.separator == index):
            continue
        if span is None:
            found.append((line.number, _stray_separator(grammar, separator)))
        elif span.shape != "single":
            found.append((line.number, _separator_inside(grammar, span, separator)))
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


def _separator_inside(grammar: _Grammar, owner: CardSpan, separator: str) -> str:
    where = grammar.lines[owner.start].number
    return (
        f"`{separator}` line inside the card that starts at line {where}: the plugin reads "
        "it as part of that card; put a blank line between two cards"
    )
