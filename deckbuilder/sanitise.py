"""The allowlist sanitiser, and text made safe and silent for Anki's fields."""

from __future__ import annotations

import re
from functools import cache, lru_cache, partial
from html import escape

import nh3

_C0_AND_SPACE = "".join(map(chr, range(0x21)))

# Allowlist, not blocklist: what Markdown produces plus harmless inline HTML.
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd",
        "del", "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q",
        "rp", "rt", "ruby", "s", "samp", "small", "span", "strong", "sub", "summary", "sup",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var", "wbr",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
}


def _is_network_path(url: str) -> bool:
    """A link to another host with no scheme (`//host/x`, also with backslashes, tabs or leading
    spaces), which nh3's scheme allowlist lets through. Read the way a browser reads it."""
    cleaned = re.sub(r"[\t\n\r]", "", url).lstrip(_C0_AND_SPACE).replace("\\", "/")
    return cleaned.startswith("//")


def _keep_attribute(media: frozenset[str], tag: str, attribute: str, value: str) -> str | None:
    # Only images this build packaged for this note may load: anything else would reach the
    # network, or show some other deck's file that happens to have a media-like name.
    if tag == "img" and attribute == "src":
        return value if value in media else None
    if attribute == "class":  # nh3 would leave `class=""` where no class is allowed
        kept = [name for name in value.split() if name in allowed_classes().get(tag, ())]
        return " ".join(kept) or None
    # Cards are shown from file: URLs on some apps, where `//host/share` is a Windows share.
    if attribute == "href" and _is_network_path(value):
        return None
    return value


@cache
def allowed_classes() -> dict[str, set[str]]:
    """The classes this renderer writes, and no others: a note's own `class="card"` (or any
    class the card's or Anki's CSS gives a meaning) could restyle, hide or cover the card."""
    from pygments.lexers import get_all_lexers
    from pygments.token import STANDARD_TYPES

    languages = {f"language-{aliases[0]}" for _, aliases, *_ in get_all_lexers() if aliases}
    return {
        "span": {name for name in STANDARD_TYPES.values() if name},
        "pre": {"highlight"},
        "code": languages,
        "div": {"math", "code-label"},
    }


@lru_cache(maxsize=256)  # one per set of images: most notes have none, and share one
def _cleaner(media: frozenset[str]) -> nh3.Cleaner:
    # Made once, not per call: handing nh3 the allowlists costs more than cleaning a note.
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=partial(_keep_attribute, media),
        url_schemes={"http", "https", "mailto"},
        strip_comments=True,
        allowed_classes=allowed_classes(),
    )


def shown_image_sources(html: str) -> list[str]:
    """The `src` of every `<img>` the sanitiser keeps in `html`: the raw-HTML images a card
    would show (one inside a comment, a `<template>` or a `<script>` shows nothing)."""
    found: list[str] = []

    def record(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            found.append(value)
        return value

    nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=record,
        # Any scheme reaches the filter: a remote or script image is reported, not dropped.
        url_schemes={"http", "https", "data", "javascript", "vbscript", "file", "ftp", "blob"},
        strip_comments=True,
    ).clean(html)
    return found


# Anki reads `[sound:file]` and `[anki:tts]…[/anki:tts]` in card text as things to play, and
# it does so in the HTML, before the browser sees it. Text about them must stay text.
_PLAY_TAG = re.compile(r"\[(sound|anki):", re.IGNORECASE)


def inert(html: str) -> str:
    """HTML that shows the same but that Anki finds nothing to play in: `:` as `&#58;`.

    Safe anywhere, text or attribute value: the browser reads `&#58;` back as `:`.
    """
    return _PLAY_TAG.sub(lambda tag: f"[{tag.group(1)}&#58;", html)


# MathJax finds `\(` only within one run of text: an element after the backslash splits it.
_DELIMITER = re.compile(r"\\(?=[()\[\]])")


def plain_field(text: str) -> str:
    """Plain text as a field: Anki treats every field as HTML, so `<img onerror>` would run,
    and its MathJax typesets any `\\(...\\)` in it (a file name can hold one)."""
    return _DELIMITER.sub(r"\\<span></span>", inert(escape(text)))


def sanitise(html: str, media: frozenset[str] = frozenset()) -> str:
    """Allowlist sanitising: no scripts, styles, frames, event handlers or script URLs survive.

    `media` names the packaged images an `<img src>` may refer to; every other source goes.
    """
    return _cleaner(media).clean(html)
