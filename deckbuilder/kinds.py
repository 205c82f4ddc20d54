"""The note kinds: what a note of each kind holds, which cards it has, and its note type.

Fixed for good. Anki's importer matches a note type by the names of its fields and templates:
adding, removing, renaming or reordering either makes every user's next import a second note
type whose notes do not update, and editing a note type that way in Anki forces a full sync
(both measured in tests/test_updates.py). A new kind is a new note type, which costs nothing:
add one here, never change one that has shipped. Template HTML and CSS may change freely.

- `qa`: a question and its answer. Anki's "optional reversed card" pattern keeps plain, reversed
  and type-in cards in one note type, so making a studied note reversible or type-in keeps its
  note and its first card: a non-empty `Reverse` field gives it a second card, a non-empty
  `TypeIn` field puts Anki's typing box on the first one.
- `cloze`: Anki's own cloze kind, one card per `{{cN::...}}` number in `Text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

QA, CLOZE = "qa", "cloze"
REVERSE, TYPE_IN = "reverse", "type"
# The value of a flag field that is set: any non-empty text turns it on in Anki.
FLAG = "y"
# Anki's own reading of a cloze marker's number (rslib's cloze tokenizer, case-insensitive).
CLOZE_NUMBER = re.compile(r"\{\{c(\d+)::", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CardTemplate:
    """One card of a note type: its name (fixed for good) and the template files it is made of."""

    name: str
    front_file: str
    back_file: str


@dataclass(frozen=True, slots=True)
class NoteParts:
    """What a rendered note gives its fields, whatever its kind."""

    title: str  # the heading, as inline HTML
    front: str  # Q&A: question detail; cloze: the text with its markers
    back: str  # Q&A: the answer; cloze: extra shown on the back only
    topic: str
    source: str  # `file.md:line`
    key: str
    options: tuple[str, ...]  # card options the note asks for (REVERSE, TYPE_IN)


@dataclass(frozen=True, slots=True)
class NoteKind:
    name: str  # in the ledger and in IDs: fixed for good
    label: str  # in the note type's name, as Anki shows it
    fields: tuple[str, ...]
    templates: tuple[CardTemplate, ...]
    is_cloze: bool
    options: frozenset[str]  # card options a note of this kind may ask for
    sort_field: int  # the field Anki's browser sorts and shows by
    values: Callable[[NoteParts], Mapping[str, str]]
    card_ords: Callable[[Mapping[str, str]], tuple[int, ...]]
    identity_field: str  # unchanged under rewording: a reworded note is found again by it

    def field_values(self, parts: NoteParts) -> tuple[str, ...]:
        values = self.values(parts)
        return tuple(values.get(name, "") for name in self.fields)

    def cards_of(self, fields: tuple[str, ...]) -> tuple[int, ...]:
        """The card ordinals a note with these field values has, as Anki would generate them."""
        return self.card_ords(dict(zip(self.fields, fields, strict=True)))


def _qa_values(parts: NoteParts) -> Mapping[str, str]:
    return {
        "Question": parts.title,
        "Detail": parts.front,
        "Answer": parts.back,
        "Topic": parts.topic,
        "Source": parts.source,
        "Key": parts.key,
        "Reverse": FLAG if REVERSE in parts.options else "",
        "TypeIn": FLAG if TYPE_IN in parts.options else "",
    }


def _qa_cards(fields: Mapping[str, str]) -> tuple[int, ...]:
    # The templates: card 1 needs a question (or question detail: a vault card's front may be
    # a block), card 2 a set Reverse flag and an answer.
    forward = (0,) if fields["Question"] or fields["Detail"] else ()
    reverse = (1,) if fields["Reverse"] and fields["Answer"] else ()
    return forward + reverse


def _cloze_values(parts: NoteParts) -> Mapping[str, str]:
    return {
        "Text": parts.front,
        "Extra": parts.back,
        "Title": parts.title,
        "Topic": parts.topic,
        "Source": parts.source,
        "Key": parts.key,
    }


def _cloze_cards(fields: Mapping[str, str]) -> tuple[int, ...]:
    # As Anki numbers them: card ordinal n - 1 for every cN in the cloze field; c0 gives none.
    numbers = {int(found) for found in CLOZE_NUMBER.findall(fields["Text"])}
    return tuple(sorted(number - 1 for number in numbers if number > 0))


KINDS: dict[str, NoteKind] = {
    QA: NoteKind(
        name=QA,
        label="Q&A",
        fields=("Question", "Detail", "Answer", "Topic", "Source", "Key", "Reverse", "TypeIn"),
        templates=(
            CardTemplate("Forward", "qa-front.html", "qa-back.html"),
            CardTemplate("Reverse", "qa-reverse-front.html", "qa-reverse-back.html"),
        ),
        is_cloze=False,
        options=frozenset({REVERSE, TYPE_IN}),
        sort_field=0,
        values=_qa_values,
        card_ords=_qa_cards,
        identity_field="Answer",
    ),
    CLOZE: NoteKind(
        name=CLOZE,
        label="cloze",
        fields=("Text", "Extra", "Title", "Topic", "Source", "Key"),
        templates=(CardTemplate("Cloze", "cloze-front.html", "cloze-back.html"),),
        is_cloze=True,
        options=frozenset(),
        sort_field=0,
        values=_cloze_values,
        card_ords=_cloze_cards,
        identity_field="Text",
    ),
}

# The files every note type is made of, besides its templates.
STYLE_FILE = "style.css"


def template_files() -> tuple[str, ...]:
    """Every file a templates folder must hold, in a fixed order."""
    names = [name for kind in KINDS.values() for t in kind.templates
             for name in (t.front_file, t.back_file)]  # fmt: skip
    return (*dict.fromkeys(names), STYLE_FILE)
