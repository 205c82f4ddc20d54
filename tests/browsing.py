"""Headless Chromium for the browser tests: the browser, one page per screen size, and the
measurements every card is checked with (sideways scrolling, code blocks, text contrast).

The fixtures here are registered in conftest.py, so every test module can ask for them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from deckbuilder.preview import LIGHT_BODY, NIGHT_BODY, card_document

from .conftest import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = ROOT / "test-artifacts" / "cards"
DOCS = ROOT / "docs"
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 800)}
MODES = {"light": LIGHT_BODY, "night": NIGHT_BODY}
MIN_CONTRAST = 4.5  # WCAG 2 AA for body text

# Runs in the card's page. Returns what the checks need, not a verdict, so failures can say why.
MEASURE_JS = """
() => {
  const parse = (value) => {
    const m = /rgba?\\(([^)]*)\\)/.exec(value);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  // Painting `top` over an opaque `bottom`: what the eye sees.
  const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat(1);
  const background = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const colour = parse(getComputedStyle(e).backgroundColor);
      if (colour && colour[3] > 0) { layers.push(colour); if (colour[3] >= 1) break; }
    }
    let seen = [255, 255, 255, 1];  // the browser canvas when nothing else paints
    for (const layer of layers.reverse()) seen = over(layer, seen);
    return seen;
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const hex = (c) => "#" + c.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, "0")).join("");
  const text = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!node.data.trim() || element.closest("style, script")) continue;
    const style = getComputedStyle(element);
    if (style.visibility !== "visible" || element.getClientRects().length === 0) continue;
    const behind = background(element);
    const colour = parse(style.color);
    const seen = colour ? over(colour, behind) : null;
    text.push({
      text: node.data.trim().slice(0, 40),
      selector: element.tagName.toLowerCase() + (element.className ? "." + element.className : ""),
      ratio: seen ? ratio(seen, behind) : 0,
      colour: seen ? hex(seen) : style.color,
      background: hex(behind),
    });
  }
  const code = Array.from(document.querySelectorAll("pre")).map(pre => ({
    scrollWidth: pre.scrollWidth,
    clientWidth: pre.clientWidth,
    overflowX: getComputedStyle(pre).overflowX,
    textAlign: getComputedStyle(pre).textAlign,
    right: pre.getBoundingClientRect().right,
  }));
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    text,
    code,
  };
}
"""


# --- fixtures -------------------------------------------------------------------------------


def _unavailable(reason: str) -> NoReturn:
    # CI installs Chromium: there a missing browser must fail, not quietly skip the layout tests.
    if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
        pytest.fail(f"REQUIRE_BROWSER_TESTS=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        _unavailable(f"needs {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        _unavailable("needs playwright (pip install -e '.[test]'; no `playwright install`)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def pages(browser: Browser) -> dict[str, Page]:
    """One page per screen size, reused for every card: loading a page is the slow part."""
    return {
        name: browser.new_page(viewport={"width": width, "height": height})
        for name, (width, height) in VIEWPORTS.items()
    }


# --- checks ---------------------------------------------------------------------------------


def measure(page: Page, card_html: str, body_class: str) -> dict[str, Any]:
    page.set_content(card_document(card_html, body_class))
    result: dict[str, Any] = page.evaluate(MEASURE_JS)
    return result


def problems(found: dict[str, Any]) -> list[str]:
    """Everything wrong with one measured card, as readable sentences."""
    out = []
    if found["scrollWidth"] > found["innerWidth"]:
        out.append(f"page scrolls sideways ({found['scrollWidth']} > {found['innerWidth']} px)")
    for block in found["code"]:
        if block["right"] > found["innerWidth"] + 0.5:
            out.append(f"code block sticks out of the screen (right edge {block['right']:.0f})")
        scrolls = block["overflowX"] in ("auto", "scroll")
        if block["scrollWidth"] > block["clientWidth"] and not scrolls:
            out.append(f"code wider than its block does not scroll ({block['overflowX']})")
        if block["textAlign"] not in ("left", "start"):
            out.append(f"code is not left aligned ({block['textAlign']})")
    for text in found["text"]:
        if text["ratio"] < MIN_CONTRAST:
            out.append(
                f"contrast {text['ratio']:.2f} for {text['text']!r} in {text['selector']} "
                f"({text['colour']} on {text['background']})"
            )
    return out


def _relative_luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((_relative_luminance(a), _relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _hex6(colour: str) -> str:
    colour = colour.lstrip("#")
    return "#" + (colour * 2 if len(colour) == 3 else colour).lower()
