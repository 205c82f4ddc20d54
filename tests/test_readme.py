"""The README's examples build as the README says they do."""

from __future__ import annotations

import re
from pathlib import Path

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

from .conftest import ROOT, build, write

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _example(after: str, fence: str = "```markdown") -> str:
    """The first Markdown example after the heading or sentence `after`."""
    start = README.index(fence, README.index(after)) + len(fence) + 1
    return README[start : README.index("\n" + fence.rstrip("markdown"), start) + 1]


def _cards(package: Path, collection: Path) -> list[tuple[str, int, str]]:
    col = Collection(str(collection))
    try:
        col.import_anki_package(
            ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions())
        )
        cards = [col.get_card(card_id) for card_id in col.find_cards("")]
        return sorted(
            (card.note().note_type()["name"], card.ord, col.decks.name(card.did))  # type: ignore[index]
            for card in cards
        )
    finally:
        col.close()


def test_the_card_kinds_example(in_tmp: Path) -> None:
    example = _example("### Card kinds", "````markdown")
    # The annotations after `<-` explain the example; they are not part of it.
    write(in_tmp / "content" / "kinds.md", re.sub(r" *<- .*", "", example))
    assert build("--no-preview", "--strict") == 0
    cards = _cards(in_tmp / "dist" / "markdown-flashcards.apkg", in_tmp / "c.anki2")
    kinds = [name.rsplit("(build-deck ", 1)[1].rstrip(")") for name, _, _ in cards]
    assert sorted(kinds) == ["Q&A"] * 3 + ["cloze"] * 4  # reversed (2), typed (1), c1 to c4


def test_the_cloze_file_example(in_tmp: Path) -> None:
    write(in_tmp / "content" / "layers.md", _example("**File defaults.**"))
    assert build("--no-preview", "--strict") == 0
    cards = _cards(in_tmp / "dist" / "markdown-flashcards.apkg", in_tmp / "c.anki2")
    assert cards == [
        ("Markdown Flashcards (build-deck cloze)", 0, "Markdown Flashcards::Keras::Layers")
    ]
