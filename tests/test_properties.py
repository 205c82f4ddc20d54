"""Generated Markdown through the parser and the renderer: never an exception, never a hang,
never unsafe HTML, and LF, CRLF and a BOM always give the same notes.

The documents are assembled from the pieces the format is made of (headings with and without
markers, answer markers, fences closed and not, raw HTML from the hostile corpus, math,
quotes and lists nested, front matter, odd Unicode), so most examples reach deep into the
parser instead of being plain paragraphs.

`HYPOTHESIS_PROFILE=long python -m pytest tests/test_properties.py` runs many more examples.
"""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deckbuilder.diagnostics import Diagnostic
from deckbuilder.discover import SourceFile, decode_source
from deckbuilder.parse import ParsedFile, parse_file
from deckbuilder.render import inert, markdown, render_note, sanitise

from .test_hardening import HOSTILE, unsafe_parts

# deadline: one example must never take seconds (a hang or a quadratic blow-up would).
settings.register_profile(
    "quick",
    max_examples=300,
    deadline=2000,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=5000,
    deadline=2000,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

CONTENT = Path("/nonexistent-content")  # no image can resolve: they must fail politely
NOTE_PATH = CONTENT / "generated.md"


def _hostile_lines() -> list[str]:
    """Single lines of the hostile corpus: real attack strings, not random noise."""
    lines = []
    for path in sorted(HOSTILE.glob("*.md")):
        lines.extend(line for line in path.read_text().splitlines() if "<" in line or "](" in line)
    return lines


# --- the pieces of a document -----------------------------------------------------------

words = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Cs",),  # lone surrogates cannot be UTF-8 text
    ),
    max_size=12,
)
# Characters that mean something to Markdown, HTML, math or the question format.
SYNTAX = [*"#*_`~$\\[](){}<>!|-+=:?&;\"'\t", "\u200b", "\u202e", "\ufeff", "\r", "\x00"]
text = st.lists(st.one_of(words, st.sampled_from(SYNTAX)), max_size=8).map("".join)
line = text.map(lambda t: t.replace("\r", " ").replace("\n", " "))  # stays one line

heading = st.builds(
    lambda level, marker, body, key, end: f"{'#' * level} {marker}{body}{key}{end}",
    st.sampled_from([1, 2, 2, 3, 3, 4, 6, 7]),
    st.sampled_from(["", "Question: ", "Q: ", "**Question:** ", "__Q__: ", "q:"]),
    line,
    st.sampled_from(["", "", "", " {#key}", " {#a.b:c-d}", " {#}"]),
    st.sampled_from(["?", "?", "?", "", " ?", "?\\"]),
)
answer_marker = st.builds(
    lambda marker, body: f"{marker}{body}",
    st.sampled_from(["Answer: ", "A: ", "**Answer:** ", "## Answer", "### answer:", "a:"]),
    text,
)
fence = st.builds(
    lambda mark, info, body, closed: f"{mark}{info}\n{body}\n{mark if closed else ''}",
    st.sampled_from(["```", "~~~", "````", "``"]),
    st.sampled_from(["", "python", "py no-run", "pyhton", "js", '"><script>', "{.x}"]),
    text,
    st.sampled_from([True, True, True, True, False]),  # an open fence swallows the rest
)
math = st.builds(
    lambda open_close, body: f"{open_close[0]}{body}{open_close[1]}",
    st.sampled_from([("$", "$"), ("$$", "$$"), ("\\(", "\\)"), ("\\[", "\\]"), ("$$\n", "\n$$")]),
    text,
)
image = st.builds(
    lambda src: f"![alt]({src})",
    st.sampled_from(["img.png", "../x.png", "http://e/x.png", "a%00.png", "", "<>", "//h/x.png"]),
)


@st.composite
def html_tag(draw: st.DrawFn) -> str:
    """A raw HTML element built from attack parts: tags, attributes, URL and CSS tricks."""
    tag = draw(st.sampled_from(HTML_TAGS))
    attributes = ""
    for name, value in draw(st.lists(st.tuples(ATTRIBUTE_NAMES, ATTRIBUTE_VALUES), max_size=3)):
        separator = draw(st.sampled_from([" ", "\t", "\n", "/", "  "]))
        quote = draw(st.sampled_from(['"', "'", ""]))
        attributes += f"{separator}{name}={quote}{value}{quote}"
    closing = draw(st.sampled_from([f"</{tag}>", "", f"</{tag.upper()}>"]))
    return f"<{tag}{attributes}>{draw(line)}{closing}"


HTML_TAGS = [
    "img", "a", "div", "p", "span", "b", "details", "table", "td", "svg", "math", "iframe",
    "script", "style", "form", "input", "object", "embed", "base", "meta", "link", "IMG", "A",
]  # fmt: skip
ATTRIBUTE_NAMES = st.sampled_from(
    [
        "onerror", "ONERROR", "onClick", "onload", "ontoggle", "style", "STYLE", "href", "src",
        "xlink:href", "srcset", "background", "formaction", "action", "poster", "data", "class",
        "title", "id",
    ]
)  # fmt: skip
ATTRIBUTE_VALUES = st.sampled_from(
    [
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:x", "java\tscript:x",
        "java&#x09;script:x", "&#106;avascript:x", "javascript&colon;x", "data:text/html,x",
        "vbscript:x", "//evil.example/x", "\\\\evil\\x", "/\\evil.example", "http://evil/x.png",
        "url(http://evil/x)", "u&#114;l(x)", "expression(alert(1))", "alert(1)",
        "position:fixed;inset:0", "https://example.org/", "x",
    ]
)  # fmt: skip

# Broken front matter stops a whole file (tested in test_hardening.py): keep it rare here.
front_matter = st.sampled_from(
    [*[""] * 12, "---\ntopic: t\n---\n", "---\ntags: [a, b]\n---\n", "---\n", "---\n[\n---\n"]
)


@st.composite
def nested(draw: st.DrawFn, block: st.SearchStrategy[str]) -> str:
    """A block inside quotes and list items, a few levels deep."""
    prefix = "".join(draw(st.lists(st.sampled_from(["> ", "- ", "1. ", "  ", "    "]), max_size=5)))
    return "\n".join(prefix + line for line in draw(block).split("\n"))


def documents() -> st.SearchStrategy[str]:
    hostile = st.sampled_from(_hostile_lines())
    # one_of picks branches evenly: repeats weight the ones that matter most.
    block = st.one_of(
        hostile,
        html_tag(),
        html_tag(),
        text,
        answer_marker,
        heading,
        fence,
        math,
        image,
        st.just("| a | b |\n|---|---|\n| c | d |"),
    )
    # Mostly sections that start with a heading and have a body, so most documents hold
    # questions with answers.
    blocks = st.lists(st.one_of(block, nested(block)), min_size=1, max_size=5)
    section = st.builds(lambda head, rest: "\n\n".join([head, *rest]), heading, blocks)
    lead = st.lists(st.one_of(block, nested(block)), max_size=1)  # text before any heading
    body = st.builds(
        lambda first, rest: first + rest, lead, st.lists(section, min_size=1, max_size=5)
    )
    return st.builds(lambda front, rest: front + "\n\n".join(rest), front_matter, body)


# --- properties -------------------------------------------------------------------------


def _parse(text: str) -> ParsedFile:
    return parse_file(SourceFile(path=NOTE_PATH, display="generated.md", text=text))


def _decoded(data: bytes) -> str:
    text = decode_source(data, "generated.md")
    assert isinstance(text, str)
    return text


def _valid_lines(diagnostics: tuple[Diagnostic, ...], last_line: int) -> bool:
    return all(d.line is None or 1 <= d.line <= last_line for d in diagnostics)


@given(documents())
def test_parse_and_render_never_fail_and_stay_safe(document: str) -> None:
    text = _decoded(document.replace("\x00", "").encode("utf-8"))
    parsed = _parse(text)
    last_line = text.count("\n") + 1
    assert _valid_lines(parsed.diagnostics, last_line)
    for note in parsed.notes:
        assert 1 <= note.line <= last_line
        result = render_note(note, CONTENT)
        assert _valid_lines(result.diagnostics, last_line)
        if result.note is None:
            assert any(d.severity == "error" for d in result.diagnostics)
            continue
        media = frozenset(item.name for item in result.note.media)
        for html in (result.note.question, result.note.detail, result.note.answer):
            assert unsafe_parts(html, media) == [], html


@given(documents())
def test_code_kept_out_of_the_sanitiser_changes_nothing(document: str) -> None:
    # Highlighted code skips the sanitiser where it safely can (speed): the HTML must be what
    # sanitising everything gives.
    for note in _parse(_decoded(document.replace("\x00", "").encode("utf-8"))).notes:
        result = render_note(note, CONTENT)
        if result.note is None:
            continue
        everything = inert(sanitise(markdown().render(note.answer))).strip()
        assert _shown(result.note.answer) == _shown(everything)


class _Events(HTMLParser):
    """Tags, attributes and text with character references read: what a browser builds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[str, ...]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag, repr(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))

    def handle_data(self, data: str) -> None:
        self.events.append(("text", data))


def _shown(html: str) -> list[tuple[str, ...]]:
    parser = _Events()
    parser.feed(html)
    parser.close()
    return parser.events


@given(documents())
def test_line_ends_and_bom_do_not_change_the_notes(document: str) -> None:
    lf = _decoded(document.replace("\r", "").replace("\x00", "").encode("utf-8"))
    crlf = _decoded(b"\xef\xbb\xbf" + lf.replace("\n", "\r\n").encode("utf-8"))
    assert _parse(crlf) == _parse(lf)


@given(st.binary(max_size=400))
def test_any_bytes_are_text_or_a_located_reason(data: bytes) -> None:
    text = decode_source(data, "generated.md")
    if isinstance(text, Diagnostic):
        assert text.severity == "error"
        return
    assert "\r" not in text
    _parse(text)
