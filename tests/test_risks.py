"""Risks with a decided behaviour: a lost ledger, Unicode forms, invisible characters, the deck
description, huge images in the preview, and answers too short to say a note was reworded."""

from __future__ import annotations

import json
import sqlite3
import unicodedata
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

from .conftest import build, write

DECK = Path("dist") / "markdown-flashcards.apkg"
NOTES = "## Was ist eine Größe?\n\nEine Zahl mit Einheit, für Maße wie Länge.\n"


@pytest.fixture
def deck(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1750000000")
    write(in_tmp / "content" / "größe.md", NOTES)
    return in_tmp


def test_a_deleted_ledger_is_warned_about_when_a_package_exists(deck: Path, capsys) -> None:
    assert build("--no-preview") == 0
    (deck / "content" / "ledger.json").unlink()
    capsys.readouterr()
    assert build("--no-preview", "--strict") == 1
    err = capsys.readouterr().err
    assert "content/ledger.json: error: no ledger, but dist/markdown-flashcards.apkg exists" in err
    assert build("--no-preview") == 0  # a warning without --strict: the build goes on


def test_a_file_saved_again_as_nfd_changes_no_note(deck: Path, capsys) -> None:
    assert build("--no-preview") == 0
    source = deck / "content" / "größe.md"
    source.unlink()
    nfd = deck / "content" / unicodedata.normalize("NFD", "größe.md")
    nfd.write_text(unicodedata.normalize("NFD", NOTES), encoding="utf-8")
    capsys.readouterr()
    assert build("--no-preview") == 0
    assert "notes: 0 new, 0 changed, 1 unchanged, 0 reworded/moved" in capsys.readouterr().err


def test_invisible_characters_do_not_hide_a_duplicate(deck: Path, capsys) -> None:
    write(deck / "content" / "b.md", "## Was ist eine Grö\u200bße?\n\nDoppelt.\n")
    assert build("--no-preview") == 1
    assert "duplicate question" in capsys.readouterr().err


def _decks(package: Path, scratch: Path) -> dict[str, dict[str, object]]:
    with zipfile.ZipFile(package) as archive:
        (scratch / "c.db").write_bytes(archive.read("collection.anki2"))
    with closing(sqlite3.connect(scratch / "c.db")) as db:
        (decks,) = db.execute("SELECT decks FROM col").fetchone()
    return dict(json.loads(decks))


def test_the_deck_description_is_text_not_html(deck: Path) -> None:
    write(
        deck / "pyproject.toml",
        '[tool.build-deck]\ndescription = "<b>Bold</b> <script>x()</script>"\n',
    )
    assert build("--no-preview") == 0
    (root,) = [d for d in _decks(deck / DECK, deck).values() if d["name"] == "Markdown Flashcards"]
    assert root["desc"] == "&lt;b&gt;Bold&lt;/b&gt; &lt;script&gt;x()&lt;/script&gt;"


def test_a_huge_image_is_left_out_of_the_preview_not_copied_into_it(deck: Path) -> None:
    image = deck / "content" / "big.png"
    image.write_bytes(b"\x89PNG" + b"\0" * 5_000_000)
    write(deck / "content" / "b.md", "## What is big?\n\n![big](big.png)\n")
    assert build() == 0
    page = (deck / "dist" / "preview.html").read_bytes()
    assert len(page) < 2_000_000  # four copies of 5 MB would be 27 MB
    assert b"image: in the package, not in this preview" not in page  # it is base64 in an <img>
    assert b"data:image/svg+xml;base64," in page
    with zipfile.ZipFile(deck / DECK) as archive:  # the package itself has the image
        assert max(info.file_size for info in archive.infolist()) >= 5_000_000


def test_a_short_equal_answer_does_not_make_a_new_question_an_old_one(deck: Path, capsys) -> None:
    write(deck / "content" / "b.md", "## Is a tensor immutable?\n\nYes.\n")
    assert build("--no-preview") == 0
    write(deck / "content" / "b.md", "## Can a GPU run TensorFlow?\n\nYes.\n")
    capsys.readouterr()
    assert build("--no-preview") == 0
    err = capsys.readouterr().err
    assert "1 new, 0 changed, 1 unchanged, 0 reworded/moved, 1 removed" in err
    # ... while a close rewording with the same short answer is still the same note.
    write(deck / "content" / "b.md", "## Can a GPU run TensorFlow at all?\n\nYes.\n")
    assert build("--no-preview") == 0
    assert "1 reworded/moved" in capsys.readouterr().err
