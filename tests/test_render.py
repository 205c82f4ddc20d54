"""Rendering: code, math, sanitising and media, checked on the produced HTML."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from deckbuilder.parse import SourceNote
from deckbuilder.render import render_note


def _note(answer: str, tmp_path: Path, question: str = "Q?", detail: str = "") -> SourceNote:
    path = tmp_path / "content" / "topic.md"
    path.parent.mkdir(exist_ok=True)
    return SourceNote(
        key="q?",
        question=question,
        detail=detail,
        answer=answer,
        topic="topic",
        tags=("topic",),
        path=path,
        display="content/topic.md",
        line=1,
        detail_line=3,
        answer_line=10,
    )


def _answer(markdown: str, tmp_path: Path) -> str:
    result = render_note(_note(markdown, tmp_path), tmp_path / "content")
    assert result.note is not None, result.diagnostics
    return result.note.answer


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.nested_pre = False
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "pre" and "pre" in self.stack:
            self.nested_pre = True
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag) :]


def _tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    ("fence", "css_class"),
    [("py", "language-python"), ("Python", "language-python"), ("js", "language-javascript"),
     ("console", "language-console"), ("bash", "language-bash")],
)  # fmt: skip
def test_language_aliases_highlight_with_classes(
    fence: str, css_class: str, tmp_path: Path
) -> None:
    html = _answer(f"```{fence}\nx = 1  # hi\n```", tmp_path)
    parsed = _tags(html)
    assert [t for t, _ in parsed.tags].count("pre") == 1
    assert not parsed.nested_pre
    assert ("code", {"class": css_class}) in parsed.tags
    assert any(t == "span" and a.get("class") for t, a in parsed.tags)
    assert "style=" not in html


@pytest.mark.parametrize("fence", ["nosuchlang", ""])
def test_unknown_or_missing_language_is_escaped_plain_code(fence: str, tmp_path: Path) -> None:
    html = _answer(f"```{fence}\nif a < b && c > d: <script>\n```", tmp_path)
    assert "if a &lt; b &amp;&amp; c &gt; d: &lt;script&gt;" in html
    assert "<span" not in html and html.count("<pre") == 1


def test_indented_code_is_one_plain_pre(tmp_path: Path) -> None:
    html = _answer("Text:\n\n    x = <b>1</b>\n", tmp_path)
    assert html.count("<pre") == 1 and "x = &lt;b&gt;1&lt;/b&gt;" in html


def test_no_run_blocks_are_labelled_visibly(tmp_path: Path) -> None:
    html = _answer("```python no-run\nsess = tf.Session()\n```", tmp_path)
    assert "does not run" in html and html.count("<pre") == 1


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        (r"Inline \(a_1 * b_2 * c\) here", r"\(a_1 * b_2 * c\)"),
        (r"Dollar $a_1 * b_2 * c$ here", r"\(a_1 * b_2 * c\)"),
        ("Display:\n\n$$\n\\sum_{i=1}^n x_i \\\\ y\n$$", r"\[\sum_{i=1}^n x_i \\ y\]"),
        ("Display:\n\n\\[\nx^2 < y_1\n\\]", r"\[x^2 &lt; y_1\]"),
        (
            r"Matrix $\begin{matrix} a & b \end{matrix}$",
            r"\(\begin{matrix} a &amp; b \end{matrix}\)",
        ),
    ],
)
def test_math_reaches_mathjax_untouched(markdown: str, expected: str, tmp_path: Path) -> None:
    html = _answer(markdown, tmp_path)
    assert expected in html
    assert "<em>" not in html


def test_tables_and_strikethrough(tmp_path: Path) -> None:
    html = _answer("| a | b |\n|---|---|\n| 1 | ~~2~~ |", tmp_path)
    assert "<table>" in html and "<s>2</s>" in html


def test_question_renders_inline_markdown(tmp_path: Path) -> None:
    note = _note("A.", tmp_path, question="What does `tf.function` *do*?")
    result = render_note(note, tmp_path / "content")
    assert result.note is not None
    assert result.note.question == "What does <code>tf.function</code> <em>do</em>?"


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src="x.png" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt&#58;alert(1)">x</a>',
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        '<iframe src="https://example.com"></iframe>',
        "<style>.card{display:none}</style>",
        '<div style="position:fixed;inset:0">cover</div>',
        '<object data="x.swf"></object><embed src="x.swf">',
        '<form action="https://example.com"><input name="q"></form>',
        '<meta http-equiv="refresh" content="0;url=https://example.com">',
        '<link rel="stylesheet" href="https://example.com/x.css">',
        "<svg><script>alert(1)</script></svg>",
    ],
)
def test_raw_html_is_sanitised(hostile: str, tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "x.png").write_bytes(b"\x89PNG")  # raw images must exist now
    html = _answer(f"Before\n\n{hostile}\n\nAfter", tmp_path)
    parsed = _tags(html)
    names = {t for t, _ in parsed.tags}
    assert not names & {
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "form",
        "meta",
        "link",
        "svg",
    }
    for _, attrs in parsed.tags:
        assert not any(a.startswith("on") or a == "style" for a in attrs)
        for value in attrs.values():
            assert not (value or "").lower().lstrip().startswith(("javascript:", "data:"))
    assert "After" in html


def test_local_image_is_packaged_under_a_content_hash(tmp_path: Path) -> None:
    (tmp_path / "content" / "img").mkdir(parents=True)
    (tmp_path / "content" / "img" / "graph.PNG").write_bytes(b"\x89PNG fake")
    result = render_note(_note("![a graph](img/graph.PNG)", tmp_path), tmp_path / "content")
    assert result.note is not None
    (media,) = result.note.media
    assert media.name.endswith(".png") and "/" not in media.name
    assert f'src="{media.name}"' in result.note.answer


@pytest.mark.parametrize(
    ("markdown", "message"),
    [
        ("Text\n\n![x](missing.png)", "content/topic.md:12: error: image not found: missing.png"),
        ("![x](../../etc/passwd.png)", "content/topic.md:10: error: image path '../../etc/passwd.png' leaves the content folder"),
        ("![x](https://example.com/a.png)", "content/topic.md:10: error: image 'https://example.com/a.png' is not a local file"),
    ],
)  # fmt: skip
def test_bad_images_are_located_errors(markdown: str, message: str, tmp_path: Path) -> None:
    result = render_note(_note(markdown, tmp_path), tmp_path / "content")
    assert result.note is None
    assert str(result.diagnostics[0]).startswith(message)


def test_table_alignment_survives_the_sanitiser(tmp_path: Path) -> None:
    result = render_note(_note("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |", tmp_path), tmp_path)
    assert result.note is not None
    html = result.note.answer
    assert '<td align="left">1</td>' in html and '<td align="right">3</td>' in html
    assert '<th align="center">b</th>' in html and "style=" not in html


@pytest.mark.parametrize(
    "forged",
    [
        '[link](https://example.org "&#xE000;0&#xE000;")',  # a slot in an attribute
        "text \ue0000\ue000 typed as is",
        "![a](x.png &#xe000;0&#xe000;)",
    ],
)
def test_a_note_cannot_forge_a_code_slot(forged: str, tmp_path: Path) -> None:
    # Highlighted code is set aside behind private-use slots while the rest is sanitised; a
    # note that writes such a slot itself must not get code put where it chose.
    markdown = f"{forged}\n\n```python\nx = 1\n```\n"
    result = render_note(_note(markdown, tmp_path), tmp_path / "content")
    html = result.note.answer if result.note else ""
    assert 'title="<' not in html and html.count("<pre") <= 1
    if result.note is not None:
        assert html.count('<pre class="highlight">') == 1


def test_a_raw_html_image_is_packaged_like_a_markdown_one(tmp_path: Path) -> None:
    (tmp_path / "content" / "img").mkdir(parents=True)
    (tmp_path / "content" / "img" / "plot.png").write_bytes(b"\x89PNG plot")
    source = '<img src="img/plot.png" alt="p">\n\n<!-- <img src="gone.png"> -->\n\nInline <img src=img/plot.png>.'
    result = render_note(_note(source, tmp_path), tmp_path / "content")
    assert result.note is not None, result.diagnostics
    (media,) = result.note.media
    assert (
        result.note.answer.count(f'src="{media.name}"') == 2
    )  # both, and the commented one is not asked for


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ('<img src="missing.png">', "raw HTML image not found: missing.png"),
        (
            '<img src="https://evil.example/track.png">',
            "raw HTML image 'https://evil.example/track.png' is not a local file",
        ),
        ('<img src="//evil.example/track.png">', "is not a local file"),
        ('<img src="data:image/png;base64,iVBORw0KGgo=">', "is not a local file"),
        ('<img src="javascript:alert(26)">', "is not a local file"),
        ('<image src="http://evil.example/e.png">', "is not a local file"),
        ('<img src="0123456789abcdef.png">', "raw HTML image not found"),
        ('<img src="../outside.png">', "leaves the content folder"),
    ],
)
def test_a_raw_html_image_that_cannot_be_packaged_is_a_located_error(
    tmp_path: Path, tag: str, message: str
) -> None:
    note = _note(f"Before\n\n{tag}\n", tmp_path)
    result = render_note(note, tmp_path / "content")
    assert result.note is None
    assert [(d.line, d.severity) for d in result.diagnostics] == [(note.answer_line + 2, "error")]
    assert message in result.diagnostics[0].message
