"""Content advice for `--check`: cards that build but will be awkward to study.

Every rule is a pure function from source notes to warnings (the image rule also looks at
file sizes). None of this runs in a normal build: it is advice, and `--strict` makes it
binding. The thresholds:

- unknown code language: the fence's first word names no Pygments lexer (so the code is shown
  unhighlighted), e.g. `pyhton`;
- empty code block: a fence or indented block with nothing but whitespace in it;
- long answer: more than ANSWER_TEXT_LIMIT characters of text outside code blocks, or a code
  block of more than CODE_LINE_LIMIT lines. A phone shows roughly 15 lines of 40 characters,
  so either is about two screens of scrolling;
- near-duplicate questions: question texts (case, spacing and markup ignored) with a difflib
  ratio of at least NEAR_DUPLICATE_RATIO, unless their `code` spans or numbers differ or both
  have an explicit `{#key}`. Only neighbours in two sorted orders (by text and by reversed text) are
  compared, so 100,000 notes stay fast; pairs that differ at both their beginning and their
  end can be missed;
- large image: an image file over IMAGE_BYTES_LIMIT, which every device syncs.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from functools import cache, lru_cache
from urllib.parse import unquote

from markdown_it.token import Token
from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.util import ClassNotFound

from .diagnostics import Diagnostic, warning
from .headings import markdown_text as plain_text
from .headings import normalise_key
from .kinds import KINDS
from .parse import SourceNote
from .render import markdown

ANSWER_TEXT_LIMIT = 1_200
CODE_LINE_LIMIT = 30
NEAR_DUPLICATE_RATIO = 0.9
NEAR_DUPLICATE_WINDOW = 3  # neighbours compared in each sorted order
IMAGE_BYTES_LIMIT = 1_000_000

_TEXT_CHILDREN = frozenset({"text", "code_inline", "math_inline", "math_inline_double"})


# --- Markdown parts of a note -------------------------------------------------------------


_MAY_HOLD_CODE_OR_IMAGES = re.compile(r"```|~~~|!\[|^(?: {4}|\t)", re.MULTILINE)


def _worth_parsing(note: SourceNote) -> bool:
    # Parsing is most of the linter's time. A note with no code or image marker and an answer
    # shorter than the text limit (Markdown is never shorter than its text) cannot trip a rule.
    body = f"{note.detail}\n{note.answer}"
    longest = max(len(note.answer), len(note.detail))
    return longest > ANSWER_TEXT_LIMIT or bool(_MAY_HOLD_CODE_OR_IMAGES.search(body))


@lru_cache(maxsize=1)  # every rule asks for the same note in turn: parse it once, not thrice
def _blocks(note: SourceNote) -> tuple[tuple[str, Token, int], ...]:
    """Every block token of the note's detail and answer that a rule could object to: which
    part, the token, and its 1-based line in the file."""
    if not _worth_parsing(note):
        return ()
    found = []
    for part, text, first_line in (
        ("detail", note.detail, note.detail_line),
        ("answer", note.answer, note.answer_line),
    ):
        for token in markdown().parse(text) if text else ():
            found.append((part, token, first_line + token.map[0] if token.map else first_line))
    return tuple(found)


def _is_code(token: Token) -> bool:
    return token.type in ("fence", "code_block")


# --- rules --------------------------------------------------------------------------------


@cache
def _is_known_language(language: str) -> bool:
    try:
        get_lexer_by_name(language.lower())
    except ClassNotFound:
        return False
    return True


@cache
def _language_names() -> tuple[str, ...]:
    return tuple(alias for _, aliases, _, _ in get_all_lexers() for alias in aliases)


def code_problems(note: SourceNote) -> list[Diagnostic]:
    """Unknown languages, empty code blocks and code blocks longer than two phone screens."""
    found = []
    for _, token, line in _blocks(note):
        if not _is_code(token):
            continue
        words = token.info.split()
        if words and not _is_known_language(words[0]):
            close = difflib.get_close_matches(words[0].lower(), _language_names(), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            message = f"unknown code language {words[0]!r}{hint}"
            found.append(warning(note.display, line, message))
        lines = token.content.rstrip("\n").count("\n") + 1
        if not token.content.strip():
            found.append(warning(note.display, line, "empty code block"))
        elif lines > CODE_LINE_LIMIT:
            message = (
                f"code block is {lines} lines long (over {CODE_LINE_LIMIT}, about two phone "
                "screens); shorten it or split the question"
            )
            found.append(warning(note.display, line, message))
    return found


def _text_length(token: Token) -> int:
    if token.type == "math_block":
        return len(token.content.strip())
    length = 0
    for child in token.children or ():
        if child.type in _TEXT_CHILDREN:
            length += len(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            length += 1
    return length


def long_answer(note: SourceNote) -> list[Diagnostic]:
    """An answer (a cloze note's text) with more prose than two phone screens hold (code is
    counted separately)."""
    cloze = KINDS[note.kind].is_cloze
    studied, line = ("detail", note.detail_line) if cloze else ("answer", note.answer_line)
    if not (note.detail if cloze else note.answer):
        return []
    length = sum(_text_length(token) for part, token, _ in _blocks(note) if part == studied)
    if length <= ANSWER_TEXT_LIMIT:
        return []
    what = "cloze text" if cloze else "answer"
    message = (
        f"{what} is long: {length:,} characters of text (over {ANSWER_TEXT_LIMIT:,}, about two "
        "phone screens); split the question"
    )
    return [warning(note.display, line, message)]


def _image_sources(note: SourceNote) -> Iterator[tuple[str, int]]:
    for _, token, line in _blocks(note):
        for child in token.children or ():
            if child.type == "image":
                yield str(child.attrGet("src") or ""), line


def large_images(note: SourceNote) -> list[Diagnostic]:
    """Images bigger than a phone needs; the build itself reports missing or remote ones."""
    found = []
    for src, line in _image_sources(note):
        path = note.path.parent / unquote(src.split("#", 1)[0].split("?", 1)[0])
        try:
            size = path.stat().st_size
        except (OSError, ValueError):  # not there or not a path: the build says so already
            continue
        if size > IMAGE_BYTES_LIMIT:
            message = (
                f"image {src!r} is {size / 1e6:.1f} MB (over {IMAGE_BYTES_LIMIT / 1e6:.0f} MB); "
                "every device syncs it: shrink it"
            )
            found.append(warning(note.display, line, message))
    return found


def _question_text(note: SourceNote) -> str:
    # The key is this text already, unless an explicit `{#key}` replaced it.
    return normalise_key(plain_text(note.question)) if note.key.startswith("#") else note.key


def _told_apart(note: SourceNote) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What makes two similar questions different on purpose: their code spans and numbers."""
    tokens = markdown().parseInline(note.question)
    spans = sorted(c.content for t in tokens for c in t.children or () if c.type == "code_inline")
    return tuple(spans), tuple(re.findall(r"\d+", plain_text(note.question)))


def _may_be_duplicates(first: SourceNote, second: SourceNote) -> bool:
    # `tf.reduce_sum` and `tf.reduce_max`, or "step 1" and "step 2", are a character apart
    # yet different questions. Two explicit keys say the author already told them apart.
    if first.key.startswith("#") and second.key.startswith("#"):
        return False
    return _told_apart(first) == _told_apart(second)


def _candidates(texts: Sequence[str]) -> dict[int, set[int]]:
    """For each note, the earlier notes worth comparing it with: its near neighbours when all
    texts are sorted, and when they are sorted read backwards."""
    earlier: dict[int, set[int]] = defaultdict(set)
    for key in (lambda i: texts[i], lambda i: texts[i][::-1]):
        order = sorted(range(len(texts)), key=key)
        for position, first in enumerate(order):
            for second in order[position + 1 : position + 1 + NEAR_DUPLICATE_WINDOW]:
                earlier[max(first, second)].add(min(first, second))
    return earlier


def _similar_pairs(texts: Sequence[str]) -> Iterator[tuple[int, int]]:
    """(earlier, later) index pairs whose texts have a difflib ratio of NEAR_DUPLICATE_RATIO."""
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    for later, partners in sorted(_candidates(texts).items()):
        matcher.set_seq2(texts[later])  # indexes this text once for all its partners
        for first in sorted(partners):
            matcher.set_seq1(texts[first])
            # The quick ratios are cheap upper bounds of ratio(): most pairs stop there.
            if (
                matcher.real_quick_ratio() >= NEAR_DUPLICATE_RATIO
                and matcher.quick_ratio() >= NEAR_DUPLICATE_RATIO
                and matcher.ratio() >= NEAR_DUPLICATE_RATIO
            ):
                yield first, later


def near_duplicates(notes: Sequence[SourceNote]) -> list[Diagnostic]:
    """Questions that read almost the same; reported at the later one, naming the earlier.

    Identical keys are already an error of the build and are not repeated here.
    """
    texts = [_question_text(note) for note in notes]
    found = []
    for first, second in _similar_pairs(texts):
        earlier, later = notes[first], notes[second]
        if earlier.key == later.key or not _may_be_duplicates(earlier, later):
            continue
        message = (
            f"question nearly duplicates {earlier.location} ({texts[first]!r}); "
            "if they differ on purpose, give both an explicit {#key}"
        )
        found.append(warning(later.display, later.line, message))
    return found


# --- everything ---------------------------------------------------------------------------


def lint_notes(notes: Sequence[SourceNote]) -> list[Diagnostic]:
    """Every rule over every note that goes into the deck (the caller leaves out the others)."""
    found = near_duplicates(notes)
    for note in notes:
        found.extend(code_problems(note))
        found.extend(long_answer(note))
        found.extend(large_images(note))
    return found
