"""Cards and the preview page in a real browser: phone and desktop widths, light and night.

Headless Chromium (Debian's `chromium` package) driven by Playwright. Every card of the shipped
deck, plus synthetic cards built to break the layout, is loaded as Anki shows it: the card's
own HTML with the note type's <style>, in a body with the classes the Anki apps set. Measured,
not assumed: the page never scrolls sideways, long code scrolls inside its block, and every
piece of text has at least 4.5:1 contrast against what is painted behind it.

Without Chromium or Playwright these tests skip, unless REQUIRE_BROWSER_TESTS=1 (as in CI)
makes that a failure. Screenshots go to test-artifacts/. UPDATE_DOCS_SCREENSHOTS=1 also rewrites
the two README images in docs/ (look at them before committing).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pygments.styles import get_style_by_name

from deckbuilder.notetype import LIGHT_CODE_STYLE, NIGHT_CODE_STYLE
from deckbuilder.preview import (
    LIGHT_BODY,
    NIGHT_BODY,
    PreviewCard,
    card_document,
    read_cards,
    search_text,
)

from .browsing import (
    ARTIFACTS,
    DOCS,
    MIN_CONTRAST,
    MODES,
    VIEWPORTS,
    _hex6,
    contrast,
    measure,
    problems,
)
from .conftest import ROOT, build, write

pytestmark = pytest.mark.browser

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

LONG_LINE = "x = " + " + ".join(f"tensor_number_{i}" for i in range(30)) + "  # one very long line"
SYNTHETIC = f"""\
# Synthetic

## Layout

### What does a very long code line do on a phone? {{#long-code-line}}

```python
{LONG_LINE}
```

### What happens to a long unbroken word? {{#long-word}}

{"Donaudampfschifffahrtsgesellschaft" * 6} and
`{"inline_code_without_spaces_" * 6}` and
https://example.com/{"a-very-long-path-segment/" * 8}

### What does a wide table do? {{#wide-table}}

| {" | ".join(f"column {i}" for i in range(12))} |
|{"---|" * 12}
| {" | ".join(f"value_{i}_xxxxxxxx" for i in range(12))} |

### Question: Everything at once {{#everything}}

Detail with `inline code`, **bold**, *emphasis* and a list:

- one
- two

Answer: > A quote, with a [link](https://example.com) and ~~strikethrough~~.

Math \\( x^2 \\), then code that does not run and a console session:

```python no-run
sess = tf.Session()  # TF 1.x
```

```console
$ pip install tensorflow
```

```unknown-language
plain <escaped> text
```

#### A heading inside the answer

1. First
2. Second
"""

# --- fixtures -------------------------------------------------------------------------------


def _build_deck(content: Path, out: Path) -> Path:
    code = build(
        *("--content", str(content), "--templates", str(ROOT / "templates")),
        *("--config", str(ROOT / "pyproject.toml"), "--ledger", str(out / "ledger.json")),
        *("--out", str(out), "--no-preview"),
    )
    assert code == 0
    (package,) = out.glob("*.apkg")
    return package


@pytest.fixture(scope="session")
def shipped_cards(tmp_path_factory: pytest.TempPathFactory) -> list[PreviewCard]:
    """Every card of the deck in content/, as Anki renders it."""
    return read_cards(_build_deck(ROOT / "content", tmp_path_factory.mktemp("shipped")))


@pytest.fixture(scope="session")
def synthetic_cards(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PreviewCard]:
    """Cards written to break the layout, by their explicit key."""
    folder = tmp_path_factory.mktemp("synthetic")
    write(folder / "content" / "synthetic.md", SYNTHETIC)
    cards = read_cards(_build_deck(folder / "content", folder / "dist"))
    keys = re.findall(r"\{#([a-z-]+)\}", SYNTHETIC)
    assert len(cards) == len(keys)
    return dict(zip(keys, cards, strict=True))  # read_cards keeps the order of the Markdown


def _faces(card: PreviewCard) -> dict[str, str]:
    return {"front": card.question_html, "back": card.answer_html}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_card_fits_the_screen_and_has_readable_contrast(
    viewport: str,
    mode: str,
    pages: dict[str, Page],
    shipped_cards: list[PreviewCard],
    synthetic_cards: dict[str, PreviewCard],
) -> None:
    cards = [*shipped_cards, *synthetic_cards.values()]
    failures = []
    for card in cards:
        for side, html in _faces(card).items():
            for problem in problems(measure(pages[viewport], html, MODES[mode])):
                failures.append(f"{card.source} ({side}, {viewport}, {mode}): {problem}")
    assert not failures, "\n".join(failures)
    assert len(shipped_cards) >= 40


@pytest.mark.parametrize("mode", MODES)
def test_a_long_code_line_scrolls_inside_its_block_and_the_check_sees_when_it_does_not(
    mode: str, pages: dict[str, Page], synthetic_cards: dict[str, PreviewCard]
) -> None:
    html = synthetic_cards["long-code-line"].answer_html
    found = measure(pages["phone"], html, MODES[mode])
    (block,) = found["code"]
    assert block["scrollWidth"] > 2 * block["clientWidth"]  # the line really is too long
    assert problems(found) == []
    # The same card with the code rule undone must fail: proof the check can fail at all.
    unscrolled = "<style>.card pre.highlight { overflow-x: visible; max-width: none; }</style>"
    broken = problems(measure(pages["phone"], html + unscrolled, MODES[mode]))
    assert any("page scrolls sideways" in problem for problem in broken), broken


def test_the_contrast_check_sees_faint_text(
    pages: dict[str, Page], shipped_cards: list[PreviewCard]
) -> None:
    faint = '<p style="color: #9aa0a6">faint grey on white</p>'
    found = problems(measure(pages["phone"], shipped_cards[0].answer_html + faint, LIGHT_BODY))
    ratio = contrast("#9aa0a6", "#ffffff")  # the Python formula below agrees with the browser's
    assert found == [f"contrast {ratio:.2f} for 'faint grey on white' in p (#9aa0a6 on #ffffff)"]


@pytest.mark.parametrize("body_class", ["card nightMode", "card night_mode", "nightMode"])
def test_each_apps_night_classes_give_the_same_night_colours(
    body_class: str, pages: dict[str, Page], shipped_cards: list[PreviewCard]
) -> None:
    """Anki desktop sets both classes, AnkiDroid `night_mode`, and the card may be a child."""
    page = pages["phone"]
    colours = "() => [getComputedStyle(document.querySelector('.card')).backgroundColor,"
    colours += " getComputedStyle(document.querySelector('pre')).backgroundColor]"
    html = next(card.answer_html for card in shipped_cards if "<pre" in card.answer_html)
    page.set_content(card_document(html, NIGHT_BODY))
    expected = page.evaluate(colours)
    wrapped = html if "card" in body_class else f'<div class="card">{html}</div>'
    page.set_content(card_document(wrapped, body_class))
    assert page.evaluate(colours) == expected
    page.set_content(card_document(html, LIGHT_BODY))
    assert page.evaluate(colours) != expected


# --- syntax colours -------------------------------------------------------------------------


def test_contrast_formula_matches_wcag_examples() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_every_pygments_token_colour_reads_on_the_cards_code_background() -> None:
    """Each style's own colours against the --code-bg the card CSS paints code blocks with."""
    css = (ROOT / "templates" / "style.css").read_text(encoding="utf-8")
    light_bg, night_bg = re.findall(r"--code-bg:\s*(#[0-9a-fA-F]{6})\b", css)
    failures = []
    for name, code_bg in ((LIGHT_CODE_STYLE, light_bg), (NIGHT_CODE_STYLE, night_bg)):
        for token, style in get_style_by_name(name):
            if style["color"]:
                behind = _hex6(style["bgcolor"]) if style["bgcolor"] else code_bg
                ratio = contrast(_hex6(style["color"]), behind)
                if ratio < MIN_CONTRAST:
                    failures.append(f"{name} {token}: {ratio:.2f} (#{style['color']} on {behind})")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("mode", MODES)
def test_every_token_class_measured_in_the_browser(
    mode: str, pages: dict[str, Page], shipped_cards: list[PreviewCard]
) -> None:
    """The cascade as the browser resolves it: card CSS and both Pygments styles together."""
    style = re.match(r"<style>.*?</style>", shipped_cards[0].question_html, re.DOTALL)
    assert style is not None
    classes = sorted(set(re.findall(r"\.highlight \.([\w-]+) \{", style[0])))
    assert len(classes) > 60
    spans = "\n".join(f'<span class="{name}">{name} token</span>' for name in classes)
    html = f'{style[0]}<div class="answer"><pre class="highlight"><code>{spans}</code></pre></div>'
    found = measure(pages["desktop"], html, MODES[mode])
    measured = {text["selector"] for text in found["text"]}
    assert {f"span.{name}" for name in classes} <= measured
    assert problems(found) == []


# --- screenshots ----------------------------------------------------------------------------


def _representative(cards: list[PreviewCard]) -> dict[str, PreviewCard]:
    """A plain card, the shortest card with code, a table, and the "does not run" label."""
    by_length = sorted(cards, key=lambda card: len(card.answer_html))
    picks = {
        "plain": next(c for c in by_length if "<pre" not in c.answer_html),
        "code": next(c for c in by_length if "<pre" in c.answer_html),
        "table": next((c for c in by_length if "<table" in c.answer_html), None),
        "no-run": next((c for c in by_length if 'class="code-label"' in c.answer_html), None),
    }
    return {name: card for name, card in picks.items() if card is not None}


def test_screenshots_of_representative_cards(
    pages: dict[str, Page], shipped_cards: list[PreviewCard]
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, card in _representative(shipped_cards).items():
        for viewport, page in pages.items():
            for mode, body_class in MODES.items():
                page.set_content(card_document(card.answer_html, body_class))
                path = ARTIFACTS / f"{name}-{viewport}-{mode}.png"
                page.screenshot(path=str(path), full_page=True)
                assert path.stat().st_size > 1000


@pytest.mark.skipif(
    os.environ.get("UPDATE_DOCS_SCREENSHOTS") != "1", reason="set UPDATE_DOCS_SCREENSHOTS=1"
)
def test_update_docs_screenshots(browser: Browser, shipped_cards: list[PreviewCard]) -> None:
    """docs/card-light.png and docs/card-night.png: a code card at phone width, 2x pixels."""
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    card = _representative(shipped_cards)["code"]
    DOCS.mkdir(exist_ok=True)
    for mode, body_class in MODES.items():
        page.set_content(card_document(card.answer_html, body_class))
        page.screenshot(path=str(DOCS / f"card-{mode}.png"), full_page=True)
    page.close()


# --- the preview page -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def preview_page(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Page, list[str]]]:
    """The shipped deck's preview.html opened from disk, with every URL the browser asked for."""
    out = tmp_path_factory.mktemp("preview")
    code = build(
        *("--content", str(ROOT / "content"), "--templates", str(ROOT / "templates")),
        *("--config", str(ROOT / "pyproject.toml"), "--ledger", str(out / "ledger.json")),
        *("--out", str(out)),
    )
    assert code == 0
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto((out / "preview.html").as_uri())
    yield page, requested
    page.close()


def _under(tag: str, wanted: str) -> bool:
    """`tag:keras` shows `keras` and everything below it (`keras::layers`), as Anki does."""
    return tag == wanted or tag.startswith(wanted + "::")


def _visible(page: Page) -> int:
    return page.locator("article:not([hidden])").count()


def test_preview_loads_nothing_from_the_network(preview_page: tuple[Page, list[str]]) -> None:
    page, requested = preview_page
    assert [url for url in requested if not url.startswith(("file:", "data:", "about:"))] == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS.parent / "preview.png"))


def test_preview_frames_are_cards_sized_to_fit(preview_page: tuple[Page, list[str]]) -> None:
    page, _ = preview_page
    frames = page.evaluate(
        """() => Array.from(document.querySelectorAll("iframe")).map(frame => {
             const doc = frame.contentDocument;
             return [doc.body.className, frame.clientHeight, doc.documentElement.scrollHeight];
           })"""
    )
    assert len(frames) == 4 * _visible(page)
    assert [body for body, *_ in frames[:4]] == [LIGHT_BODY, NIGHT_BODY, LIGHT_BODY, NIGHT_BODY]
    assert all(inner >= content for _, inner, content in frames)  # no scrollbar in any frame
    heights = [height for _, height, _ in frames]
    fronts = heights[0::4] + heights[1::4]
    backs = heights[2::4] + heights[3::4]
    assert all(f < b for f, b in zip(fronts, backs, strict=True))  # each frame fits its card


def test_preview_filter_by_tag_and_text(
    preview_page: tuple[Page, list[str]], shipped_cards: list[PreviewCard]
) -> None:
    page, _ = preview_page
    total = len(shipped_cards)
    tag = sorted({tag.lower() for card in shipped_cards for tag in card.tags})[-1]
    with_tag = [c for c in shipped_cards if any(_under(t.lower(), tag) for t in c.tags)]
    assert 0 < len(with_tag) < total

    page.fill("#filter", f"tag:{tag}")
    assert _visible(page) == len(with_tag)
    assert page.text_content("#count") == f"{len(with_tag)} of {total} cards"

    page.fill("#filter", "")
    page.type("#filter", tag)  # a tag typed as plain text matches it too
    assert _visible(page) == sum(all(w in search_text(c) for w in [tag]) for c in shipped_cards)
    assert _visible(page) >= len(with_tag)

    page.fill("#filter", "GradientTape")
    expected = sum("gradienttape" in search_text(card) for card in shipped_cards)
    assert 0 < expected < total and _visible(page) == expected

    page.fill("#filter", "no card says this")
    assert _visible(page) == 0

    page.fill("#filter", "")
    clicked = with_tag[0].tags[0].lower()
    page.locator(f'article button[data-tag="{clicked}"]').first.click()
    assert page.input_value("#filter") == f"tag:{clicked}"
    assert _visible(page) == sum(
        any(_under(t.lower(), clicked) for t in c.tags) for c in shipped_cards
    )
    page.fill("#filter", "")
    assert _visible(page) == total
