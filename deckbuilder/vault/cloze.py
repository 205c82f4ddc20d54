"""Cloze deletions as Anki's markers.

The plugin (src/QuestionType.ts, `QuestionType_Cloze` and `QuestionType_ClozeUtil.getSiblings`)
makes one sibling card per deletion, in order of position in the card's text, each hiding its
own deletion and showing the others. Anki does the same with one marker number per deletion:
`{{c1::first}} ... {{c2::second}}`. The plugin matches each delimiter kind separately and sorts
the matches, so `==**x**==` with both kinds on would be two overlapping deletions; here the
delimiters are read left to right in one pass and never overlap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .convert import Piece
from .settings import VaultSettings


@dataclass(frozen=True, slots=True)
class Clozed:
    pieces: tuple[Piece, ...]
    count: int  # deletions, the number of sibling cards


def _escaped(deletion: str) -> str:
    """The deletion as a cloze's text: `::` and `}` in it are text, not a hint or the end
    (the escapes of deckbuilder/cloze.py)."""
    return deletion.replace(":", "\\:").replace("{", "\\{").replace("}", "\\}")


def clozes(pieces: Sequence[Piece], pattern: re.Pattern[str]) -> Clozed:
    """Every deletion in `pieces` as `{{cN::...}}`, numbered in order of position."""
    out: list[Piece] = []
    count = 0
    for piece in pieces:
        if piece.protected:
            out.append(piece)
            continue
        text, parts, done = piece.text, [], 0
        for match in pattern.finditer(piece.masked):
            group = next(g for g in range(1, (pattern.groups or 0) + 1) if match.group(g))
            deletion = text[match.start(group) : match.end(group)]
            count += 1
            parts += [text[done : match.start()], f"{{{{c{count}::{_escaped(deletion)}}}}}"]
            done = match.end()
        out.append(Piece(piece.number, "".join(parts) + text[done:]))
    return Clozed(tuple(out), count)


def enabled(settings: VaultSettings) -> bool:
    return settings.cloze_highlight or settings.cloze_bold or settings.cloze_curly
