"""Source notes to card HTML: Markdown, highlighted code, math for MathJax, media, sanitising."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from html import escape, unescape
from itertools import pairwise
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

from .diagnostics import Diagnostic, error, warning
from .parse import SourceNote

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp"})
# Anything with a scheme (`https:`, `data:`, `javascript:`) or a network path (`//host`).
_REMOTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
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
    "*": {"title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
}
# Private use: markdown-it writes it only where a note has it (typed, or as `&#xE000;`), and
# such notes are sanitised whole (see `_render_block`).
_SLOT = "\ue000"
_SLOT_PATTERN = re.compile(f"{_SLOT}([0-9]+){_SLOT}")


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A file packaged beside the notes, named by content hash (Anki media names are bare)."""

    name: str
    source: Path


@dataclass(frozen=True, slots=True)
class RenderedNote:
    note: SourceNote
    question: str
    detail: str
    answer: str
    media: tuple[MediaFile, ...]


@dataclass(frozen=True, slots=True)
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


def _set_aside(html: str, env: Any) -> str:
    """Highlighted code, or a slot for it when the caller keeps code out of the sanitiser.

    Pygments escapes every character of the code and adds only `<span class>`: the HTML is
    safe as made, and it is half of what the sanitiser would otherwise have to read.
    """
    code = env.get("code")
    if code is None:
        return html
    code.append(html)
    return f"{_SLOT}{len(code) - 1}{_SLOT}"  # the HTML ends its line itself


def _render_fence(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    return _set_aside(highlight_code(token.content, token.info.strip()), env)


def _render_code_block(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return _set_aside(highlight_code(tokens[idx].content, ""), env)


def _render_cell(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    # markdown-it aligns columns with `style="text-align:…"`; the sanitiser lets no `style`
    # through (it can cover the card), so alignment goes as `align`, which it keeps.
    token = tokens[idx]
    style = str(token.attrs.pop("style", ""))
    if style.startswith("text-align:"):
        token.attrSet("align", style.removeprefix("text-align:"))
    return str(self.renderToken(tokens, idx, options, env))


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
    md.add_render_rule("th_open", _render_cell)
    md.add_render_rule("td_open", _render_cell)
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


def _has_raw_html(tokens: Sequence[Token]) -> bool:
    return any(
        token.type == "html_block"
        or any(child.type == "html_inline" for child in token.children or ())
        for token in tokens
    )


def _media_name(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return f"{digest}{path.suffix.lower()}"


def _shown(src: str) -> str:
    return repr(src if len(src) <= 80 else f"{src[:80]}...")


def _local_image(path: Path, src: str, root: Path) -> MediaFile | str:
    path = path.resolve()
    if not path.is_relative_to(root):
        return f"image path {_shown(src)} leaves the content folder"
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return (
            f"image {_shown(src)} is not an image type Anki shows "
            f"({', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    if not path.is_file():
        return f"image not found: {src[:80]}"
    return MediaFile(_media_name(path), path)


def _resolve_image(src: str, base: Path, root: Path) -> MediaFile | str:
    """The image to package, or why it cannot be packaged."""
    if _REMOTE.match(src):
        return (
            f"image {_shown(src)} is not a local file; cards must work offline, "
            "so save it under the content folder"
        )
    relative = unquote(src.split("#", 1)[0].split("?", 1)[0])
    try:
        return _local_image(base / relative, src, root)
    except RuntimeError:  # Python 3.11's resolve() reports a symlink loop this way
        return f"image {_shown(src)} cannot be read: symlink loop"
    except ValueError:  # a NUL byte, e.g. from `%00`
        return f"image {_shown(src)} is not a valid file name"
    except OSError as exc:  # unreadable, a name too long, ...
        return f"image {_shown(src)} cannot be read: {exc.strerror or exc}"


# --- sanitising -------------------------------------------------------------------------


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


# Anki reads `[sound:file]` and `[anki:tts]…[/anki:tts]` in card text as things to play, and
# it does so in the HTML, before the browser sees it. Text about them must stay text.
_PLAY_TAG = re.compile(r"\[(sound|anki):", re.IGNORECASE)


def inert(html: str) -> str:
    """HTML that shows the same but that Anki finds nothing to play in: `:` as `&#58;`.

    Safe anywhere, text or attribute value: the browser reads `&#58;` back as `:`.
    """
    return _PLAY_TAG.sub(lambda tag: f"[{tag.group(1)}&#58;", html)


def plain_field(text: str) -> str:
    """Plain text as a field: Anki treats every field as HTML, so `<img onerror>` would run."""
    return inert(escape(text))


def sanitise(html: str, media: frozenset[str] = frozenset()) -> str:
    """Allowlist sanitising: no scripts, styles, frames, event handlers or script URLs survive.

    `media` names the packaged images an `<img src>` may refer to; every other source goes.
    """
    return _cleaner(media).clean(html)


# --- notes ------------------------------------------------------------------------------


@dataclass
class _Context:
    """What rendering one note's Markdown needs to know and collects."""

    note: SourceNote
    root: Path
    media: dict[str, MediaFile]
    diagnostics: list[Diagnostic]


def _too_deep(tokens: Sequence[Token], limit: int) -> Token | None:
    """The container markdown-it left empty because nesting reached its limit, if any.

    Past `maxNesting` levels (a quote is one, a list item two) markdown-it drops the rest
    of the block without a word; what is left is an empty innermost container.
    """
    for opening, following in pairwise(tokens):
        if opening.nesting == 1 and opening.level >= limit - 1 and following.nesting == -1:
            return opening
    return None


def _package_images(tokens: Sequence[Token], first_line: int, ctx: _Context) -> None:
    """Point every image at its packaged copy, or say why it cannot be packaged."""
    base: Path | None = None
    for image, line in _images(tokens):
        base = base or ctx.note.path.parent.resolve()  # only for notes with images: a syscall
        media = _resolve_image(str(image.attrGet("src") or ""), base, ctx.root)
        if isinstance(media, str):
            ctx.diagnostics.append(error(ctx.note.display, first_line + line, media))
            continue
        ctx.media[media.name] = media
        image.attrSet("src", media.name)


def _render_block(markdown_text: str, first_line: int, ctx: _Context) -> str:
    if not markdown_text:
        return ""
    md = markdown()
    tokens = md.parse(markdown_text)
    deepest = _too_deep(tokens, md.options["maxNesting"])
    if deepest is not None:
        line = first_line + (deepest.map[0] if deepest.map else 0)
        message = "quotes or lists nested too deeply; what is inside the deepest ones is not shown"
        ctx.diagnostics.append(warning(ctx.note.display, line, message))
    _package_images(tokens, first_line, ctx)
    # Code skips the sanitiser only where nothing can reach inside it: with raw HTML, an open
    # tag or attribute could surround a slot; with the slot character in the note's own text
    # (a link title can hold it), a slot could be forged. Such notes are sanitised whole.
    env: dict[str, list[str]] = {} if _has_raw_html(tokens) else {"code": []}
    html = md.renderer.render(tokens, md.options, env)
    if env and html.count(_SLOT) != 2 * len(env["code"]):
        env = {}
        html = md.renderer.render(tokens, md.options, env)
    html = sanitise(html, frozenset(ctx.media))
    if env:
        html = _SLOT_PATTERN.sub(lambda slot: env["code"][int(slot.group(1))], html)
    return inert(html).strip()


def _render_question(ctx: _Context) -> str:
    tokens = markdown().parseInline(ctx.note.question)
    if any(child.type == "image" for token in tokens for child in token.children or ()):
        # Only body images are packaged; one in the heading would silently lose its source.
        message = "image in a question heading; put it in the question detail below the heading"
        ctx.diagnostics.append(error(ctx.note.display, ctx.note.line, message))
    return inert(sanitise(markdown().renderer.render(tokens, markdown().options, {})))


def _is_blank(html: str) -> bool:
    """No text and no image: what a card shows of this HTML is nothing."""
    return "<img" not in html and not unescape(re.sub(r"<[^>]*>", "", html)).strip()


def _emptied(ctx: _Context, question: str, answer: str) -> None:
    # Source that had text but renders to nothing was all unsafe HTML: an empty card side.
    if ctx.diagnostics:  # a located reason (an image, nesting too deep) was given already
        return
    note = ctx.note
    for markdown_text, html, line, part in (
        (note.question, question, note.line, "question"),
        (note.answer, answer, note.answer_line, "answer"),
    ):
        if markdown_text.strip() and _is_blank(html):
            message = f"{part} is empty once unsafe HTML is removed"
            ctx.diagnostics.append(warning(note.display, line, message))


def render_note(note: SourceNote, content_root: Path, *, resolved: bool = False) -> RenderResult:
    """Card HTML for one note, or the located reasons it cannot be rendered.

    `resolved=True` says `content_root` is resolved already: a build renders thousands of
    notes against one folder, and resolving it is a system call per path part.
    """
    root = content_root if resolved else content_root.resolve()
    ctx = _Context(note=note, root=root, media={}, diagnostics=[])
    question = _render_question(ctx)
    detail = _render_block(note.detail, note.detail_line, ctx)
    answer = _render_block(note.answer, note.answer_line, ctx)
    _emptied(ctx, question, answer)
    if any(d.severity == "error" for d in ctx.diagnostics):
        return RenderResult(None, tuple(ctx.diagnostics))
    media = tuple(sorted(ctx.media.values(), key=lambda m: m.name))
    rendered = RenderedNote(note, question, detail, answer, media)
    return RenderResult(rendered, tuple(ctx.diagnostics))


def code_css(light_style: str, night_style: str) -> str:
    """Pygments rules for both modes; night colours apply only under Anki's night classes."""
    light = HtmlFormatter(style=light_style).get_style_defs(".highlight")
    night = HtmlFormatter(style=night_style).get_style_defs(
        [".nightMode .highlight", ".night_mode .highlight"]
    )
    return f"/* code: {light_style} (light), {night_style} (night) */\n{light}\n{night}\n"
