"""Link resolution as Obsidian does it, and the note scanner's masking of code and comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from deckbuilder.vault import VaultIndex
from deckbuilder.vault.lines import FILLER, mask_inline, scan_note

FILES = [
    "Note.md",
    "photo.png",
    "attachments/photo.png",
    "attachments/diagram.png",
    "deep/er/diagram.png",
    "Folder/Note.md",
    "Folder/local.png",
    "Folder/Sub/Child.md",
    "v1.2.md",
    ".obsidian/app.json",
]


@pytest.fixture
def index() -> VaultIndex:
    return VaultIndex(Path("/vault"), FILES)


@pytest.mark.parametrize(
    ("link", "source", "expected"),
    [
        ("Note", "Other.md", "Note.md"),
        ("note", "Other.md", "Note.md"),  # any case
        ("Note", "Folder/Sub/Child.md", "Note.md"),  # by name: the shortest path
        ("Note", "Folder/Child.md", "Folder/Note.md"),  # the file beside the note first
        ("Folder/Note", "Other.md", "Folder/Note.md"),
        ("/Note.md", "Folder/Child.md", "Note.md"),  # from the vault root
        ("./local.png", "Folder/Sub/Child.md", None),  # explicitly relative: nothing else
        ("../local.png", "Folder/Sub/Child.md", "Folder/local.png"),
        ("diagram.png", "Folder/Sub/Child.md", "attachments/diagram.png"),  # fewest folders
        ("er/diagram.png", "x.md", "deep/er/diagram.png"),  # a path's end
        ("photo.png", "attachments/x.md", "attachments/photo.png"),
        ("photo.png", "x.md", "photo.png"),
        ("v1.2", "x.md", "v1.2.md"),  # an extension that names no file: a note
        ("Child", "x.md", "Folder/Sub/Child.md"),
        ("app.json", "x.md", None),  # dot folders are not part of the vault
        ("missing", "x.md", None),
    ],
)
def test_links_resolve_as_in_obsidian(
    index: VaultIndex, link: str, source: str, expected: str | None
) -> None:
    assert index.resolve(link, source) == expected


def test_scan_lists_the_vault_without_dot_folders(tmp_path: Path) -> None:
    for name in ("a.md", "sub/b.png", ".obsidian/x.json", ".hidden.md", "sub/.trash/c.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert VaultIndex.scan(tmp_path).files() == ["a.md", "sub/b.png"]


def test_vault_paths(index: VaultIndex) -> None:
    assert index.vault_path(Path("/vault/Folder/Note.md")) == "Folder/Note.md"
    assert index.vault_path(Path("/elsewhere/Note.md")) is None


def test_inline_code_and_math_are_masked() -> None:
    text = "a `b::c` d $e::f$ g ``h`i`` $$j$$ \\`k::l\\`"
    masked = mask_inline(text)
    assert len(masked) == len(text)
    assert masked.replace(FILLER, "") == "a  d  g   \\`k::l\\`"


def test_scanned_lines_keep_their_numbers() -> None:
    scanned = scan_note(
        "---\ntags: [flashcards]\n---\nA %%x%% b <!-- c\nd --> e\n```\n::\n```\nf ^block-1\n^id"
    )
    assert scanned.front_matter == "tags: [flashcards]"
    lines = scanned.lines
    assert [line.number for line in lines] == list(range(1, 11))
    assert [line.text for line in lines[:3]] == ["", "", ""]
    assert (lines[3].text, lines[4].text) == ("A b", "e")
    assert [line.protected for line in lines[5:8]] == [True, True, True]
    assert (lines[8].text, lines[8].block_id) == ("f", "block-1")
    assert (lines[9].text, lines[9].block_id, lines[9].transparent) == ("", "id", True)


def test_structures_that_never_close_are_reported() -> None:
    assert scan_note("a\n```\ncode").problems == (
        (2, "code fence never closes; the rest of the note is code"),
    )
    assert scan_note("a %% b\nc").problems == (
        (1, "`%%` comment never closes; the rest of the note is hidden"),
    )


def test_crlf_and_bom_read_the_same() -> None:
    text = "#flashcards\nQ::A\n"
    assert scan_note("\ufeff" + text.replace("\n", "\r\n")) == scan_note(text)
