"""The hostile-HTML corpus (tests/fixtures/hostile/): built for real, every card field read
straight from the package and audited as a browser would parse it."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from .conftest import build

# --- hostile HTML -----------------------------------------------------------------------
#
# tests/fixtures/hostile/*.md is a corpus of known XSS and tracking vectors. It is built into
# a real package and every field of every note is parsed (not searched) as a browser would.

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
HTML_FIELDS = ("Question", "Detail", "Answer", "Text", "Extra", "Title")
PLAIN_FIELDS = ("Topic", "Source", "Key", "Reverse", "TypeIn")

# What a card may contain, written out independently of render.py's allowlist.
SAFE_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
        "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt",
        "ruby", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "u", "ul", "var", "wbr",
    }
)  # fmt: skip
FORBIDDEN_TAGS = frozenset(
    {
        "script", "style", "iframe", "object", "embed", "form", "meta", "link", "base", "svg",
        "math", "template", "noscript", "frame", "frameset", "applet", "input", "button",
        "textarea", "select", "video", "audio", "source", "picture", "portal", "canvas", "title",
        "head", "body", "html", "xmp", "plaintext", "noembed", "noframes", "image", "isindex",
        "keygen", "param",
    }
)  # fmt: skip
SAFE_ATTRIBUTES = {
    "*": {"class", "title", "lang", "dir"},
    "a": {"href", "rel"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
}
NOT_CSS_ATTRIBUTES = frozenset({"class", "title", "alt", "href"})
# Classes that mean something on the card: the template's own and Anki's. A note field that
# carries one can restyle, hide or cover parts of the card.
TEMPLATE_CLASSES = frozenset(
    name
    for path in (Path(__file__).resolve().parent.parent / "templates").glob("*.html")
    for value in re.findall(r'class="([^"]*)"', path.read_text(encoding="utf-8"))
    for name in value.split()
) | {"card", "nightMode", "night_mode"}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def _href_problem(value: str) -> str | None:
    # What a browser does before it looks at the scheme: drop tabs and newlines anywhere,
    # C0 controls and spaces at both ends; a backslash counts as a slash.
    url = re.sub(r"[\t\n\r]", "", value).strip("".join(map(chr, range(0x21))))
    scheme = _SCHEME.match(url)
    if scheme:
        return None if scheme.group(1).lower() in LINK_SCHEMES else f"href scheme {value!r}"
    if url.replace("\\", "/").startswith("//"):
        return f"network-path href {value!r}"
    return None


class _Audit(HTMLParser):
    """Every element, attribute and markup declaration in a fragment, judged as it is parsed."""

    def __init__(self, media: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.media = media
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS or tag not in SAFE_TAGS:
            self.problems.append(f"<{tag}>")
        allowed = SAFE_ATTRIBUTES["*"] | SAFE_ATTRIBUTES.get(tag, set())
        for name, raw in attrs:
            value = raw or ""
            if name.startswith("on") or name == "style" or name not in allowed:
                self.problems.append(f"<{tag} {name}={value!r}>")
            # CSS loads from url(); free text (a title, a class name) and a link target (its
            # scheme is checked below) are not CSS.
            if name not in NOT_CSS_ATTRIBUTES and "url(" in re.sub(r"\s", "", value).lower():
                self.problems.append(f"url( in <{tag} {name}>")
            if name == "class" and (borrowed := TEMPLATE_CLASSES.intersection(value.split())):
                self.problems.append(f"<{tag} class> borrows the card's {sorted(borrowed)}")
            if name == "href" and (problem := _href_problem(value)):
                self.problems.append(problem)
            if name == "src" and value not in self.media:
                self.problems.append(f"src {value!r} is not a packaged image")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"declaration {decl!r}")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"declaration {data!r}")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction {data!r}")


def unsafe_parts(html: str, media: frozenset[str] = frozenset()) -> list[str]:
    """What in card HTML could run code, load from the network or restyle the card.

    `media`: the packaged image names, the only sources an image may have.
    """
    audit = _Audit(media)
    audit.feed(html)
    audit.close()
    return audit.problems


@dataclass(frozen=True)
class _Built:
    notes: list[dict[str, str]]
    media: frozenset[str]


def _built(package: Path) -> _Built:
    """Every note's fields and the media names, read straight from the package."""
    with zipfile.ZipFile(package) as archive, tempfile.TemporaryDirectory() as scratch:
        media = frozenset(json.loads(archive.read("media")).values())
        database = Path(scratch) / "collection.anki2"
        database.write_bytes(archive.read("collection.anki2"))
        connection = sqlite3.connect(database)
        try:
            rows = connection.execute("SELECT mid, flds FROM notes ORDER BY id").fetchall()
            (models,) = connection.execute("SELECT models FROM col").fetchone()
        finally:
            connection.close()
    names = {
        int(mid): [f["name"] for f in model["flds"]] for mid, model in json.loads(models).items()
    }
    notes = [dict(zip(names[mid], flds.split("\x1f"), strict=True)) for mid, flds in rows]
    return _Built(notes, media)


@pytest.fixture
def hostile(in_tmp: Path, capsys) -> _Built:
    shutil.copytree(HOSTILE, in_tmp / "content", dirs_exist_ok=True)
    assert build("--no-preview") == 0, capsys.readouterr().err
    built = _built(in_tmp / "dist" / "markdown-flashcards.apkg")
    questions = sum(line.startswith("## ") for path in HOSTILE.glob("*.md") for line in path.open())
    assert len(built.notes) == questions  # every hostile question was built, none dropped
    assert len(built.media) == 1  # pixel.png, the one image written as Markdown
    return built


def test_hostile_html_is_sanitised_in_every_card_field(hostile: _Built) -> None:
    problems = {
        f"{note['Source']} {name}": found
        for note in hostile.notes
        for name in HTML_FIELDS
        if name in note and (found := unsafe_parts(note[name], hostile.media))
    }
    assert problems == {}


def test_sanitising_keeps_what_is_harmless(hostile: _Built) -> None:
    # A sanitiser that drops everything would pass the test above: check what must survive.
    html = "\n".join(note.get(name, "") for note in hostile.notes for name in HTML_FIELDS)
    for kept in (
        '<a href="https://example.org/ok" rel="noopener noreferrer">https is fine</a>',
        'href="mailto:someone@example.org"',
        "<b>bold</b>",
        "Fake answer",
        "<div>neither a class of the card's own nor an id</div>",
        '<td align="right">right-aligned cell</td>',
        "&lt;script&gt;alert(13)&lt;/script&gt;",
        f'src="{next(iter(hostile.media))}"',
    ):
        assert kept in html


def test_plain_text_fields_are_escaped(hostile: _Built) -> None:
    problems = {
        f"{note['Source']} {name}": found
        for note in hostile.notes
        for name in PLAIN_FIELDS
        if name in note and (found := unsafe_parts(note[name]))
    }
    assert problems == {}


def test_corpus_warns_where_unsafe_html_empties_a_card_or_hides_the_rest(
    in_tmp: Path, capsys
) -> None:
    shutil.copytree(HOSTILE, in_tmp / "content", dirs_exist_ok=True)
    assert build("--check") == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if ": warning: " in line]
    assert warnings == [
        "content/documents.md:13: warning: answer is empty once unsafe HTML is removed",
        "content/hidden.md:34: warning: raw HTML `<!--` never closed: it hides everything after it",
        "content/markdown.md:9: warning: unknown code language '\"><script>alert(1)</script>'",
        "content/markdown.md:17: warning: unknown code language '<img'",
        "content/scripts.md:11: warning: answer is empty once unsafe HTML is removed",
        "content/scripts.md:29: warning: raw HTML `<script>` never closed: it hides everything after it",
        "content/styling.md:5: warning: answer is empty once unsafe HTML is removed",
    ]
