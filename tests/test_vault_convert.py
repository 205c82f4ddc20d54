"""Card text as CommonMark: what the renderer makes of it, and embeds that never end."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

from deckbuilder.vault import VaultIndex, VaultNote, VaultSettings, parse_vault_note, read_settings

from .conftest import FIXTURES
from .test_vault_fixtures import VAULTS


def _note(files: dict[str, str], name: str = "a.md") -> VaultNote:
    index = VaultIndex(Path("/v"), list(files), read_text=lambda path: files.get(path.name))
    return parse_vault_note(files[name], Path("/v") / name, name, index, VaultSettings())


def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark").use(attrs_plugin).use(dollarmath_plugin, allow_space=True)


@pytest.mark.parametrize("vault", VAULTS, ids=lambda p: p.name)
def test_every_image_points_at_a_listed_attachment(vault: Path) -> None:
    """Rendered as the renderer renders (attrs for sizes, dollar math), each local image's
    src, taken from the note's folder, is one of the note's media."""
    settings = read_settings(vault)
    assert isinstance(settings, VaultSettings)
    index = VaultIndex.scan(vault)
    for name in index.notes():
        path = index.absolute(name)
        note = parse_vault_note(path.read_text(encoding="utf-8"), path, name, index, settings)
        for card in note.cards:
            for side in (card.front, card.back):
                for src in _image_sources(side):
                    if not src.startswith("https:"):
                        assert (path.parent / unquote(src)).resolve() in note.media


def _image_sources(markdown: str) -> list[str]:
    found = []
    for token in _renderer().parse(markdown):
        for child in token.children or ():
            if child.type == "image":
                found.append(str(child.attrGet("src")))
    return found


def test_a_sized_image_gets_its_width() -> None:
    vault = FIXTURES / "vaults" / "embeds"
    index = VaultIndex.scan(vault)
    path = index.absolute("Deck/Cards.md")
    note = parse_vault_note(path.read_text(), path, "Cards.md", index, VaultSettings())
    html = _renderer().render(note.cards[1].back)
    assert '<img src="../attachments/diagram.png" alt="diagram.png" width="300" />' in html
    assert 'width="200" height="100"' in html


def test_a_callout_renders_as_a_quote_with_a_bold_title() -> None:
    note = _note({"a.md": "#flashcards\nQ\n?\n> [!tip]- Title\n> Body"})
    html = _renderer().render(note.cards[0].back)
    assert html == "<blockquote>\n<p><strong>Title</strong></p>\n<p>Body</p>\n</blockquote>\n"


def test_an_embed_cycle_through_two_notes_stops() -> None:
    note = _note({"a.md": "#flashcards\nQ\n?\n![[b]]", "b.md": "B\n![[c]]", "c.md": "C\n![[b]]"})
    assert note.cards[0].back == "B\nC\nb"
    assert [str(d) for d in note.diagnostics] == [
        "a.md:4: warning: embed of b.md includes itself; not expanded (in the embed of c.md)"
    ]


def test_embeds_that_multiply_are_capped() -> None:
    files = {"a.md": "#flashcards\nQ\n?\n" + "![[b]] " * 10}
    for name, below in zip("bcdefg", "cdefgh", strict=True):
        files[f"{name}.md"] = ("text " * 20 + f"![[{below}]] ") * 10
    files["h.md"] = "leaf " * 1000
    note = _note(files)
    assert len(note.cards) == 1
    assert [d.message for d in note.diagnostics] == [
        "embeds nest deeper than 5; not expanded (in the embed of f.md)",
        "embeds show over 1,000,000 characters; the rest are not expanded (in the embed of d.md)",
    ]


def test_a_note_embedding_its_own_section() -> None:
    note = _note({"a.md": "#flashcards\n# Part\nQ\n?\n![[#Part]]"})
    assert note.cards[0].back == "# Part\nQ\n?\nPart"  # the section holds the card itself
    assert "includes itself" in note.diagnostics[0].message


def test_nothing_in_code_or_math_is_converted() -> None:
    text = "#flashcards\nQ\n?\n`[[a]] ==b== #c` $[[d]]$\n```\n![[e.png]] ==f==\n```"
    note = _note({"a.md": text})
    assert note.cards[0].back == "`[[a]] ==b== #c` $[[d]]$\n```\n![[e.png]] ==f==\n```"
    assert note.media == () and note.diagnostics == ()
