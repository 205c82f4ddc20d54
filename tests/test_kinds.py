"""Every card kind and subdeck through real Anki: what a person sees on each side of each card."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

from .conftest import FIXTURES, build, write

KINDS = FIXTURES / "kinds"
DECK = "Markdown Flashcards"
PACKAGE = "dist/markdown-flashcards.apkg"
CONFIG = '[tool.build-deck]\n\n[tool.build-deck.decks]\nlayers = "Layers"\n'


class _Visible(HTMLParser):
    """The text a person sees: no tags, no attribute values, no <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._style = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._style += tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._style -= tag == "style" and self._style > 0

    def handle_data(self, data: str) -> None:
        if not self._style:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture
def collection(in_tmp: Path) -> Iterator[Collection]:
    shutil.copytree(KINDS / "content", in_tmp / "content", dirs_exist_ok=True)
    write(in_tmp / "pyproject.toml", CONFIG)
    assert build("--no-preview") == 0
    col = Collection(str(in_tmp / "c.anki2"))
    col.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(in_tmp / PACKAGE), options=ImportAnkiPackageOptions()
        )
    )
    yield col
    col.close()


def _cards(col: Collection, search: str) -> dict[int, tuple[str, str, str]]:
    """By card ordinal: (question HTML, answer HTML, deck name) of the note matching `search`."""
    (note_id,) = col.find_notes(search)
    found = {}
    for card in col.get_note(note_id).cards():
        found[card.ord] = (card.question(), card.answer(), col.decks.name(card.did))
    return found


def test_a_reversed_note_asks_both_ways(collection: Collection) -> None:
    cards = _cards(collection, "Key:#tensor")
    assert sorted(cards) == [0, 1]
    front, back, _ = cards[0]
    assert "What is a tensor?" in visible(front) and "n-dimensional" not in visible(front)
    assert "n-dimensional array" in visible(back)
    reverse_front, reverse_back, _ = cards[1]
    assert "n-dimensional array" in visible(reverse_front)
    assert "What is a tensor?" not in visible(reverse_front)
    assert "What is a tensor?" in visible(reverse_back)


def test_a_type_in_note_has_the_typing_box_and_compares_the_plain_answer(
    collection: Collection,
) -> None:
    cards = _cards(collection, "Key:#trace")
    assert sorted(cards) == [0]  # no reversed card unless asked for
    front, back, _ = cards[0]
    assert "[[type:Answer]]" in front  # where every Anki app puts its typing box
    assert "tf.function" not in visible(front.replace("[[type:Answer]]", ""))
    assert "[[type:Answer]]" in back  # the apps show their comparison here
    note = collection.get_note(collection.find_notes("Key:#trace")[0])
    assert note["Answer"] == "<code>tf.function</code>"  # one line: no paragraph around it
    right = collection.compare_answer(note["Answer"], "tf.function")
    assert "typeGood" in right and "typeBad" not in right and "typeMissed" not in right
    assert "typeMissed" in collection.compare_answer(note["Answer"], "tf.func")
    mixed = collection.get_note(collection.find_notes("Key:#mixed")[0])
    assert "typeBad" not in collection.compare_answer(mixed["Answer"], "A TypeError & no cast")


def test_cloze_cards_hide_one_number_each_in_text_code_and_math(collection: Collection) -> None:
    cards = _cards(collection, "Key:#act")
    assert sorted(cards) == [0, 1, 2, 3, 4, 5]  # c1 to c6, one card each
    for ord_, (front, back, _) in cards.items():
        assert "Activations" in visible(front) and "Activations" in visible(back)
        assert "Extra shown on the back only." not in visible(front)
        assert "Extra shown on the back only." in visible(back)
        assert ord_ == 0 or "[...]" in visible(front) or "[a formula]" in visible(front)
    front, back, _ = cards[0]  # c1: in inline code and in the highlighted code block
    assert "relu" not in visible(front)
    assert "[name]" in visible(front)  # the hint, in the code block
    assert visible(front).count("[...]") == 1
    assert '<span class="cloze" data-ordinal="1"><span class="nf">relu</span></span>' in back
    front, back, _ = cards[1]  # c2: a hint in prose, then the dict in code, still highlighted
    assert "[a formula]" in visible(front) and "the larger of x and 0" not in visible(front)
    assert '"a"' not in visible(front)
    assert re.search(r'<span class="cloze" data-ordinal="2"><span class="p">\{</span>', back)
    assert '<span class="s2">"a"</span>' in back
    front, back, _ = cards[2]  # c3 hides the outer cloze, inner text included
    assert "outer" not in visible(front) and "inner" not in visible(front)
    front, back, _ = cards[3]  # c4 hides only the inner one
    assert "outer" in visible(front) and "inner" not in visible(front)
    front, back, _ = cards[4]  # c5: in \( \), braces and all
    assert r"\([...]\)" in visible(front)
    assert r"\(\frac{a}{b}\)" in visible(back)
    front, back, _ = cards[5]  # c6: in $...$, which became \( \)
    assert r"\([...]\)" in visible(front) and r"\(x^2\)" in visible(back)


def test_a_cloze_file_makes_cloze_notes_of_headings_over_markers(collection: Collection) -> None:
    cards = _cards(collection, '"Title:Dense"')
    front, back, deck = cards[0]
    assert "activation(dot(x, kernel) + bias)" not in visible(front)
    assert "<code>activation(dot(x, kernel) + bias)</code>" in back
    assert deck == f"{DECK}::Layers"  # from [tool.build-deck.decks]
    basic = _cards(collection, '"Question:Which layer drops inputs at random?"')
    assert sorted(basic) == [0]


def test_subdecks_come_from_front_matter_then_folders(collection: Collection) -> None:
    assert _cards(collection, "Key:#conv")[0][2] == f"{DECK}::Vision"  # front matter wins
    assert _cards(collection, "Key:#tensor")[0][2] == DECK
    names = {name.name for name in collection.decks.all_names_and_ids()}
    assert {DECK, f"{DECK}::Layers", f"{DECK}::Vision"} <= names


def test_anki_itself_would_make_exactly_these_cards(collection: Collection) -> None:
    """Card generation agrees with Anki's: no empty card, and Check Database adds none."""
    assert not collection.get_empty_cards().notes
    before = sorted(collection.find_cards(""))
    collection.fix_integrity()
    assert sorted(collection.find_cards("")) == before
    assert len(before) == 2 + 1 + 1 + 6 + 1 + 1 + 1  # tensor, trace, mixed, act, dense, ...


def test_card_ids_are_one_per_note_and_ordinal_and_stable(in_tmp: Path) -> None:
    shutil.copytree(KINDS / "content", in_tmp / "content", dirs_exist_ok=True)
    assert build("--no-preview", "--no-cache") == 0
    first = (in_tmp / PACKAGE).read_bytes()
    assert build("--no-preview", "--no-cache") == 0
    assert (in_tmp / PACKAGE).read_bytes() == first
    col = Collection(str(in_tmp / "ids.anki2"))
    try:
        col.import_anki_package(
            ImportAnkiPackageRequest(
                package_path=str(in_tmp / PACKAGE), options=ImportAnkiPackageOptions()
            )
        )
        cards = [col.get_card(card_id) for card_id in col.find_cards("")]
        assert len({card.id for card in cards}) == len(cards)
        firsts = {card.nid: card.id for card in cards if card.ord == min(
            c.ord for c in cards if c.nid == card.nid)}  # fmt: skip
        assert all(card_id == note_id for note_id, card_id in firsts.items())
    finally:
        col.close()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('## Q? {#a"b}\n\nA.\n', "content/a.md:1: error: malformed key '#a\"b'"),
        ("## Q? {.clozed}\n\nA.\n", "content/a.md:1: error: unknown card kind '.clozed'"),
        (
            "## T {.cloze .type}\n\n{{c1::x}}\n",
            "content/a.md:1: error: .cloze cannot be combined with .type",
        ),
        (
            "## Q? {.type}\n\n```python\nx = 1\n```\n",
            "content/a.md:3: error: a type-in answer must be one short line of text, and this one has code",
        ),
        (
            "## Q? {.type}\n\nline one\nline two\n",
            "content/a.md:3: error: a type-in answer must be one short line of text, and this one has several lines",
        ),
        ("## Q? {.type}\n\n- one\n- two\n", "this one has a list"),
        ("## Q? {.type}\n\n$$x^2$$\n", "this one has math"),
        ("## Q? {.type}\n\nSee [docs](https://example.org)\n", "this one has a link"),
        (
            "## T {.cloze}\n\n**{{c1::bold** text}}\n",
            "content/a.md:3: error: cloze c1 starts and ends in different places of the formatting",
        ),
        (
            "## T {.cloze}\n\n{{c1::one\n\ntwo}}\n",
            "content/a.md:3: error: cloze c1 starts and ends in different places",
        ),
        (
            "## T {.cloze}\n\nok {{c2::fine}} but {{c1::never closed\n",
            "content/a.md:3: error: cloze {{c1:: is never closed with }}",
        ),
        (
            "## T {.cloze}\n\n{{c0::zero}} {{c1::one}}\n",
            "content/a.md:3: error: cloze numbers start at c1",
        ),
        (
            "## T {.cloze}\n\n[x]({{c1::https://example.org}})\n",
            "content/a.md:3: error: cloze marker inside a link target",
        ),
        (
            "## T {.cloze}\n\n{{c1::x}} \ue001\n",
            "content/a.md:3: error: note contains the private-use characters",
        ),
        (
            "---\ndeck: ''\n---\n## Q?\n\nA.\n",
            "content/a.md:2: error: front matter `deck:` must be one subdeck name",
        ),
        (
            "---\ncards: [reverse, bogus]\n---\n## Q?\n\nA.\n",
            "content/a.md:2: error: front matter `cards:` unknown card kind 'bogus'",
        ),
    ],
    ids=lambda value: value[:40] if isinstance(value, str) else value,
)
def test_bad_card_input_is_a_located_error(
    in_tmp: Path, capsys, source: str, expected: str
) -> None:
    write(in_tmp / "content" / "a.md", source)
    assert build("--no-preview") == 1
    err = capsys.readouterr().err
    assert expected in err, err
    assert not (in_tmp / PACKAGE).exists()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "## T {.cloze}\n\nNothing hidden.\n",
            "content/a.md:1: warning: cloze note has no {{c1::...}} markers; not added",
        ),
        (
            "## Q?\n\nIt says {{c1::this}}.\n",
            "content/a.md:3: warning: cloze markers in a Q&A note stay literal text",
        ),
        (
            "## Section\n\nText {{c1::here}}.\n\n## Q?\n\nA.\n",
            "content/a.md:3: warning: cloze markers under a heading that is not a note (line 1)",
        ),
        (
            "## T {.cloze}\n\n{{c1::x}}\n\nAnswer: {{c2::y}}\n",
            "content/a.md:5: warning: cloze markers after a cloze note's answer marker are not hidden",
        ),
        (
            "## T {{c2::x}} {.cloze}\n\n{{c1::x}}\n",
            "content/a.md:1: warning: cloze markers in a cloze note's heading stay literal text",
        ),
        (
            "## Q? {.type}\n\n" + "word " * 30 + "\n",
            "content/a.md:3: warning: type-in answer is 149 characters long",
        ),
    ],
    ids=lambda value: value[:40] if isinstance(value, str) else value,
)
def test_doubtful_card_input_is_a_located_warning(
    in_tmp: Path, capsys, source: str, expected: str
) -> None:
    write(in_tmp / "content" / "a.md", source + "\n## Filler?\n\nSo the deck is never empty.\n")
    assert build("--no-preview") == 0
    assert expected in capsys.readouterr().err
    assert build("--no-preview", "--strict") == 1


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            '[tool.build-deck]\nnamspace = "x"\n',
            "unknown key 'namspace' in [tool.build-deck] (did you mean 'namespace'?)",
        ),
        ('[tool.build-deck]\ndecks = "Keras"\n', "decks must be a table of folder"),
        ('[tool.build-deck.decks]\n"../up" = "Up"\n', "must be a folder inside the content folder"),
        (
            '[tool.build-deck.decks]\nkeras = "A::::B"\n',
            "maps to a subdeck that 'A::::B' has an empty level",
        ),
        ('[tool.build-deck]\nfolder-decks = "yes"\n', "folder-decks must be true or false"),
    ],
)
def test_bad_deck_settings_are_usage_errors(
    in_tmp: Path, capsys, config: str, expected: str
) -> None:
    write(in_tmp / "content" / "a.md", "## Q?\n\nA.\n")
    write(in_tmp / "pyproject.toml", config)
    assert build("--no-preview") == 2
    err = capsys.readouterr().err
    assert err.startswith("pyproject.toml: error: ") and expected in err, err


def test_a_named_config_file_must_exist(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "a.md", "## Q?\n\nA.\n")
    assert build("--no-preview", "--config", "missing.toml") == 2
    assert "missing.toml: error: configuration file not found" in capsys.readouterr().err


def test_folder_decks_make_a_subdeck_of_every_folder(in_tmp: Path) -> None:
    write(in_tmp / "content" / "top.md", "## Top?\n\nA.\n")
    write(in_tmp / "content" / "tf" / "data" / "a.md", "## Data?\n\nA.\n")
    write(in_tmp / "pyproject.toml", "[tool.build-deck]\nfolder-decks = true\n")
    assert build("--no-preview") == 0
    col = Collection(str(in_tmp / "f.anki2"))
    try:
        col.import_anki_package(
            ImportAnkiPackageRequest(
                package_path=str(in_tmp / PACKAGE), options=ImportAnkiPackageOptions()
            )
        )
        decks = {col.get_card(c).note()["Question"]: col.decks.name(col.get_card(c).did)
                 for c in col.find_cards("")}  # fmt: skip
    finally:
        col.close()
    assert decks == {"Top?": DECK, "Data?": f"{DECK}::tf::data"}


def test_subdeck_spellings_that_differ_only_in_case_become_one(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "a.md", "---\ndeck: Keras\n---\n## A?\n\nA.\n")
    write(in_tmp / "content" / "b.md", "---\ndeck: keras\n---\n## B?\n\nB.\n")
    assert build("--no-preview") == 0
    assert (
        "content/b.md:4: warning: subdeck 'keras' is written 'Keras' elsewhere"
        in capsys.readouterr().err
    )


def test_an_escaped_colon_keeps_a_cloze_whole(in_tmp: Path) -> None:
    """`\\:` inside a cloze is a colon, not the start of a hint: `std::vector` hides whole."""
    write(in_tmp / "content" / "a.md", (
        "## Containers {.cloze}\n\n`{{c1::std\\::vector}}` holds items.\n\n"
        "```cpp\n{{c2::std\\::map}}<int, int> m;\n```\n"
    ))  # fmt: skip
    assert build("--no-preview") == 0
    col = Collection(str(in_tmp / "c.anki2"))
    try:
        col.import_anki_package(
            ImportAnkiPackageRequest(
                package_path=str(in_tmp / PACKAGE), options=ImportAnkiPackageOptions()
            )
        )
        cards = {card.ord: card for card in col.get_note(col.find_notes("")[0]).cards()}
        first, second = cards[0], cards[1]
        assert "std::vector" not in visible(first.question()) and "[...]" in visible(
            first.question()
        )
        assert "std::vector" in visible(first.answer())
        assert "std::map" not in visible(second.question())
        assert "std::map" in visible(second.answer()).replace(" ", "")
    finally:
        col.close()
