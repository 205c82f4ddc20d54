"""The preview page: every card as Anki itself renders it, light and night, in one offline file.

The cards are not re-rendered here: the built package is imported into a throwaway collection
with the official `anki` package and each card's own question and answer HTML (its note type's
`<style>` included) is shown in an iframe whose body carries the classes the Anki apps set.
"""

from __future__ import annotations

import base64
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

PREVIEW_NAME = "preview.html"
# Each card is four framed copies of its HTML with the note type's CSS: about 60 KB a card.
# Past this many the page would be hundreds of MB that no browser opens, so it stops there.
MAX_PREVIEW_CARDS = 1000

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
_SRC = re.compile(r'(\bsrc=")([^":/?#]+)(")')
_SOURCE_LINE = re.compile(r"^(.*):(\d+)$")


@dataclass(frozen=True, slots=True)
class PreviewCard:
    """One card as Anki rendered it, with what the page shows and searches beside it."""

    question_html: str  # card.question(): the note type's <style> and the front
    answer_html: str  # card.answer(): the same for the back
    title: str  # the question (or a cloze note's title or text) as plain text
    card: str  # which of its note's cards: "Forward", "Reverse", "Cloze 2"
    tags: tuple[str, ...]
    source: str  # `file.md:line`
    text: str  # everything on the back as plain text, for the filter


class _Text(HTMLParser):
    """Visible text of card HTML: <style> and <script> contents are not text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def plain_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


PREVIEW_IMAGE_BYTES = 2_000_000


def _placeholder(size: int) -> str:
    """A small picture saying the image is left out of the preview (it is in the package)."""
    text = f"{size / 1e6:.0f} MB image: in the package, not in this preview"
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="420" height="60">'
        '<rect width="100%" height="100%" fill="#eef0f3" stroke="#8c959f"/>'
        f'<text x="12" y="36" font-family="sans-serif" font-size="15">{text}</text></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def _inline_media(html: str, media_dir: Path) -> str:
    """Images as data: URIs, so the page is one file that needs nothing beside it."""

    def replace(match: re.Match[str]) -> str:
        path = media_dir / match[2]
        kind = _IMAGE_TYPES.get(path.suffix.lower())
        if kind is None or not path.is_file():
            return match[0]
        size = path.stat().st_size
        if size > PREVIEW_IMAGE_BYTES:  # four copies a card: one huge image, a huge page
            return f"{match[1]}{_placeholder(size)}{match[3]}"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"{match[1]}data:{kind};base64,{data}{match[3]}"

    return _SRC.sub(replace, html)


def _reading_order(card: PreviewCard) -> tuple[str, int, str, str]:
    """Cards in the order of the Markdown: by file, then line, then which card."""
    found = _SOURCE_LINE.match(card.source)
    if found is None:
        return (card.source, 0, card.title, card.card)
    return (found[1], int(found[2]), card.title, card.card)


def read_cards(package: Path, limit: int | None = None) -> list[PreviewCard]:
    """Every card (or the first `limit` in reading order) as Anki renders it."""
    return collect_cards(package, limit)[0]


def _title(fields: dict[str, str]) -> str:
    for name in ("Question", "Title", "Text", "Detail"):
        if fields.get(name):
            return plain_text(fields[name])
    return ""


def _order_of(fields: dict[str, str], ord_: int) -> tuple[str, int, str, int]:
    found = _SOURCE_LINE.match(plain_text(fields.get("Source", "")))
    title = _title(fields)
    return (found[1], int(found[2]), title, ord_) if found else ("", 0, title, ord_)


# Anki writes this where a template asks for a typed answer; the apps put their box there.
_TYPE_ANSWER = re.compile(r"\[\[type:[^\]]*\]\]")
_TYPING_BOX = (
    '<input type="text" id="typeans" placeholder="Type the answer" '
    'aria-label="Type the answer" autocomplete="off">'
)


def _typed(
    question: str, answer: str, expected: str, compare: Callable[[str, str], str]
) -> tuple[str, str]:
    """Front and back as the apps show a type-in card: a box, then Anki's own comparison
    (here of a correct answer, typed as the comparison expects it)."""
    if not _TYPE_ANSWER.search(question):
        return question, _TYPE_ANSWER.sub("", answer)
    comparison = compare(expected, plain_text(expected))
    return _TYPE_ANSWER.sub(_TYPING_BOX, question), _TYPE_ANSWER.sub(comparison, answer)


def _card_name(kind_is_cloze: bool, ord_: int, template: str) -> str:
    return f"Cloze {ord_ + 1}" if kind_is_cloze else template


def _preview_card(col: Any, card: Any, media_dir: Path) -> PreviewCard:
    note = card.note()
    fields = dict(note.items())
    notetype = note.note_type()
    cloze = notetype["type"] == 1
    template = notetype["tmpls"][0 if cloze else card.ord]["name"]
    question, answer = _typed(card.question(), card.answer(), fields.get("Answer", ""),
                              col.compare_answer)  # fmt: skip
    answer = _inline_media(answer, media_dir)
    return PreviewCard(
        question_html=_inline_media(question, media_dir),
        answer_html=answer,
        title=_title(fields),
        card=_card_name(cloze, card.ord, template),
        tags=tuple(sorted(note.tags)),
        source=plain_text(fields.get("Source", "")),
        text=plain_text(answer),
    )


def collect_cards(package: Path, limit: int | None = None) -> tuple[list[PreviewCard], int]:
    """Import `package` into a temporary collection and take cards as Anki renders them.

    Returns the cards shown and how many the package has. Only the first `limit` cards in
    reading order are rendered, so a huge deck costs memory for the shown cards alone.
    Notes shipped without a card (removed notes) have nothing to show and are not listed.
    """
    # Imported here: the anki backend is heavy and only a real build needs it.
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    cards: list[PreviewCard] = []
    with tempfile.TemporaryDirectory(prefix="build-deck-preview-") as scratch:
        col = Collection(str(Path(scratch) / "preview.anki2"))
        try:
            col.import_anki_package(
                ImportAnkiPackageRequest(
                    package_path=str(package.resolve()), options=ImportAnkiPackageOptions()
                )
            )
            media_dir = Path(col.media.dir())
            # Order first from the fields alone (cheap), then render only what is shown.
            ordered = []
            for card_id in col.find_cards(""):
                card = col.get_card(card_id)
                ordered.append((_order_of(dict(card.note().items()), card.ord), card_id))
            ordered.sort()
            for _, card_id in ordered[:limit]:
                cards.append(_preview_card(col, col.get_card(card_id), media_dir))
        finally:
            col.close()
    return sorted(cards, key=_reading_order), len(ordered)


# --- the page ---------------------------------------------------------------------------

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

# Sizes each frame to its card (no inner scrollbars) and filters by words and `tag:` prefixes.
_PAGE_JS = """
const filter = document.getElementById("filter");
const count = document.getElementById("count");
const notes = Array.from(document.querySelectorAll("article"));
function fit(frame) {
  const doc = frame.contentDocument;
  if (!doc || !doc.getElementById("qa")) return;  // still the empty page before the card loads
  // The root element's box, not scrollHeight: that never reports less than the frame's height.
  frame.style.height = Math.ceil(doc.documentElement.getBoundingClientRect().height) + "px";
}
function fitAll() {
  for (const frame of document.querySelectorAll("article:not([hidden]) iframe")) fit(frame);
}
function matches(note, word) {
  if (!word.startsWith("tag:")) return note.dataset.search.includes(word);
  const wanted = word.slice(4);
  return note.dataset.tags.split(" ").some(t => t === wanted || t.startsWith(wanted + "::"));
}
function apply() {
  const words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
  let shown = 0;
  for (const note of notes) {
    const keep = words.every(word => matches(note, word));
    note.hidden = !keep;
    shown += keep;
  }
  count.textContent = shown + " of " + notes.length + " cards";
  fitAll();
}
for (const frame of document.querySelectorAll("iframe")) {
  frame.addEventListener("load", () => fit(frame));
  fit(frame);
}
for (const button of document.querySelectorAll("button[data-tag]")) {
  button.addEventListener("click", () => { filter.value = "tag:" + button.dataset.tag; apply(); });
}
filter.addEventListener("input", apply);
window.addEventListener("resize", fitAll);
apply();
"""

# In this order so that two columns read light | night, fronts above backs.
_FACES = (
    ("Front", "light", LIGHT_BODY),
    ("Front", "night", NIGHT_BODY),
    ("Back", "light", LIGHT_BODY),
    ("Back", "night", NIGHT_BODY),
)


def card_document(card_html: str, body_class: str) -> str:
    """A card as its own page, the way the Anki apps wrap it (`#qa` is Anki desktop's)."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'</head><body class="{body_class}"><div id="qa">{card_html}</div></body></html>'
    )


def _face(card: PreviewCard, side: str, mode: str, body_class: str) -> str:
    html = card.question_html if side == "Front" else card.answer_html
    # sandbox: card HTML may not run scripts; allow-same-origin lets the page measure its height.
    return (
        f"<figure><figcaption>{side} · {mode}</figcaption>"
        f'<iframe class="{mode}" title="{side}, {mode} mode" sandbox="allow-same-origin" '
        f'srcdoc="{escape(card_document(html, body_class))}"></iframe></figure>'
    )


def search_text(card: PreviewCard) -> str:
    """What the filter looks in: every word on the card, its tags and its source."""
    return " ".join((card.title, card.text, *card.tags, card.source)).lower()


def _article(card: PreviewCard) -> str:
    tags = "".join(
        f'<button type="button" data-tag="{escape(tag.lower())}" title="show only this tag">'
        f"{escape(tag)}</button>"
        for tag in card.tags
    )
    faces = "".join(_face(card, *face) for face in _FACES)
    data = f'data-tags="{escape(" ".join(card.tags).lower())}"'
    data += f' data-search="{escape(search_text(card))}"'
    return (
        f"<article {data}>"
        f"<h2>{escape(card.title)}</h2>"
        f'<p class="about"><span class="card-name">{escape(card.card)}</span>{tags}'
        f"<code>{escape(card.source)}</code></p>"
        f'<div class="faces">{faces}</div></article>'
    )


def _tag_options(cards: Iterable[PreviewCard]) -> str:
    tags = sorted({tag for card in cards for tag in card.tags})
    return "".join(f'<option value="tag:{escape(tag.lower())}">' for tag in tags)


def render_preview(cards: Sequence[PreviewCard], deck_name: str, total: int | None = None) -> str:
    """The whole page: inline CSS and script only, so it works offline and from file://."""
    articles = "\n".join(_article(card) for card in cards)
    shown = f"{len(cards)} cards"
    if total is not None and total > len(cards):
        shown = f"first {len(cards)} of {total} cards (the package holds all)"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(deck_name)}: card preview</title>\n<style>{_PAGE_CSS}</style></head>\n"
        f"<body><header><h1>{escape(deck_name)}</h1>"
        '<input id="filter" type="search" placeholder="Filter: words, or tag:name" '
        f'aria-label="Filter cards by tag or text" list="tags" autocomplete="off">'
        f'<datalist id="tags">{_tag_options(cards)}</datalist>'
        f'<span id="count">{escape(shown)}</span></header>\n'
        f"<main>\n{articles}\n</main>\n<script>{_PAGE_JS}</script></body></html>\n"
    )


def preview_page(package: Path, deck_name: str) -> tuple[str, int]:
    """The preview page of `package`, and how many cards it shows."""
    cards, total = collect_cards(package, MAX_PREVIEW_CARDS)
    return render_preview(cards, deck_name, total), len(cards)
