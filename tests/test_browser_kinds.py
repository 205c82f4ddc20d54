"""Every card kind in real Chromium: cloze fronts hide what they ask, revealed code keeps its
colours, the typing box fits, and the preview page shows every card of every kind."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from deckbuilder.preview import LIGHT_BODY, PreviewCard, card_document, read_cards

from .browsing import MODES, VIEWPORTS, measure, problems
from .conftest import FIXTURES, ROOT, build, write

pytestmark = pytest.mark.browser

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CONFIG = '[tool.build-deck]\n\n[tool.build-deck.decks]\nlayers = "Layers"\n'
# What each card of the `act` cloze note (tests/fixtures/kinds/content/basics.md) hides.
HIDDEN = {
    "Cloze 1": ["relu"],
    "Cloze 2": ["the larger of x and 0", '"a"', "max(x, 0)"],
    "Cloze 3": ["outer", "inner"],
    "Cloze 4": ["inner"],
    "Cloze 5": ["frac"],
    "Cloze 6": ["x^2"],
}


def _build(folder: Path, *options: str) -> Path:
    shutil.copytree(FIXTURES / "kinds" / "content", folder / "content")
    write(folder / "pyproject.toml", CONFIG)
    code = build(
        *("--content", str(folder / "content"), "--templates", str(ROOT / "templates")),
        *("--config", str(folder / "pyproject.toml"), "--out", str(folder / "dist")),
        *options,
    )  # fmt: skip
    assert code == 0
    return folder / "dist"


@pytest.fixture(scope="session")
def kind_cards(tmp_path_factory: pytest.TempPathFactory) -> list[PreviewCard]:
    (package,) = _build(tmp_path_factory.mktemp("kinds"), "--no-preview").glob("*.apkg")
    return read_cards(package)


def _act(cards: list[PreviewCard]) -> dict[str, PreviewCard]:
    return {card.card: card for card in cards if card.title == "Activations"}


def _inner_text(page: Page, html: str, body_class: str) -> str:
    page.set_content(card_document(html, body_class))
    return str(page.evaluate("() => document.body.innerText"))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_card_of_every_kind_fits_and_reads(
    viewport: str, mode: str, pages: dict[str, Page], kind_cards: list[PreviewCard]
) -> None:
    assert Counter(card.card for card in kind_cards) == Counter(
        {"Forward": 5, "Reverse": 1, **{f"Cloze {n}": 1 for n in range(1, 7)}, "Cloze 1": 2}
    )
    failures = []
    for card in kind_cards:
        for side, html in (("front", card.question_html), ("back", card.answer_html)):
            for problem in problems(measure(pages[viewport], html, MODES[mode])):
                failures.append(f"{card.source} {card.card} ({side}): {problem}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("mode", MODES)
def test_a_cloze_front_shows_nothing_it_hides(
    mode: str, pages: dict[str, Page], kind_cards: list[PreviewCard]
) -> None:
    cards = _act(kind_cards)
    assert sorted(cards) == sorted(HIDDEN)
    for name, hidden in HIDDEN.items():
        front = _inner_text(pages["phone"], cards[name].question_html, MODES[mode])
        back = _inner_text(pages["phone"], cards[name].answer_html, MODES[mode])
        for text in hidden:
            assert text not in front, (name, text, front)
            assert text in back, (name, text, back)
        assert "[...]" in front or "[a formula]" in front or "[name]" in front
        assert "Extra shown on the back only." not in front


_COLOUR = "(selector) => getComputedStyle(document.querySelector(selector)).color"
_OUTLINE = "(selector) => getComputedStyle(document.querySelector(selector)).outlineStyle"


@pytest.mark.parametrize("mode", MODES)
def test_code_shown_in_a_cloze_keeps_its_syntax_colours(
    mode: str, pages: dict[str, Page], kind_cards: list[PreviewCard]
) -> None:
    page = pages["desktop"]
    back = _act(kind_cards)["Cloze 1"].answer_html
    page.set_content(card_document(back, MODES[mode]))
    revealed = page.evaluate(_COLOUR, "pre .cloze .nf")
    plain_code = page.evaluate(_COLOUR, "pre")
    assert page.evaluate(_OUTLINE, "pre .cloze") == "dashed"  # marks where the cloze was
    # The same token outside any cloze, under the same CSS: the colour it must keep.
    style = back[: back.index("</style>") + len("</style>")]
    control = f'{style}<pre class="highlight"><code><span class="nf">relu</span></code></pre>'
    page.set_content(card_document(control, MODES[mode]))
    assert revealed == page.evaluate(_COLOUR, ".nf")
    assert revealed != plain_code  # highlighted, not plain code colour
    hidden_front = _act(kind_cards)["Cloze 1"].question_html
    page.set_content(card_document(hidden_front, MODES[mode]))
    assert page.evaluate("() => document.querySelector('pre .cloze').innerText") == "[name]"


def test_the_typing_box_spans_the_card(
    pages: dict[str, Page], kind_cards: list[PreviewCard]
) -> None:
    typed = next(card for card in kind_cards if "traces a Python function" in card.title)
    page = pages["phone"]
    page.set_content(card_document(typed.question_html, LIGHT_BODY))
    widths = page.evaluate(
        "() => [document.querySelector('#typeans').getBoundingClientRect().width,"
        " document.querySelector('.q-wrap').getBoundingClientRect().width]"
    )
    assert widths[0] >= 0.95 * widths[1] > 0


@pytest.fixture(scope="session")
def kinds_preview(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    out = _build(tmp_path_factory.mktemp("kinds-preview"))
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto((out / "preview.html").as_uri())
    yield page
    page.close()


def test_the_preview_shows_every_card_of_every_kind(
    kinds_preview: Page, kind_cards: list[PreviewCard]
) -> None:
    names = kinds_preview.locator("article .card-name").all_inner_texts()
    assert Counter(names) == Counter(card.card for card in kind_cards)
    assert kinds_preview.locator("article iframe").count() == 4 * len(kind_cards)
    assert kinds_preview.text_content("#count") == f"{len(kind_cards)} of {len(kind_cards)} cards"
    # Inside the frames, each card as the apps show it: the typing box on type-in fronts.
    count = """(selector) => Array.from(document.querySelectorAll("iframe"))
                 .filter(f => f.contentDocument.querySelector(selector)).length"""
    assert kinds_preview.evaluate(count, "input#typeans") == 2 * 2  # two notes' fronts, 2 modes
    assert kinds_preview.evaluate(count, "code#typeans") == 2 * 2  # Anki's comparison, backs
