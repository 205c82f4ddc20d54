"""dist/preview.html without a browser: what it contains, that it is offline and deterministic."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from deckbuilder.preview import LIGHT_BODY, NIGHT_BODY, plain_text, read_cards, render_preview

from .conftest import ROOT, build, import_into_anki, write

DECK = "dist/markdown-flashcards.apkg"
PREVIEW = "dist/preview.html"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
# Elements that make a browser fetch something by themselves (a plain <a href> only on a click).
FETCHING = {
    "script": "src",
    "link": "href",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "audio": "src",
    "video": "src",
    "embed": "src",
    "object": "data",
}
REMOTE_CSS = re.compile(r"@import|url\(\s*['\"]?\s*(?:https?:)?//", re.IGNORECASE)


@dataclass
class Article:
    tags: str
    title: str = ""
    frames: list[str] = field(default_factory=list)  # srcdoc of each iframe


class _Page(HTMLParser):
    """The preview's articles, and every URL an element would fetch, in the page or a frame."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.articles: list[Article] = []
        self.fetched: list[str] = []
        self.styles: list[str] = []
        self._in_title = self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in FETCHING and FETCHING[tag] in values:
            self.fetched.append(values[FETCHING[tag]])
        if tag == "article":
            self.articles.append(Article(values.get("data-tags", "")))
        elif tag == "h2" and self.articles:
            self._in_title = True
        elif tag == "iframe" and "srcdoc" in values:
            self.articles[-1].frames.append(values["srcdoc"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = self._in_title and tag != "h2"
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.articles[-1].title += data
        if self._in_style:
            self.styles.append(data)


def parse_page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def _frames(page: _Page) -> list[_Page]:
    return [parse_page(frame) for article in page.articles for frame in article.frames]


def test_build_writes_a_preview_of_every_card_and_none_of_removed_notes(in_tmp: Path) -> None:
    source = write(
        in_tmp / "content" / "keras.md",
        "# Keras\n\n## Layers\n\n### What is a Dense layer?\n\nA fully connected layer.\n\n"
        "### What is Dropout?\n\nRandom zeroing.\n\n## Training\n\n### What does `fit` do?\n\n"
        "Runs the training loop.\n",
    )
    assert build() == 0
    page = parse_page((in_tmp / PREVIEW).read_text(encoding="utf-8"))
    assert [a.title for a in page.articles] == [
        "What is a Dense layer?",
        "What is Dropout?",
        "What does fit do?",
    ]
    assert [a.tags for a in page.articles] == ["keras::layers", "keras::layers", "keras::training"]

    source.write_text(source.read_text().replace("### What is Dropout?\n\nRandom zeroing.\n", ""))
    assert build() == 0
    notes = import_into_anki(in_tmp / DECK, in_tmp / "c.anki2")
    assert len(notes) == 3  # the removed note is still shipped, without a card
    page = parse_page((in_tmp / PREVIEW).read_text(encoding="utf-8"))
    assert [a.title for a in page.articles] == ["What is a Dense layer?", "What does fit do?"]


def test_each_card_is_shown_front_and_back_light_and_night_with_the_package_css(
    in_tmp: Path,
) -> None:
    write(in_tmp / "content" / "a.md", "## What is `x`?\n\n```python\nx = 1  # one\n```\n")
    assert build() == 0
    (article,) = parse_page((in_tmp / PREVIEW).read_text(encoding="utf-8")).articles
    bodies = [re.search(r'<body class="([^"]*)"', frame)[1] for frame in article.frames]  # type: ignore[index]
    assert bodies == [LIGHT_BODY, NIGHT_BODY, LIGHT_BODY, NIGHT_BODY]
    front, back = article.frames[0], article.frames[2]
    css = (in_tmp / "templates" / "style.css").read_text(encoding="utf-8")
    for frame in article.frames:  # Anki's own <style> of the note type, byte for byte
        assert css in frame
        assert ".nightMode .highlight .c1" in frame
    assert 'id="answer"' not in front and 'id="answer"' in back
    assert '<span class="c1"># one</span>' in back


def test_preview_is_offline_with_images_inlined(in_tmp: Path) -> None:
    (in_tmp / "content" / "img").mkdir()
    (in_tmp / "content" / "img" / "dot.png").write_bytes(PNG)
    write(
        in_tmp / "content" / "a.md",
        "## What is this dot?\n\n![dot](img/dot.png) See [the docs](https://keras.io/).\n",
    )
    assert build() == 0
    page = parse_page((in_tmp / PREVIEW).read_text(encoding="utf-8"))
    frames = _frames(page)
    assert len(frames) == 4
    assert page.fetched == []  # the page itself: inline style and script only
    fetched = [url for frame in frames for url in frame.fetched]
    assert fetched and all(url.startswith("data:image/png;base64,") for url in fetched)
    for css in page.styles + [css for frame in frames for css in frame.styles]:
        assert not REMOTE_CSS.search(css)


def test_the_same_package_gives_the_same_preview_bytes(in_tmp: Path) -> None:
    write(in_tmp / "content" / "a.md", "## What is one?\n\nOne.\n\n## What is two?\n\nTwo.\n")
    assert build() == 0
    first = (in_tmp / PREVIEW).read_bytes()
    assert build() == 0
    assert (in_tmp / PREVIEW).read_bytes() == first
    again = render_preview(read_cards(in_tmp / DECK), "Markdown Flashcards")
    assert again.encode("utf-8") == first


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


def test_shipped_deck_preview_lists_every_carded_note(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    code = build(
        *("--content", str(ROOT / "content"), "--templates", str(ROOT / "templates")),
        *("--config", str(ROOT / "pyproject.toml"), "--ledger", str(tmp_path / "ledger.json")),
        *("--out", str(out)),
    )
    assert code == 0
    (package,) = out.glob("*.apkg")
    carded = [n for n in import_into_anki(package, tmp_path / "c.anki2") if n["decks"]]
    page = parse_page((out / "preview.html").read_text(encoding="utf-8"))
    titles = sorted(plain_text(str(n["fields"]["Question"])) for n in carded)  # type: ignore[index]
    assert sorted(a.title for a in page.articles) == titles
    assert len(titles) >= 40
    assert all(len(a.frames) == 4 for a in page.articles)


def test_preview_of_a_huge_deck_shows_the_first_cards_only(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import deckbuilder.preview

    monkeypatch.setattr(deckbuilder.preview, "MAX_PREVIEW_CARDS", 3)
    questions = "".join(f"## What is item {i}?\n\nItem {i}.\n\n" for i in range(5))
    write(in_tmp / "content" / "a.md", questions)
    assert build() == 0
    page = (in_tmp / "dist" / "preview.html").read_text(encoding="utf-8")
    assert "first 3 of 5 cards (the package holds all)" in page
    assert "What is item 2?" in page and "What is item 3?" not in page
