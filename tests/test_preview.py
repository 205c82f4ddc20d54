"""dist/preview.html without a browser: what it holds, that it is offline and deterministic.

The page renders its cards itself (deckbuilder/preview.js); tests/test_browser_preview.py
checks in Chromium that what it renders is what Anki renders.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT, build, import_into_anki, write

DECK = "dist/markdown-flashcards.apkg"
PREVIEW = "dist/preview.html"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
# Elements that make a browser fetch something by themselves (a plain <a href> only on a click).
FETCHING = re.compile(
    r"<(?:script|link|img|iframe|source|audio|video|embed|object)\b[^>]*\b(?:src|href|data)=", re.I
)
REMOTE_CSS = re.compile(r"@import|url\(\s*['\"]?\s*(?:https?:)?//", re.IGNORECASE)


def page_data(path: Path) -> dict[str, Any]:
    """The deck data the page renders from."""
    html = path.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="deck-data">(.*?)</script>', html, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found[1])
    return data


def _titles(data: dict[str, Any]) -> list[str]:
    return [data["notes"][note]["h"] for note, _, _ in data["cards"]]


def test_build_writes_a_preview_of_every_card_and_none_of_removed_notes(in_tmp: Path) -> None:
    source = write(
        in_tmp / "content" / "keras.md",
        "# Keras\n\n## Layers\n\n### What is a Dense layer?\n\nA fully connected layer.\n\n"
        "### What is Dropout? {.reverse}\n\nRandom zeroing.\n\n## Training\n\n### What does `fit` do?\n\n"
        "Runs the training loop.\n",
    )
    assert build() == 0
    data = page_data(in_tmp / PREVIEW)
    assert _titles(data) == [
        "What is a Dense layer?",
        "What is Dropout?",
        "What is Dropout?",
        "What does fit do?",
    ]
    assert [name for _, _, name in data["cards"]] == ["Forward", "Forward", "Reverse", "Forward"]
    assert [n["g"] for n in data["notes"]] == [
        ["keras::layers"],
        ["keras::layers"],
        ["keras::training"],
    ]

    source.write_text(
        source.read_text().replace("### What is Dropout? {.reverse}\n\nRandom zeroing.\n", "")
    )
    assert build() == 0
    notes = import_into_anki(in_tmp / DECK, in_tmp / "c.anki2")
    assert len(notes) == 3  # the removed note is still shipped, without a card
    assert _titles(page_data(in_tmp / PREVIEW)) == ["What is a Dense layer?", "What does fit do?"]


def test_the_page_holds_each_note_type_its_css_and_templates_once(in_tmp: Path) -> None:
    write(in_tmp / "content" / "a.md", "## What is `x`?\n\n```python\nx = 1  # one\n```\n")
    write(in_tmp / "content" / "b.md", "## Ones {.cloze}\n\n{{c1::one}}\n")
    assert build() == 0
    html = (in_tmp / PREVIEW).read_text(encoding="utf-8")
    data = page_data(in_tmp / PREVIEW)
    css = (in_tmp / "templates" / "style.css").read_text(encoding="utf-8")
    assert (
        len(data["css"]) == 1
        and css in data["css"][0]
        and ".nightMode .highlight .c1" in data["css"][0]
    )
    assert html.count(".nightMode .highlight .c1") == 1  # one copy of the CSS in the whole page
    types = {t["cloze"]: t for t in data["types"].values()}
    assert [name for name, _, _ in types[False]["templates"]] == ["Forward", "Reverse"]
    assert [name for name, _, _ in types[True]["templates"]] == ["Cloze"]
    (qa,) = [
        n
        for n in data["notes"]
        if n["t"] in [k for k, t in data["types"].items() if not t["cloze"]]
    ]
    assert '<span class="c1"># one</span>' in "".join(qa["f"])


def test_preview_is_offline_with_each_image_inlined_once(in_tmp: Path) -> None:
    (in_tmp / "content" / "img").mkdir()
    (in_tmp / "content" / "img" / "dot.png").write_bytes(PNG)
    write(
        in_tmp / "content" / "a.md",
        "## What is this dot?\n\n![dot](img/dot.png) See [the docs](https://keras.io/).\n\n"
        "## What is this dot again?\n\n![dot](img/dot.png)\n",
    )
    assert build() == 0
    html = (in_tmp / PREVIEW).read_text(encoding="utf-8")
    assert not FETCHING.search(html.split('id="deck-data">')[0])  # inline style and script only
    data = page_data(in_tmp / PREVIEW)
    (uri,) = data["media"].values()
    assert uri.startswith("data:image/png;base64,")
    assert html.count("data:image/png;base64,") == 1  # once for both cards and all frames
    for css in data["css"]:
        assert not REMOTE_CSS.search(css)


def test_the_same_package_gives_the_same_preview_bytes(in_tmp: Path) -> None:
    write(in_tmp / "content" / "a.md", "## What is one?\n\nOne.\n\n## What is two?\n\nTwo.\n")
    assert build("--no-cache") == 0
    first = (in_tmp / PREVIEW).read_bytes()
    (in_tmp / PREVIEW).unlink()
    assert build("--no-cache") == 0
    assert (in_tmp / PREVIEW).read_bytes() == first


def test_no_preview_and_check_write_no_preview(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(in_tmp / "content" / "a.md", "## What is one?\n\nOne.\n")
    assert build("--check") == 0
    assert not (in_tmp / "dist").exists()
    assert build("--no-preview") == 0
    assert sorted(p.name for p in (in_tmp / "dist").iterdir()) == ["markdown-flashcards.apkg"]
    assert build() == 0
    assert "wrote dist/preview.html: 1 cards" in capsys.readouterr().err


def test_shipped_deck_preview_lists_every_card(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    code = build(
        *("--content", str(ROOT / "content"), "--templates", str(ROOT / "templates")),
        *("--config", str(ROOT / "pyproject.toml"), "--ledger", str(tmp_path / "ledger.json")),
        *("--out", str(out)),
    )
    assert code == 0
    (package,) = out.glob("*.apkg")
    carded = [n for n in import_into_anki(package, tmp_path / "c.anki2") if n["decks"]]
    data = page_data(out / "preview.html")
    assert len(data["notes"]) == len(carded) >= 40
    assert {n["s"] for n in data["notes"]} == {str(n["fields"]["Source"]) for n in carded}


def test_every_card_of_a_big_deck_is_in_the_preview(in_tmp: Path) -> None:
    questions = "".join(f"## What is item {i}?\n\nItem {i}.\n\n" for i in range(1500))
    write(in_tmp / "content" / "a.md", questions)
    assert build() == 0
    html = (in_tmp / PREVIEW).read_text(encoding="utf-8")
    assert '<span id="count">1500 cards</span>' in html
    assert _titles(page_data(in_tmp / PREVIEW))[-1] == "What is item 1499?"
