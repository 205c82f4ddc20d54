"""The preview page in real Chromium: it renders every card exactly as Anki does, opens a deck of
any size with frames only near the screen, filters, and loads nothing from the network."""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from deckbuilder.preview import LIGHT_BODY, NIGHT_BODY

from .anki_cards import read_cards
from .conftest import FIXTURES, ROOT, build, write

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

REAL_VAULT = ROOT.parent / "shared" / "vaults" / "software-flashcards"
_STYLE = re.compile(r"^<style>.*?</style>", re.S)
_FACES = """(index) => {
  const card = renderCard(index);
  const [note, , name] = DATA.cards[index];
  return [DATA.notes[note].s, name, card.front, card.back];
}"""


def _deck(folder: Path, content: Path, *options: str) -> Path:
    shutil.copytree(content, folder / "content")
    shutil.copytree(ROOT / "templates", folder / "templates")
    code = build(
        *("--content", str(folder / "content"), "--templates", str(folder / "templates")),
        *("--out", str(folder / "dist"), "--ledger", str(folder / "ledger.json"), *options),
    )  # fmt: skip
    assert code == 0
    return folder / "dist"


def _open(browser: Browser, page_file: Path) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(page_file.as_uri())
    page.wait_for_selector("body[data-ready]")
    return page


def _mismatches(page: Page, package: Path) -> tuple[int, list[str]]:
    """Every card rendered by the page against the same card rendered by Anki."""
    anki = {(card.source, card.card): card for card in read_cards(package)}
    total = int(page.evaluate("DATA.cards.length"))
    assert total == len(anki)
    wrong = []
    for index in range(total):
        source, name, front, back = page.evaluate(_FACES, index)
        card = anki[(source, name)]
        for side, ours, theirs in (
            ("front", front, card.question_html),
            ("back", back, card.answer_html),
        ):
            if ours != _STYLE.sub("", theirs):
                wrong.append(f"{source} {name} {side}")
    return total, wrong


@pytest.mark.parametrize("deck", ["kinds", "hostile", "shipped", "vault"])
def test_the_page_renders_every_card_exactly_as_anki_does(
    browser: Browser, tmp_path: Path, deck: str
) -> None:
    contents = {"kinds": FIXTURES / "kinds" / "content", "hostile": FIXTURES / "hostile",
                "shipped": ROOT / "content", "vault": REAL_VAULT}  # fmt: skip
    if deck == "vault" and not REAL_VAULT.is_dir():
        pytest.skip("../shared/vaults is not beside the checkout")
    out = _deck(tmp_path, contents[deck])
    (package,) = out.glob("*.apkg")
    page = _open(browser, out / "preview.html")
    try:
        total, wrong = _mismatches(page, package)
        assert total > 10 and wrong == []
        # The comparison can fail: a page whose data says something else does not match.
        page.evaluate("DATA.notes[DATA.cards[0][0]].f[0] += ' (changed)'")
        assert _mismatches(page, package)[1] != []
    finally:
        page.close()


@pytest.fixture(scope="module")
def big_page(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Page, list[str]]]:
    """A preview of 5,000 cards, with every URL the browser asked for."""
    sys.path.insert(0, str(ROOT / "bench"))
    import corpus  # the benchmark's generated notes: code, tables, paragraphs

    folder = tmp_path_factory.mktemp("big")
    corpus.write_corpus(corpus.make_notes(5000), folder / "notes", "ours")
    out = _deck(folder, folder / "notes")
    page = _open(browser, out / "preview.html")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    yield page, requested
    page.close()


def _frames(page: Page) -> int:
    return int(page.locator("iframe").count())


def test_a_big_deck_opens_with_frames_only_near_the_screen(
    big_page: tuple[Page, list[str]],
) -> None:
    page, _ = big_page
    assert page.text_content("#count") == "5000 of 5000 cards"
    assert page.locator("article").count() == 5000
    assert 0 < _frames(page) <= 4 * 30  # the cards near the top, not all 20,000 faces
    last = page.locator("main article:last-child")
    page.evaluate("document.querySelector('main article:last-child').scrollIntoView()")
    page.wait_for_function(
        "document.querySelectorAll('main article:last-child iframe').length === 4"
    )
    page.evaluate("document.querySelector('main article:last-child').scrollIntoView()")
    assert last.locator("iframe").count() == 4
    assert page.locator("main article:first-child iframe").count() == 0  # let go of far ones
    assert _frames(page) <= 4 * 30


def test_frames_are_card_sized_in_both_modes(big_page: tuple[Page, list[str]]) -> None:
    page, _ = big_page
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_function("document.querySelector('main article:first-child iframe') !== null")
    page.wait_for_timeout(300)
    frames: list[list[Any]] = page.evaluate(
        """() => Array.from(document.querySelectorAll("main article:first-child iframe")).map(f =>
             [f.contentDocument.body.className, f.clientHeight, f.contentDocument.documentElement.scrollHeight])"""
    )
    assert [body for body, *_ in frames] == [LIGHT_BODY, NIGHT_BODY, LIGHT_BODY, NIGHT_BODY]
    assert all(inner >= content for _, inner, content in frames)  # no scrollbar in any frame
    assert frames[0][1] < frames[2][1]  # the back is taller than the front: each fits its card


def test_the_filter_narrows_by_words_and_tags(big_page: tuple[Page, list[str]]) -> None:
    page, _ = big_page
    shown = "() => document.querySelectorAll('main article:not([hidden])').length"
    page.fill("#filter", "tag:topic-0003")
    assert page.evaluate(shown) == 100 and page.text_content("#count") == "100 of 5000 cards"
    page.fill("#filter", "tag:topic-0003::part-1")
    assert page.evaluate(shown) == 20
    page.fill("#filter", "no card says this")
    assert page.evaluate(shown) == 0
    page.fill("#filter", "")
    assert page.evaluate(shown) == 5000
    page.locator("main article:first-child button[data-tag]").first.click()
    assert page.input_value("#filter").startswith("tag:topic-0000")
    page.fill("#filter", "")


def test_the_page_loads_nothing_from_the_network(big_page: tuple[Page, list[str]]) -> None:
    page, requested = big_page
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    page.wait_for_timeout(300)
    assert [url for url in requested if not url.startswith(("file:", "data:", "about:"))] == []


def test_a_type_in_front_has_its_box_in_the_preview(browser: Browser, tmp_path: Path) -> None:
    write(tmp_path / "notes" / "a.md", "## Which decorator traces? {.type}\n\n`tf.function`\n")
    page = _open(browser, _deck(tmp_path, tmp_path / "notes") / "preview.html")
    try:
        page.wait_for_selector("iframe")
        count = """(selector) => Array.from(document.querySelectorAll("iframe"))
                     .filter(f => f.contentDocument.querySelector(selector)).length"""
        page.wait_for_function(f"({count})('input#typeans') === 2")
        assert page.evaluate(count, "code#typeans") == 2  # the comparison, on both backs
    finally:
        page.close()
