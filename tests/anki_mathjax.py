"""Anki's own reviewer page and MathJax in headless Chromium, without Qt.

The files come from the `aqt` wheel (Anki's desktop GUI), installed without its dependencies
(`pip install --no-deps aqt==26.9.3`: `.ci/run` does; PyQt is never installed). Its
`_aqt/data/web/` folder is what Anki serves at `/_anki/`: `js/reviewer.js`, the MathJax
configuration `js/mathjax.js` and MathJax itself under `js/vendor/mathjax/`. The page is the one
`Reviewer._initWeb` builds with `AnkiWebView.stdHtml`, served from a local address that
Playwright answers itself (nothing goes to the network). A card is shown as the reviewer shows
it, by `_showQuestion(html, answer, bodyclass)`: reviewer.js loads MathJax when the card has
`\\(` or `\\[`, sets the HTML, and typesets it; `_queueAction` then says when that is done.
"""

from __future__ import annotations

import importlib.util
import mimetypes
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

ORIGIN = "http://127.0.0.1:40000"  # never contacted: Playwright answers every request
BODY_CLASS = "card card1"  # what theme_manager.body_classes_for_card_ord(0) gives

# stdHtml(revHtml(), css=["css/reviewer.css"], js=["js/reviewer.js"]); `bridgeCommand` is what
# Qt's web channel would provide.
REVIEWER_PAGE = """<!doctype html>
<html class="" dir="ltr" data-bs-theme="light">
<head>
<title>reviewer</title>
<link rel="stylesheet" type="text/css" href="/_anki/css/webview.css">
<link rel="stylesheet" type="text/css" href="/_anki/css/reviewer.css">
<script>window.bridgeCommand = (command) => {};</script>
</head>
<body class="">
<script src="/_anki/js/webview.js"></script>
<script src="/_anki/js/reviewer.js"></script>
<div id="_mark" hidden>&#x2605;</div>
<div id="_flag" hidden>&#x2691;</div>
<div id="qa" dir="auto"></div>
</body>
</html>"""

# Classes and ids of the card itself (templates/, Anki's own) that a note must not borrow.
CARD_CLASSES = [
    "card", "card1", "q-wrap", "question", "detail", "answer", "title", "cloze-text", "meta",
    "tags", "source", "typein", "extra", "reverse", "direction", "nightMode", "night_mode",
]  # fmt: skip
MATHJAX_CLASS = r"^(mjx-|MJX-|TEX-|MathJax|CtxtMenu_|MathML-Unit$)"

# Everything live in `#qa` that came from a note: script links, inline styles that place or
# hide things, borrowed classes and ids, links written by math. Returns readable findings.
DOM_PROBLEMS_JS = """
([cardClasses, mathjaxClass]) => {
  const qa = document.getElementById('qa');
  const own = new RegExp(mathjaxClass);
  const found = [];
  for (const e of qa.querySelectorAll('*')) {
    const where = e.tagName.toLowerCase();
    const inMath = !!e.closest('mjx-container');
    const href = (e.getAttribute('href') || '').trim().toLowerCase();
    if (/^(javascript|data|vbscript):/.test(href)) found.push(`${where} href=${href}`);
    if (inMath && (where === 'a' || e.hasAttribute('href'))) found.push(`link in math: ${where}`);
    const style = e.getAttribute('style');
    if (style !== null && (!inMath || /fixed|absolute|inset|z-index|url\\(|opacity|pwned/i.test(style)))
      found.push(`${where} style=${style}`);
    // Outside math the card's own elements carry these; the sanitiser keeps them from notes.
    for (const name of e.classList) {
      if (inMath && (cardClasses.includes(name) || !own.test(name)))
        found.push(`${where} class=${name}`);
    }
    // `mjx-eqn:` is MathJax's id for an equation that \\notag leaves without a label.
    const ownId = inMath ? e.id === 'mjx-eqn:' : ['answer', 'typeans'].includes(e.id);
    if (e.id && !ownId) found.push(`${where} id=${e.id}`);
  }
  return found;
}
"""
TYPESET_JS = """
() => {
  const qa = document.getElementById('qa');
  return {
    formulas: qa.querySelectorAll('mjx-container').length,
    errors: [...qa.querySelectorAll('mjx-merror, [data-mjx-error]')].map(e => e.getAttribute('data-mjx-error') || e.textContent),
    text: qa.innerText,
  };
}
"""


def anki_web() -> Path | None:
    """Where the aqt wheel's web files are, if it is installed."""
    spec = importlib.util.find_spec("_aqt")
    if spec is None or not spec.submodule_search_locations:
        return None
    web = Path(next(iter(spec.submodule_search_locations))) / "data" / "web"
    return web if (web / "js" / "vendor" / "mathjax" / "tex-chtml-full.js").is_file() else None


def _serve(web: Path, route: Route) -> None:
    path = route.request.url.removeprefix(ORIGIN).split("?")[0]
    if path == "/":
        route.fulfill(body=REVIEWER_PAGE, content_type="text/html")
        return
    file = (web / path.removeprefix("/_anki/")).resolve()
    if path.startswith("/_anki/") and file.is_relative_to(web) and file.is_file():
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        route.fulfill(body=file.read_bytes(), content_type=kind)
        return
    route.fulfill(status=404, body="")


@pytest.fixture(scope="session")
def reviewer(browser: Browser) -> Iterator[Page]:
    """Anki's reviewer page, its MathJax loaded on the first card with math."""
    web = anki_web()
    if web is None:
        reason = "needs Anki's MathJax: pip install --no-deps aqt==26.9.3"
        if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
            pytest.fail(f"REQUIRE_BROWSER_TESTS=1 but {reason}")
        pytest.skip(reason)
    page = browser.new_page()
    page.route("**/*", lambda route: _serve(web, route))
    page.goto(ORIGIN + "/")
    yield page
    page.close()


def show(page: Page, html: str) -> dict[str, Any]:
    """Show card HTML as Anki's reviewer does and wait until MathJax has typeset it."""
    page.evaluate(
        "([html, bodyClass]) => new Promise(done => {"
        " _showQuestion(html, '', bodyClass); _queueAction(done); })",
        [html, BODY_CLASS],
    )
    result: dict[str, Any] = page.evaluate(TYPESET_JS)
    return result


def dom_problems(page: Page) -> list[str]:
    found: list[str] = page.evaluate(DOM_PROBLEMS_JS, [CARD_CLASSES, MATHJAX_CLASS])
    return found
