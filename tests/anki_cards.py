"""Cards exactly as Anki itself renders them, to check the preview and the cards against.

The package is imported into a throwaway collection with the official `anki` package, and
each card's own question and answer HTML (its note type's `<style>` included) is taken with
`card.question()` / `card.answer()`; a type-in card's `[[type:...]]` becomes the box (front)
and Anki's own comparison (back), as the apps show them.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from deckbuilder.preview import image_data_uri

_SRC = re.compile(r'(\bsrc=")([^":/?#]+)(")')
_SOURCE_LINE = re.compile(r"^(.*):(\d+)$")


@dataclass(frozen=True)
class PreviewCard:
    """One card as Anki rendered it, with what the page shows and searches beside it."""

    question_html: str  # card.question(): the note type's <style> and the front
    answer_html: str  # card.answer(): the same for the back
    title: str  # the question (or a cloze note's title or text) as plain text
    card: str  # which of its note's cards: "Forward", "Reverse", "Cloze 2"
    tags: tuple[str, ...]
    source: str  # `file.md:line`
    text: str  # everything on the back as plain text, for the filter


class _Text(HTMLParser):
    """Visible text of card HTML: <style> and <script> contents are not text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def plain_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def _inline_media(html: str, media_dir: Path) -> str:
    """Images as data: URIs, so the page is one file that needs nothing beside it."""

    def replace(match: re.Match[str]) -> str:
        uri = image_data_uri(media_dir / match[2])
        return match[0] if uri is None else f"{match[1]}{uri}{match[3]}"

    return _SRC.sub(replace, html)


def _reading_order(card: PreviewCard) -> tuple[str, int, str, str]:
    """Cards in the order of the Markdown: by file, then line, then which card."""
    found = _SOURCE_LINE.match(card.source)
    if found is None:
        return (card.source, 0, card.title, card.card)
    return (found[1], int(found[2]), card.title, card.card)


def read_cards(package: Path, limit: int | None = None) -> list[PreviewCard]:
    """Every card (or the first `limit` in reading order) as Anki renders it."""
    return collect_cards(package, limit)[0]


def _title(fields: dict[str, str]) -> str:
    for name in ("Question", "Title", "Text", "Detail"):
        if fields.get(name):
            return plain_text(fields[name])
    return ""


def _order_of(fields: dict[str, str], ord_: int) -> tuple[str, int, str, int]:
    found = _SOURCE_LINE.match(plain_text(fields.get("Source", "")))
    title = _title(fields)
    return (found[1], int(found[2]), title, ord_) if found else ("", 0, title, ord_)


# Anki writes this where a template asks for a typed answer; the apps put their box there.
_TYPE_ANSWER = re.compile(r"\[\[type:[^\]]*\]\]")
_TYPING_BOX = (
    '<input type="text" id="typeans" placeholder="Type the answer" '
    'aria-label="Type the answer" autocomplete="off">'
)


def _typed(
    question: str, answer: str, expected: str, compare: Callable[[str, str], str]
) -> tuple[str, str]:
    """Front and back as the apps show a type-in card: a box, then Anki's own comparison
    (here of a correct answer, typed as the comparison expects it)."""
    if not _TYPE_ANSWER.search(question):
        return question, _TYPE_ANSWER.sub("", answer)
    comparison = compare(expected, plain_text(expected))
    return _TYPE_ANSWER.sub(_TYPING_BOX, question), _TYPE_ANSWER.sub(comparison, answer)


def _card_name(kind_is_cloze: bool, ord_: int, template: str) -> str:
    return f"Cloze {ord_ + 1}" if kind_is_cloze else template


def _preview_card(col: Any, card: Any, media_dir: Path) -> PreviewCard:
    note = card.note()
    fields = dict(note.items())
    notetype = note.note_type()
    cloze = notetype["type"] == 1
    template = notetype["tmpls"][0 if cloze else card.ord]["name"]
    question, answer = _typed(card.question(), card.answer(), fields.get("Answer", ""),
                              col.compare_answer)  # fmt: skip
    answer = _inline_media(answer, media_dir)
    return PreviewCard(
        question_html=_inline_media(question, media_dir),
        answer_html=answer,
        title=_title(fields),
        card=_card_name(cloze, card.ord, template),
        tags=tuple(sorted(note.tags)),
        source=plain_text(fields.get("Source", "")),
        text=plain_text(answer),
    )


def collect_cards(package: Path, limit: int | None = None) -> tuple[list[PreviewCard], int]:
    """Import `package` into a temporary collection and take cards as Anki renders them.

    Returns the cards shown and how many the package has. Only the first `limit` cards in
    reading order are rendered, so a huge deck costs memory for the shown cards alone.
    Notes shipped without a card (removed notes) have nothing to show and are not listed.
    """
    # Imported here: the anki backend is heavy and only a real build needs it.
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    cards: list[PreviewCard] = []
    with tempfile.TemporaryDirectory(prefix="build-deck-preview-") as scratch:
        col = Collection(str(Path(scratch) / "preview.anki2"))
        try:
            col.import_anki_package(
                ImportAnkiPackageRequest(
                    package_path=str(package.resolve()), options=ImportAnkiPackageOptions()
                )
            )
            media_dir = Path(col.media.dir())
            # Order first from the fields alone (cheap), then render only what is shown.
            ordered = []
            for card_id in col.find_cards(""):
                card = col.get_card(card_id)
                ordered.append((_order_of(dict(card.note().items()), card.ord), card_id))
            ordered.sort()
            for _, card_id in ordered[:limit]:
                cards.append(_preview_card(col, col.get_card(card_id), media_dir))
        finally:
            col.close()
    return sorted(cards, key=_reading_order), len(ordered)


def search_text(card: PreviewCard) -> str:
    """Every word on the card, its tags and its source, as a filter would look in them."""
    return " ".join((card.title, card.text, *card.tags, card.source)).lower()
