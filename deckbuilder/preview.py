"""The preview page: every card of the deck, light and night, front and back, in one offline file.

Made from what the build already has, the package's notes and note types, not by importing
the package: the page holds each note's fields once, each note type's templates and CSS once,
and each image once, and a small renderer in the page (preview.js) renders a card's faces with
Anki's template language when it comes near the screen. So a deck of any size is one page
that opens at once, and making it costs the build little. That it shows what Anki shows is
tested against `card.question()` / `card.answer()` of the real `anki` package, card by card.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from functools import cache, partial
from html import escape
from pathlib import Path
from typing import IO

from .kinds import KINDS
from .package import Package, PackageNote
from .reuse import Reuse

PREVIEW_IMAGE_BYTES = 2_000_000  # larger images are left out of the page (they are in the package)

# What Anki desktop puts on <body> (`card card1`, plus both night classes in night mode, the
# second being AnkiDroid's); the card CSS must work with exactly these.
LIGHT_BODY = "card card1"
NIGHT_BODY = "card card1 nightMode night_mode"

# A fixed table, not `mimetypes`: that reads system files, and the page must not vary by host.
_IMAGE_TYPES = {
    ".avif": "image/avif",
    ".bmp": "image/bmp",
    ".gif": "image/gif",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
_SOURCE_LINE = re.compile(r"^(.*):(\d+)$")
_TAG = re.compile(r"<[^>]*>")


def card_document(card_html: str, body_class: str) -> str:
    """A card as its own page, the way the Anki apps wrap it (`#qa` is Anki desktop's)."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'</head><body class="{body_class}"><div id="qa">{card_html}</div></body></html>'
    )


def _placeholder(size: int) -> str:
    """A small picture saying the image is left out of the preview (it is in the package)."""
    text = f"{size / 1e6:.0f} MB image: in the package, not in this preview"
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="420" height="60">'
        '<rect width="100%" height="100%" fill="#eef0f3" stroke="#8c959f"/>'
        f'<text x="12" y="36" font-family="sans-serif" font-size="15">{text}</text></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def image_data_uri(path: Path) -> str | None:
    """An image as a data: URI (one over PREVIEW_IMAGE_BYTES as a placeholder); None if not one."""
    kind = _IMAGE_TYPES.get(path.suffix.lower())
    if kind is None or not path.is_file():
        return None
    size = path.stat().st_size
    if size > PREVIEW_IMAGE_BYTES:  # one huge image would make a huge page
        return _placeholder(size)
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _plain(html: str) -> str:
    from html import unescape

    return " ".join(unescape(_TAG.sub(" ", html)).split())


def _title(note: PackageNote, fields: tuple[str, ...]) -> str:
    named = dict(zip(fields, note.fields, strict=True))
    for name in ("Question", "Title", "Text", "Detail"):
        if named.get(name):
            return _plain(named[name])[:300]
    return ""


def _order(note: PackageNote, fields: tuple[str, ...]) -> tuple[str, int]:
    source = _plain(dict(zip(fields, note.fields, strict=True)).get("Source", ""))
    found = _SOURCE_LINE.match(source)
    return (found[1], int(found[2])) if found else (source, 0)


def _card_name(is_cloze: bool, ord_: int, names: tuple[str, ...]) -> str:
    return f"Cloze {ord_ + 1}" if is_cloze else names[ord_]


@cache
def _script() -> str:
    return (Path(__file__).with_name("preview.js")).read_text(encoding="utf-8")


def _json(value: object) -> str:
    # `</` would end the script element the data sits in; `<\/` is the same JSON.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _entry(note: PackageNote, fields_of: dict[int, tuple[str, ...]], _: object) -> str:
    fields = fields_of[note.note_type_id]
    return _json({
        "t": str(note.note_type_id), "f": list(note.fields), "g": list(note.tags),
        "s": _plain(dict(zip(fields, note.fields, strict=True)).get("Source", "")),
        "h": _title(note, fields),
    })  # fmt: skip


# A note's row, by its fields tuple: the same tuple (a watching build keeps it) is the same
# note, since its fields hold its source and key, and a note's tags and type follow from those.
_ENTRIES: Reuse[tuple[str, ...], str] = Reuse()
_ORDERS: Reuse[tuple[str, ...], tuple[str, int]] = Reuse()


def _data(package: Package) -> Iterator[str]:
    """The page's data as JSON, in pieces: a large deck's never is one string."""
    css: list[str] = []
    types: dict[str, object] = {}
    fields_of: dict[int, tuple[str, ...]] = {}
    for item in package.note_types:
        kind = KINDS[item.note_type.kind]
        if item.note_type.css not in css:
            css.append(item.note_type.css)
        fields_of[item.note_type_id] = kind.fields
        types[str(item.note_type_id)] = {
            "cloze": kind.is_cloze,
            "fields": list(kind.fields),
            "templates": [[t.name, t.front, t.back] for t in item.note_type.templates],
            "css": css.index(item.note_type.css),
        }
    names = {item.note_type_id: tuple(t.name for t in item.note_type.templates)
             for item in package.note_types}  # fmt: skip

    def order(note: PackageNote) -> tuple[str, int]:
        return _ORDERS.get(note.fields, lambda _: _order(note, fields_of[note.note_type_id]))

    studied = sorted((note for note in package.notes if note.cards), key=order)
    _ORDERS.done()
    yield f'{{"css":{_json(css)},"types":{_json(types)},"notes":['
    for index, note in enumerate(studied):
        yield ("," if index else "") + _ENTRIES.get(note.fields, partial(_entry, note, fields_of))
    _ENTRIES.done()
    yield '],"cards":['
    first = True
    for index, note in enumerate(studied):
        cloze = types[str(note.note_type_id)]["cloze"]  # type: ignore[index]
        for card in note.cards:
            name = _card_name(bool(cloze), card.ord, names[note.note_type_id])
            yield ("" if first else ",") + _json([index, card.ord, name])
            first = False
    yield '],"media":{'
    shown = ((m.name, image_data_uri(m.source)) for m in package.media)
    yield ",".join(f"{_json(name)}:{_json(uri)}" for name, uri in shown if uri is not None)
    yield "}}"


def card_count(package: Package) -> int:
    return sum(len(note.cards) for note in package.notes)


def write_preview(package: Package, deck_name: str, out: IO[str]) -> int:
    """The whole page into `out`; returns how many cards it shows (all of them)."""
    title = escape(deck_name)
    total = card_count(package)
    out.write(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}: card preview</title>\n<style>{_PAGE_CSS}</style></head>\n"
        f"<body><header><h1>{title}</h1>"
        '<input id="filter" type="search" placeholder="Filter: words, or tag:name" '
        'aria-label="Filter cards by tag or text" autocomplete="off">'
        f'<span id="count">{total} cards</span></header>\n<main></main>\n'
        '<script type="application/json" id="deck-data">'
    )
    for piece in _data(package):
        out.write(piece)
    out.write(f"</script>\n<script>{_script()}</script></body></html>\n")
    return total


_PAGE_CSS = """
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  background: #eef0f3; color: #1f2328; }
body { margin: 0; }
header { position: sticky; top: 0; z-index: 1; background: #ffffffee;
  border-bottom: 1px solid #d0d7de; padding: 0.75em 1.25em;
  display: flex; flex-wrap: wrap; gap: 0.5em 1.25em; align-items: center; }
header h1 { font-size: 1.1em; margin: 0; }
header input { font: inherit; padding: 0.35em 0.6em; min-width: 16em; flex: 1; max-width: 32em;
  border: 1px solid #8c959f; border-radius: 0.4em; }
#count { color: #57606a; font-size: 0.9em; }
main { padding: 1em 1.25em 3em; display: grid; gap: 1.25em; }
[hidden] { display: none !important; }
/* Cards not near the screen: their place kept, their layout skipped (10,000 of them laid out
   in full took the page seconds to open; `:has()` over them cost as much again). */
article.unfilled { min-height: 16em; content-visibility: auto;
  contain-intrinsic-size: auto 16em; }
article { background: #fff; border: 1px solid #d0d7de; border-radius: 0.6em;
  padding: 0.9em 1em 1em; }
article h2 { font-size: 1em; margin: 0 0 0.35em; }
.card-name { font-weight: 600; color: #1f2328; }
.about { display: flex; flex-wrap: wrap; gap: 0.35em 0.5em; align-items: center; font-size: 0.85em;
  color: #57606a; margin: 0 0 0.8em; }
.about button { font: inherit; color: #0550ae; background: #eef4fb; border: 1px solid #c8d9ee;
  border-radius: 1em; padding: 0.05em 0.6em; cursor: pointer; }
.about code { font-size: 1em; }
.faces { display: grid; gap: 0.75em; }
@media (min-width: 48em) { .faces { grid-template-columns: 1fr 1fr; } }
@media (min-width: 110em) { .faces { grid-template-columns: repeat(4, 1fr); } }
figure { margin: 0; }
figcaption { font-size: 0.8em; color: #57606a; margin-bottom: 0.25em; }
iframe { display: block; width: 100%; height: 20em; border: 1px solid #d0d7de; border-radius: 0.4em;
  background: #fff; }
iframe.night { background: #1e1f22; border-color: #43464d; }
"""
