"""Broken and hostile input: a located, human message and exit 1, never a traceback or a package.

Every case runs the real command line in-process (`build()`) in an empty folder.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from .conftest import build, write

OK = "## What is fine?\n\nThis.\n"


def _modes_are_enforced() -> bool:
    """Whether a mode-000 file really cannot be read (not so for root, which may bypass it)."""
    with tempfile.TemporaryDirectory() as scratch:
        probe = Path(scratch) / "probe"
        probe.write_bytes(b"x")
        probe.chmod(0)
        try:
            probe.read_bytes()
        except PermissionError:
            return True
        return False


ROOT_READS_EVERYTHING = pytest.mark.skipif(
    not _modes_are_enforced(),
    reason="running as root: files and folders are read whatever their mode",
)


def _packages(folder: Path) -> list[Path]:
    return sorted(folder.glob("**/*.apkg"))


def _fails_with(folder: Path, err: str, message: str) -> None:
    assert message in err, err
    assert "Traceback" not in err
    assert err.rstrip().endswith("nothing written")
    assert _packages(folder) == []


# --- files that cannot be read ----------------------------------------------------------


@ROOT_READS_EVERYTHING
def test_unreadable_file_is_named(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "ok.md", OK)
    secret = write(in_tmp / "content" / "secret.md", "## Q?\n\nA.\n")
    secret.chmod(0)
    try:
        assert build() == 1
    finally:
        secret.chmod(0o644)
    err = capsys.readouterr().err
    _fails_with(in_tmp, err, "content/secret.md: error: cannot read file: Permission denied")


def test_unreadable_file_is_named_even_as_root(
    in_tmp: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root ignores file modes, so the refusal is simulated where the file is read.
    write(in_tmp / "content" / "ok.md", OK)
    secret = write(in_tmp / "content" / "secret.md", "## Q?\n\nA.\n")
    read_bytes = Path.read_bytes

    def refuse(path: Path) -> bytes:
        if path.name == secret.name:
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert build() == 1
    err = capsys.readouterr().err
    _fails_with(in_tmp, err, "content/secret.md: error: cannot read file: Permission denied")


@ROOT_READS_EVERYTHING
def test_unreadable_folder_is_named(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "ok.md", OK)
    locked = in_tmp / "content" / "locked"
    write(locked / "a.md", "## Q?\n\nA.\n")
    locked.chmod(0)
    try:
        assert build() == 1
    finally:
        locked.chmod(0o755)
    err = capsys.readouterr().err
    _fails_with(in_tmp, err, "content/locked: error: cannot read folder: Permission denied")


def test_fifo_named_md_is_refused_without_blocking(in_tmp: Path, capsys) -> None:
    # Opening a FIFO for reading blocks until a writer comes: it must never be opened.
    write(in_tmp / "content" / "ok.md", OK)
    os.mkfifo(in_tmp / "content" / "pipe.md")
    assert build() == 1
    _fails_with(in_tmp, capsys.readouterr().err, "content/pipe.md: error: not a regular file")


def test_folder_named_like_a_source_is_just_a_folder(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "odd.md" / "inner.md", OK)
    assert build("--check") == 0
    assert "check passed: 1 notes" in capsys.readouterr().err


# --- symlinks ---------------------------------------------------------------------------


def test_folder_symlink_loop_is_located_and_ends(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "ok.md", OK)
    (in_tmp / "content" / "a").symlink_to("a")
    assert build() == 1
    _fails_with(in_tmp, capsys.readouterr().err, "content/a: error: symlink loop")


def test_source_symlink_to_itself_is_located(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "ok.md", OK)
    (in_tmp / "content" / "self.md").symlink_to("self.md")
    assert build() == 1
    _fails_with(in_tmp, capsys.readouterr().err, "content/self.md: error: symlink loop")


def test_symlink_cycle_through_folders_ends(in_tmp: Path, capsys) -> None:
    # Links to an ancestor would make a naive walk go round forever.
    write(in_tmp / "content" / "sub" / "ok.md", OK)
    (in_tmp / "content" / "sub" / "again").symlink_to("..")
    (in_tmp / "content" / "here").symlink_to(".")
    assert build("--check") == 0
    assert "check passed: 1 notes" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_symlink_leaving_the_content_folder_is_an_error(in_tmp: Path, capsys, kind: str) -> None:
    write(in_tmp / "content" / "ok.md", OK)
    write(in_tmp / "elsewhere" / "outside.md", "## Who put me here?\n\nSomeone.\n")
    if kind == "file":
        link, target = in_tmp / "content" / "outside.md", "../elsewhere/outside.md"
    else:
        link, target = in_tmp / "content" / "shared", "../elsewhere"
    link.symlink_to(target)
    assert build() == 1
    _fails_with(
        in_tmp,
        capsys.readouterr().err,
        f"content/{link.name}: error: symlink leads outside the content folder ({target})",
    )


def test_dangling_source_symlink_is_an_error(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "ok.md", OK)
    (in_tmp / "content" / "gone.md").symlink_to("nowhere.md")
    assert build() == 1
    _fails_with(in_tmp, capsys.readouterr().err, "content/gone.md: error: symlink target not found")


def test_symlink_inside_the_content_folder_still_works(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "real" / "a.md", OK)
    (in_tmp / "content" / "alias").symlink_to("real")  # folder link: its files are read once
    assert build("--check") == 0
    assert "check passed: 1 notes" in capsys.readouterr().err


# --- unterminated blocks ----------------------------------------------------------------


def test_unclosed_fence_is_a_located_warning(in_tmp: Path, capsys) -> None:
    write(
        in_tmp / "content" / "a.md",
        "## What is first?\n\n```python\nx = 1\n\n## What is swallowed?\n\nThis.\n",
    )
    assert build("--check") == 0
    err = capsys.readouterr().err
    assert "content/a.md:3: warning: code fence never closed" in err
    assert build("--strict") == 1
    _fails_with(in_tmp, capsys.readouterr().err, "content/a.md:3: error: code fence never closed")


def test_closed_fences_in_quotes_and_lists_do_not_warn(in_tmp: Path, capsys) -> None:
    write(
        in_tmp / "content" / "a.md",
        "## What is quoted?\n\n> ```\n> x\n> ```\n\n- ````\n  y\n  `````\n\n~~~\nz\n~~~\n",
    )
    assert build("--check", "--strict") == 0
    assert "warning" not in capsys.readouterr().err


def test_unclosed_front_matter_is_an_error_at_line_one(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "a.md", "---\ntopic: x\n\n## What is this?\n\nThat.\n")
    assert build() == 1
    _fails_with(in_tmp, capsys.readouterr().err, "content/a.md:1: error: front matter never closed")


def test_unclosed_raw_html_block_is_a_located_warning(in_tmp: Path, capsys) -> None:
    write(
        in_tmp / "content" / "a.md",
        "## What is first?\n\nThis.\n\n<!-- a note to self\n\n## What is hidden?\n\nThat.\n",
    )
    write(in_tmp / "content" / "b.md", "## What is open?\n\n<SCRIPT>\nx\n\n## Gone?\n\nYes.\n")
    assert build("--check") == 0
    err = capsys.readouterr().err
    assert "content/a.md:5: warning: raw HTML `<!--` never closed" in err
    assert "content/b.md:3: warning: raw HTML `<script>` never closed" in err


def test_closed_raw_html_blocks_do_not_warn(in_tmp: Path, capsys) -> None:
    write(
        in_tmp / "content" / "a.md",
        "## What is fine?\n\n<!-- a\ncomment -->\n\n<pre>\nx\n</pre>\n\n<div>\n\nok\n",
    )
    assert build("--check", "--strict") == 0


# --- front matter values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("topic: yes", "content/a.md:2: error: front matter `topic:` must be a single, non-empty text value"),
        ("topic: ''", "content/a.md:2: error: front matter `topic:` must be a single, non-empty text value"),
        ("topic: 2024-01-01", "content/a.md:2: error: front matter `topic:`"),
        ("topic: {a: 1}", "content/a.md:2: error: front matter `topic:`"),
        ("tags: {a: 1}", "content/a.md:2: error: front matter `tags:` must be a list of text values"),
        ("tags: [[a]]", "content/a.md:2: error: front matter `tags:` must be a list of text values"),
        ("tags: [true]", "content/a.md:2: error: front matter `tags:` must be a list of text values"),
        ("topic: !!python/object:os.system x", "content/a.md:2: error: front matter is not valid YAML"),
        ("topic: " + "[" * 2000 + "]" * 2000, "content/a.md:1: error: front matter nests too deeply"),
        ("'topic", "content/a.md:2: error: front matter is not valid YAML"),
    ],
)  # fmt: skip
def test_bad_front_matter_value_is_located(in_tmp: Path, capsys, front: str, message: str) -> None:
    write(in_tmp / "content" / "a.md", f"---\n{front}\n---\n\n## What is this?\n\nThat.\n")
    assert build() == 1
    _fails_with(in_tmp, capsys.readouterr().err, message)


def test_unknown_front_matter_key_is_a_warning(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "a.md", "---\ntag: [x]\n---\n\n## What is this?\n\nThat.\n")
    assert build("--check") == 0
    err = capsys.readouterr().err
    assert (
        "content/a.md:1: warning: unknown front matter key 'tag' ignored (known: topic:, tags:, deck:, cards:)"
        in err
    )


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


# --- images that cannot be packaged -----------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "message"),
    [
        ("![x](loop.png)", "content/a.md:3: error: image 'loop.png' cannot be read: symlink loop"),
        ("![x](a%00.png)", "content/a.md:3: error: image 'a%00.png' is not a valid file name"),
        (f"![x]({'a' * 5000}.png)", "cannot be read: File name too long"),
        ("![x](dir.png)", "content/a.md:3: error: image not found: dir.png"),
        ("![x](%2e%2e/%2e%2e/x.png)", "content/a.md:3: error: image path '%2e%2e/%2e%2e/x.png' leaves the content folder"),
        ("## What is ![x](pixel.png)?", "content/a.md:3: error: image in a question heading"),
    ],
)  # fmt: skip
def test_image_that_cannot_be_packaged_is_located(
    in_tmp: Path, capsys, markdown: str, message: str
) -> None:
    (in_tmp / "content" / "loop.png").symlink_to("loop.png")
    (in_tmp / "content" / "dir.png").mkdir()
    shutil.copy(HOSTILE / "pixel.png", in_tmp / "content")
    write(in_tmp / "content" / "a.md", f"## What is shown?\n\n{markdown}\n\nA: that.\n")
    assert build() == 1
    _fails_with(in_tmp, capsys.readouterr().err, message)


@ROOT_READS_EVERYTHING
def test_unreadable_image_is_located(in_tmp: Path, capsys) -> None:
    image = in_tmp / "content" / "locked.png"
    shutil.copy(HOSTILE / "pixel.png", image)
    write(in_tmp / "content" / "a.md", "## What is shown?\n\n![x](locked.png)\n")
    image.chmod(0)
    try:
        assert build() == 1
    finally:
        image.chmod(0o644)
    _fails_with(
        in_tmp,
        capsys.readouterr().err,
        "content/a.md:3: error: image 'locked.png' cannot be read: Permission denied",
    )


# --- --check as a content linter --------------------------------------------------------


def _lint(in_tmp: Path, capsys, text: str, *args: str) -> tuple[int, list[str]]:
    write(in_tmp / "content" / "a.md", text)
    status = build("--check", *args)
    err = capsys.readouterr().err.splitlines()
    return status, [line for line in err if ": warning: " in line or ": error: " in line]


def test_lint_unknown_language_and_empty_code(in_tmp: Path, capsys) -> None:
    text = (
        "## What is misspelt?\n\n```pyhton\nx = 1\n```\n\n"
        "## What is empty?\n\nNothing:\n\n```python\n\n```\n\n"
        "## What is fine?\n\n```py no-run\nx\n```\n\n```\nno language is fine\n```\n"
    )
    status, lines = _lint(in_tmp, capsys, text)
    assert status == 0
    assert lines == [
        "content/a.md:3: warning: unknown code language 'pyhton' (did you mean 'python'?)",
        "content/a.md:11: warning: empty code block",
    ]
    assert _lint(in_tmp, capsys, text, "--strict")[0] == 1


def test_lint_runs_only_with_check(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "a.md", "## What is misspelt?\n\n```pyhton\nx = 1\n```\n")
    assert build("--strict", "--no-preview") == 0
    assert "unknown code language" not in capsys.readouterr().err


def test_lint_long_answers(in_tmp: Path, capsys) -> None:
    prose = " ".join(["word"] * 240)  # 1,199 characters: just under the limit
    code = "\n".join(f"x{i} = {i}" for i in range(31))
    text = (
        f"## What is just short enough?\n\n{prose}\n\n"
        f"## What is too long?\n\n{prose} more\n\n"
        f"## What has long code?\n\nSee:\n\n```python\n{code}\n```\n"
    )
    status, lines = _lint(in_tmp, capsys, text)
    assert status == 0
    assert lines == [
        "content/a.md:7: warning: answer is long: 1,204 characters of text (over 1,200, about "
        "two phone screens); split the question",
        "content/a.md:13: warning: code block is 31 lines long (over 30, about two phone "
        "screens); shorten it or split the question",
    ]


def test_lint_near_duplicate_questions(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "b.md", "## What is a tensors?\n\nPlural.\n")
    text = (
        "## What is a tensor?\n\nA typed array.\n\n"
        "## What does `tf.reduce_sum` do?\n\nSums.\n\n"
        "## What does `tf.reduce_max` do?\n\nMaximum.\n\n"  # differs in code: not a duplicate
        "## What is broadcasting? {#broadcast-1}\n\nStretching.\n\n"
        "## What's broadcasting? {#broadcast-2}\n\nExplicit keys: told apart on purpose.\n"
    )
    status, lines = _lint(in_tmp, capsys, text)
    assert status == 0
    assert lines == [
        "content/b.md:1: warning: question nearly duplicates content/a.md:1 ('what is a "
        "tensor?'); if they differ on purpose, give both an explicit {#key}"
    ]


def test_lint_large_images(in_tmp: Path, capsys) -> None:
    (in_tmp / "content" / "big.png").write_bytes(b"\x89PNG" + bytes(1_500_000))
    shutil.copy(HOSTILE / "pixel.png", in_tmp / "content")
    text = "## What is big?\n\nThis:\n\n![big](big.png)\n\n## What is small?\n\n![s](pixel.png)\n"
    status, lines = _lint(in_tmp, capsys, text)
    assert status == 0
    assert lines == [
        "content/a.md:5: warning: image 'big.png' is 1.5 MB (over 1 MB); every device syncs "
        "it: shrink it"
    ]


def test_shipped_deck_is_lint_clean(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    from .conftest import ROOT

    monkeypatch.chdir(ROOT)
    assert build("--check", "--strict", "--no-preview") == 0, capsys.readouterr().err
    assert "warning" not in capsys.readouterr().err


def test_near_duplicates_in_a_big_deck(tmp_path: Path) -> None:
    from deckbuilder.lint import near_duplicates
    from deckbuilder.parse import SourceNote

    rng = random.Random(6)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(5, 10))) for _ in range(5000)]
    questions = [f"what does {' '.join(rng.choices(vocabulary, k=4))} do?" for _ in range(20_000)]
    questions[12_345] = questions[345].replace("what does", "what do")  # planted duplicates
    questions[19_999] = questions[7].replace(" do?", " does?")

    def note(index: int, question: str) -> SourceNote:
        return SourceNote(
            key=question,
            question=question,
            detail="",
            answer="x",
            topic="t",
            tags=("t",),
            path=tmp_path / "a.md",
            display="a.md",
            line=index + 1,
            detail_line=index + 2,
            answer_line=index + 2,
        )

    # Only a few sorted neighbours of each question are compared, never all 200 million pairs.
    found = near_duplicates([note(i, q) for i, q in enumerate(questions)])
    assert [(d.line, d.message.split(" (")[0]) for d in found] == [
        (12_346, "question nearly duplicates a.md:346"),
        (20_000, "question nearly duplicates a.md:8"),
    ]


# --- pathological nesting ---------------------------------------------------------------
#
# markdown-it stops nesting at 20 levels (a quote is one, a list item two) and drops what is
# deeper; the build must neither crash nor recurse, and must say that content was dropped.

DEEP = 10_000


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("> " * DEEP + "deep", 3),
        ("- " * DEEP + "deep", 3),
        ("1. " * DEEP + "deep", 3),
        ("> - " * (DEEP // 2) + "deep", 3),
        # A staircase one line per level; the tenth list level is where content goes.
        ("".join("  " * level + "- item\n" for level in range(200)), 12),
    ],
    ids=["quotes", "bullets", "numbers", "quotes-in-lists", "staircase"],
)
def test_deep_nesting_is_dropped_with_a_warning(in_tmp: Path, capsys, body: str, line: int) -> None:
    write(in_tmp / "content" / "a.md", f"## What is deep?\n\n{body}\n")
    assert build("--no-preview") == 0
    err = capsys.readouterr().err
    assert f"content/a.md:{line}: warning: quotes or lists nested too deeply" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "body",
    [
        "*" * DEEP + "x" + "*" * DEEP,
        "[" * DEEP + "x" + "]" * DEEP,
        "[a](" * DEEP + "x" + ")" * DEEP,
        "<div>" * DEEP + "x" + "</div>" * DEEP,
        "`" * DEEP + "x" + "`" * DEEP,
        "$" * DEEP + "x" + "$" * DEEP,
    ],
    ids=["emphasis", "brackets", "links", "html", "backticks", "dollars"],
)
def test_deep_inline_nesting_builds(in_tmp: Path, capsys, body: str) -> None:
    write(in_tmp / "content" / "a.md", f"## What is deep?\n\n{body}\n")
    assert build("--no-preview") == 0
    hostile = _built(in_tmp / "dist" / "markdown-flashcards.apkg")
    (note,) = hostile.notes
    assert unsafe_parts(note["Answer"]) == []


def test_deep_math_delimiters_are_a_located_error(in_tmp: Path, capsys) -> None:
    # `\(` inside a formula is no command of Anki's MathJax, so math may not hold it (tex.py).
    write(in_tmp / "content" / "a.md", "## What is deep?\n\n" + "\\(" * DEEP + "x" + "\\)" * DEEP)
    assert build("--no-preview") == 1
    err = capsys.readouterr().err
    assert "content/a.md:3: error: `\\(` is not a command of Anki's MathJax" in err
    assert "Traceback" not in err
