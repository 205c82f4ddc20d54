"""Source notes to card HTML: Markdown, highlighted code, math for MathJax, media, sanitising."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from .diagnostics import Diagnostic, error
from .parse import SourceNote

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp"})
# Anything with a scheme (`https:`, `data:`, `javascript:`) or a network path (`//host`).
_REMOTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
_MEDIA_NAME = re.compile(r"^[0-9a-f]{16}\.[a-z0-9]+$")
NO_RUN = "no-run"

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
    "*": {"class", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
}


@dataclass(frozen=True)
class MediaFile:
    """A file packaged beside the notes, named by content hash (Anki media names are bare)."""

    name: str
    source: Path


@dataclass(frozen=True)
class RenderedNote:
    note: SourceNote
    question: str
    detail: str
    answer: str
    media: tuple[MediaFile, ...]


@dataclass(frozen=True)
class RenderResult:
    note: RenderedNote | None
    diagnostics: tuple[Diagnostic, ...]


# --- code -------------------------------------------------------------------------------


@cache
def _formatter() -> HtmlFormatter[str]:
    return HtmlFormatter(nowrap=True)


@cache
def _lexer(language: str) -> Lexer | None:
    try:
        return get_lexer_by_name(language.lower())
    except ClassNotFound:
        return None


def highlight_code(code: str, info: str) -> str:
    """Exactly one `<pre>`: Pygments spans (CSS classes), or escaped text for unknown languages."""
    words = info.split()
    language = words[0] if words else ""
    lexer = _lexer(language) if language else None
    body = highlight(code, lexer, _formatter()) if lexer else escape(code, quote=False)
    label = ""
    if NO_RUN in words[1:]:
        label = '<div class="code-label">does not run: shown for contrast</div>'
    lang_class = f' class="language-{escape(lexer.aliases[0])}"' if lexer and lexer.aliases else ""
    return f'{label}<pre class="highlight"><code{lang_class}>{body.rstrip(chr(10))}</code></pre>\n'


def _render_fence(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    return highlight_code(token.content, token.info.strip())


def _render_code_block(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return highlight_code(tokens[idx].content, "")


# --- math -------------------------------------------------------------------------------


def _math(open_: str, close: str, block: bool) -> Any:
    # Formula text goes to MathJax as written; only HTML's own three characters are escaped.
    def rule(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        text = f"{open_}{escape(tokens[idx].content.strip(), quote=False)}{close}"
        return f'<div class="math">{text}</div>\n' if block else text

    return rule


@cache
def markdown() -> MarkdownIt:
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.texmath import texmath_plugin

    md = (
        MarkdownIt("commonmark", {"html": True})
        .enable(["table", "strikethrough"])
        .use(texmath_plugin, delimiters="brackets")
        .use(dollarmath_plugin, allow_space=True, double_inline=True)
    )
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule("code_block", _render_code_block)
    inline, display = _math(r"\(", r"\)", False), _math(r"\[", r"\]", True)
    md.add_render_rule("math_inline", inline)
    md.add_render_rule("math_inline_double", _math(r"\[", r"\]", False))
    for name in ("math_block", "math_block_eqno", "math_block_label"):
        md.add_render_rule(name, display)
    return md


# --- images -----------------------------------------------------------------------------


def _images(tokens: Sequence[Token]) -> Iterator[tuple[Token, int]]:
    """Every image token with the 0-based line of the block it sits in."""
    line = 0
    for token in tokens:
        if token.map is not None:
            line = token.map[0]
        for child in token.children or ():
            if child.type == "image":
                yield child, line


@cache
def _media_name(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return f"{digest}{path.suffix.lower()}"


def _resolve_image(src: str, base: Path, root: Path) -> Path | str:
    """The image file, or why it cannot be packaged."""
    if _REMOTE.match(src):
        return (
            f"image {src[:80]!r} is not a local file; cards must work offline, "
            "so save it under the content folder"
        )
    relative = unquote(src.split("#", 1)[0].split("?", 1)[0])
    path = (base / relative).resolve()
    if not path.is_relative_to(root):
        return f"image path {src!r} leaves the content folder"
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return (
            f"image {src!r} is not an image type Anki shows ({', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    if not path.is_file():
        return f"image not found: {src}"
    return path


# --- sanitising -------------------------------------------------------------------------


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Only images this build packaged may load: anything else would reach the network.
    if tag == "img" and attribute == "src":
        return value if _MEDIA_NAME.match(value) else None
    return value


def sanitise(html: str) -> str:
    """Allowlist sanitising: no scripts, styles, frames, event handlers or script URLs survive."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "mailto"},
        strip_comments=True,
    )


# --- notes ------------------------------------------------------------------------------


@dataclass
class _Context:
    """What rendering one note's Markdown needs to know and collects."""

    note: SourceNote
    root: Path
    media: dict[str, MediaFile]
    diagnostics: list[Diagnostic]


def _render_block(markdown_text: str, first_line: int, ctx: _Context) -> str:
    if not markdown_text:
        return ""
    md = markdown()
    tokens = md.parse(markdown_text)
    base = ctx.note.path.parent.resolve()
    for image, line in _images(tokens):
        src = image.attrGet("src")
        found = _resolve_image(str(src or ""), base, ctx.root)
        if isinstance(found, str):
            ctx.diagnostics.append(error(ctx.note.display, first_line + line, found))
            continue
        media = MediaFile(_media_name(found), found)
        ctx.media[media.name] = media
        image.attrSet("src", media.name)
    return sanitise(md.renderer.render(tokens, md.options, {})).strip()


def render_note(note: SourceNote, content_root: Path) -> RenderResult:
    """Card HTML for one note, or the located reasons it cannot be rendered."""
    ctx = _Context(note=note, root=content_root.resolve(), media={}, diagnostics=[])
    question = sanitise(markdown().renderInline(note.question))
    detail = _render_block(note.detail, note.detail_line, ctx)
    answer = _render_block(note.answer, note.answer_line, ctx)
    if ctx.diagnostics:
        return RenderResult(None, tuple(ctx.diagnostics))
    media = tuple(sorted(ctx.media.values(), key=lambda m: m.name))
    return RenderResult(RenderedNote(note, question, detail, answer, media), ())


def code_css(light_style: str, night_style: str) -> str:
    """Pygments rules for both modes; night colours apply only under Anki's night classes."""
    light = HtmlFormatter(style=light_style).get_style_defs(".highlight")
    night = HtmlFormatter(style=night_style).get_style_defs(
        [".nightMode .highlight", ".night_mode .highlight"]
    )
    return f"/* code: {light_style} (light), {night_style} (night) */\n{light}\n{night}\n"
