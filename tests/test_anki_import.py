"""The built package as Anki itself sees it: imported with the official `anki` package."""

from __future__ import annotations

import shutil
from pathlib import Path

from deckbuilder.identity import note_guid

from .conftest import build, import_into_anki, write

DECK = "dist/markdown-flashcards.apkg"


def test_seed_deck_imports_with_fields_tags_and_guids(in_tmp: Path, seeds: Path) -> None:
    shutil.copy(seeds / "002_354b27e891e42ae1.md", in_tmp / "content" / "tensorflow.md")
    assert build() == 0
    notes = import_into_anki(in_tmp / DECK, in_tmp / "c.anki2")
    assert len(notes) == 8
    first = notes[0]
    assert first["notetype"] == "Markdown Flashcards (build-deck Q&A)"
    assert list(first["fields"]) == [
        "Question",
        "Detail",
        "Answer",
        "Topic",
        "Source",
        "Key",
        "Reverse",
        "TypeIn",
    ]
    by_question = {n["fields"]["Question"]: n for n in notes}
    tensors = by_question["What are Tensors?"]
    assert tensors["guid"] == note_guid("Markdown Flashcards", "what are tensors?")
    assert tensors["tags"] == ["tensorflow"]
    assert tensors["decks"] == ["Markdown Flashcards"]
    assert tensors["fields"]["Source"] == "tensorflow.md:11"
    assert tensors["fields"]["Answer"].startswith("<p>A tensor is a mathematical object")
    assert len({n["guid"] for n in notes}) == 8


def test_media_reaches_the_collection(in_tmp: Path) -> None:
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
    (in_tmp / "content" / "img").mkdir()
    (in_tmp / "content" / "img" / "dot.png").write_bytes(png)
    write(in_tmp / "content" / "a.md", "## What is this dot?\n\n![dot](img/dot.png)\n")
    assert build() == 0
    (note,) = import_into_anki(in_tmp / DECK, in_tmp / "c.anki2")
    media_dir = in_tmp / "c.media"
    (name,) = [p.name for p in media_dir.iterdir()]
    assert (media_dir / name).read_bytes() == png
    assert f'src="{name}"' in note["fields"]["Answer"]


def test_rebuild_keeps_guids_and_edits_keep_them(in_tmp: Path) -> None:
    source = write(
        in_tmp / "content" / "keras.md",
        "---\ntopic: Keras\n---\n# Keras\n\n## Layers\n\n### What is a Dense layer?\n\n"
        "A fully connected layer.\n\n### What is Dropout? {#dropout}\n\nRandom zeroing.\n",
    )
    assert build() == 0
    first = import_into_anki(in_tmp / DECK, in_tmp / "c.anki2")
    assert build() == 0
    again = import_into_anki(in_tmp / DECK, in_tmp / "c.anki2")
    assert [n["guid"] for n in again] == [n["guid"] for n in first]
    assert {tuple(n["tags"]) for n in first} == {("keras::layers",)}

    source.write_text(source.read_text().replace("Random zeroing.", "Zeroes inputs at random."))
    source.write_text(source.read_text().replace("What is Dropout?", "What does Dropout do?"))
    assert build() == 0
    # A fresh collection: updating an existing one in place is the ledger's job (modification
    # times), tested with the update scenarios.
    edited = import_into_anki(in_tmp / DECK, in_tmp / "fresh.anki2")
    assert len(edited) == 2
    assert [n["guid"] for n in edited] == [n["guid"] for n in first]
    dropout = next(n for n in edited if n["fields"]["Key"] == "#dropout")
    assert dropout["fields"]["Answer"] == "<p>Zeroes inputs at random.</p>"
    assert dropout["fields"]["Question"] == "What does Dropout do?"


def test_plain_text_fields_cannot_carry_html(in_tmp: Path) -> None:
    write(
        in_tmp / "content" / "<b>x.md",
        "---\ntopic: <img src=x onerror=alert(1)>\n---\n"
        "## What is &lt;img src=x onerror=alert(1)&gt;?\n\nText.\n",
    )
    assert build() == 0
    (note,) = import_into_anki(in_tmp / DECK, in_tmp / "c.anki2")
    fields = note["fields"]
    assert fields["Topic"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert fields["Source"] == "&lt;b&gt;x.md:4"
    assert "<img" not in fields["Key"] and "&lt;img" in fields["Key"]


def test_sound_and_tts_tags_are_text_not_players(in_tmp: Path) -> None:
    # Anki plays `[sound:…]` and `[anki:tts]` found anywhere in card HTML, code included.
    write(
        in_tmp / "content" / "anki.md",
        "---\ntopic: '[sound:topic.mp3]'\n---\n"
        "## What does [sound:q.mp3] do?\n\n"
        "It plays `[sound:inline.mp3]`; [anki:tts lang=en_US]this[/anki:tts] speaks.\n\n"
        '```python\nprint("[SOUND:code.mp3]")\n```\n',
    )
    assert build() == 0
    from anki.collection import Collection

    (note,) = import_into_anki(in_tmp / DECK, in_tmp / "c.anki2")
    assert note["fields"]["Topic"] == "[sound&#58;topic.mp3]"  # shown as typed, never played
    col = Collection(str(in_tmp / "c.anki2"))
    try:
        (card_id,) = col.find_cards("")
        card = col.get_card(card_id)
        assert card.question_av_tags() == [] and card.answer_av_tags() == []
        answer = card.answer()
    finally:
        col.close()
    # What the browser shows is still what was written.
    from html import unescape

    shown = unescape(answer)
    text = shown.replace('<span class="s2">', "").replace("</span>", "")
    for written in ("[sound:q.mp3]", "[sound:inline.mp3]", "[anki:tts lang=en_US]", "[SOUND:code"):
        assert written in text
