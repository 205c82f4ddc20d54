"""Source notes to card HTML: Markdown, highlighted code, math for MathJax, media, clozes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, partial
from html import escape, unescape
from itertools import pairwise
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from . import cloze, tex, typeset
from .diagnostics import Diagnostic, Severity
from .highlight import highlight_code
from .kinds import KINDS, TYPE_IN
from .media import MediaFile, images_in, is_web_address, resolve_image
from .parse import CLOZE_MARKER, SourceNote
from .sanitise import inert, sanitise, shown_image_sources

VAULT = "vault"  # SourceNote.origin of an Obsidian vault's cards
# Private use: markdown-it writes it only where a note has it (typed, or as `&#xE000;`), and
# such notes are sanitised whole (see `_render_block`).
_SLOT = "\ue000"
_SLOT_PATTERN = re.compile(f"{_SLOT}([0-9]+){_SLOT}")
TYPED_ANSWER_LIMIT = 100  # characters: longer is typeable, but not worth typing
# What a typed answer may hold: one line of text, with inline code and emphasis at most.
_TYPEABLE = frozenset({"text", "code_inline", "em_open", "em_close", "strong_open",
                       "strong_close", "s_open", "s_close"})  # fmt: skip


@dataclass(frozen=True, slots=True)
class RenderedNote:
    note: SourceNote
    question: str  # a Q&A note's question, a cloze note's title
    detail: str  # question detail, or a cloze note's text with Anki's markers
    answer: str  # the answer, or a cloze note's extra
    media: tuple[MediaFile, ...]


@dataclass(frozen=True, slots=True)
class RenderResult:
    note: RenderedNote | None
    diagnostics: tuple[Diagnostic, ...]


# --- Markdown ---------------------------------------------------------------------------


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


def _math(open_: str, close: str, block: bool) -> Any:
    # Formula text goes to MathJax as written; only HTML's own three characters are escaped.
    def rule(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        text = f"{open_}{escape(tokens[idx].content.strip(), quote=False)}{close}"
        return f'<div class="math">{text}</div>\n' if block else text

    return rule


@cache
def markdown() -> MarkdownIt:
    from mdit_py_plugins.attrs import attrs_plugin
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.texmath import texmath_plugin

    md = (
        MarkdownIt("commonmark", {"html": True})
        .enable(["table", "strikethrough"])
        .use(texmath_plugin, delimiters="brackets")
        .use(dollarmath_plugin, allow_space=True, double_inline=True)
        # `![plot](plot.png){width=300}`: a size for an image (what Obsidian's `|300` becomes).
        .use(attrs_plugin, after=("image",), allowed=("width", "height"))
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


def _has_raw_html(tokens: Sequence[Token]) -> bool:
    return any(
        token.type == "html_block"
        or any(child.type == "html_inline" for child in token.children or ())
        for token in tokens
    )


# --- notes ------------------------------------------------------------------------------


@dataclass
class _Context:
    """What rendering one note's Markdown needs to know and collects."""

    note: SourceNote
    root: Path
    media: dict[str, MediaFile]
    diagnostics: list[Diagnostic]

    def report(self, line: int, message: str, severity: Severity = "error") -> None:
        self.diagnostics.append(Diagnostic(self.note.display, line, severity, message))


def _too_deep(tokens: Sequence[Token], limit: int) -> Token | None:
    """The container markdown-it left empty because nesting reached its limit, if any.

    Past `maxNesting` levels (a quote is one, a list item two) markdown-it drops the rest
    of the block without a word; what is left is an empty innermost container.
    """
    for opening, following in pairwise(tokens):
        if opening.nesting == 1 and opening.level >= limit - 1 and following.nesting == -1:
            return opening
    return None


def _as_link(image: Token, src: str) -> None:
    """A remote image of a vault card, as a link to it: the card loads nothing by itself."""
    label = image.content or src
    image.type, image.children = "html_inline", None
    image.content = f'<a href="{escape(src)}">Image (online): {escape(label, quote=False)}</a>'


def _package_images(tokens: Sequence[Token], first_line: int, ctx: _Context) -> None:
    """Point every image at its packaged copy, or say why it cannot be packaged."""
    base: Path | None = None
    for image, line in images_in(tokens):
        src = str(image.attrGet("src") or "")
        if ctx.note.origin == VAULT and is_web_address(src):
            _as_link(image, src)
            message = (
                f"remote image {src[:80]!r} is shown as a link to it: cards load nothing from "
                "the network; save the image in the vault to show it on the card"
            )
            ctx.report(first_line + line, message, "warning")
            continue
        base = base or ctx.note.path.parent.resolve()  # only for notes with images: a syscall
        media = resolve_image(src, base, ctx.root)
        if isinstance(media, str):
            ctx.report(first_line + line, media)
            continue
        ctx.media[media.name] = media
        image.attrSet("src", media.name)


_SRC = re.compile(r"(<im(?:g|age)\b[^>]*?\ssrc\s*=\s*)(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE)


def _raw_image(src: str, line: int, ctx: _Context, base: Path) -> str | None:
    """The packaged name of a raw-HTML image's file, or None (with an error, or a warning
    for a vault's remote image, which becomes a link)."""
    if ctx.note.origin == VAULT and is_web_address(src):
        message = f"remote image {src[:80]!r} in raw HTML is left out: cards load nothing from "
        ctx.report(line, message + "the network; save it in the vault to show it", "warning")
        return None
    media = resolve_image(src, base, ctx.root)
    if isinstance(media, str):
        ctx.report(line, f"raw HTML {media}")
        return None
    ctx.media[media.name] = media
    return media.name


def _package_raw_images(tokens: Sequence[Token], first_line: int, ctx: _Context) -> None:
    """`<img src>` written as raw HTML is packaged like a Markdown image, or said why not."""
    line = 0
    for token in tokens:
        line = token.map[0] if token.map is not None else line
        raw = [token] if token.type == "html_block" else [
            child for child in token.children or () if child.type == "html_inline"
        ]  # fmt: skip
        for html in raw:
            if "<im" not in html.content.lower():  # `<image>` is read as `<img>` too
                continue
            base = ctx.note.path.parent.resolve()
            names = {}
            for src in dict.fromkeys(shown_image_sources(html.content)):  # each once
                names[src] = _raw_image(src, first_line + line, ctx, base)
            html.content = _SRC.sub(partial(_rename, names), html.content)


def _rename(names: dict[str, str | None], found: re.Match[str]) -> str:
    name = names.get(unescape(found.group(2).strip("\"'")))
    return f'{found.group(1)}"{name}"' if name else found.group(0)


def _line_of(command: str, source: str, first_line: int) -> int:
    """The line where `command` is written in the source; else the first (it was put together
    from pieces: a cloze, a character reference, `<wbr>`)."""
    tail = r"(?![A-Za-z])" if command[1:2].isalpha() else ""
    found = re.search(re.escape(command) + tail, source)
    return first_line + source.count("\n", 0, found.start()) if found else first_line


def _check_math(html: str, source: str, first_line: int, ctx: _Context) -> None:
    """Report every command Anki's MathJax would find in `html` that it may not be given.

    A cloze text is checked as each of its cards shows it: inside math Anki writes a cloze
    bare, so `\\hr{{c1::ef}}` is `\\href` on every card but the first.
    """
    shown = [html, *cloze.views(html)] if cloze.has_sentinels(html) else [html]
    reported = set()
    for view in shown:
        for formula in typeset.formulas(view):
            for problem in tex.problems(formula):
                if problem.message not in reported:
                    reported.add(problem.message)
                    ctx.report(_line_of(problem.command, source, first_line), problem.message)


def _html(tokens: list[Token], ctx: _Context, source: str, first_line: int) -> str:
    # Code skips the sanitiser only where nothing can reach inside it: with raw HTML, an open
    # tag or attribute could surround a slot; with the slot character in the note's own text
    # (a link title can hold it), a slot could be forged. Such notes are sanitised whole.
    md = markdown()
    env: dict[str, list[str]] = {} if _has_raw_html(tokens) else {"code": []}
    html = md.renderer.render(tokens, md.options, env)
    if env and html.count(_SLOT) != 2 * len(env["code"]):
        env = {}
        html = md.renderer.render(tokens, md.options, env)
    html = sanitise(html, frozenset(ctx.media))
    # Before code goes back in: MathJax reads nothing inside <pre>, and code is most of what
    # has backslashes in it.
    _check_math(html, source, first_line, ctx)
    if env:
        html = _SLOT_PATTERN.sub(lambda slot: env["code"][int(slot.group(1))], html)
    return inert(html).strip()


def _tokens(markdown_text: str, first_line: int, ctx: _Context) -> list[Token]:
    md = markdown()
    tokens = md.parse(markdown_text)
    deepest = _too_deep(tokens, md.options["maxNesting"])
    if deepest is not None:
        line = first_line + (deepest.map[0] if deepest.map else 0)
        message = "quotes or lists nested too deeply; what is inside the deepest ones is not shown"
        ctx.report(line, message, "warning")
    _package_images(tokens, first_line, ctx)
    _package_raw_images(tokens, first_line, ctx)
    return tokens


def _render_block(markdown_text: str, first_line: int, ctx: _Context) -> str:
    if not markdown_text:
        return ""
    return _html(_tokens(markdown_text, first_line, ctx), ctx, markdown_text, first_line)


def _render_cloze_text(markdown_text: str, first_line: int, ctx: _Context) -> str:
    """The text of a cloze note, its markers where Anki can hide them (see cloze.py)."""
    if cloze.has_sentinels(markdown_text):
        ctx.report(first_line, cloze.FORGED)
        return ""
    encoded, problems = cloze.encode(markdown_text, first_line)
    for problem in problems:
        ctx.report(problem.line, problem.message)
    html = _render_block(encoded.text, first_line, ctx)
    written = cloze.decode(html, encoded.markers)
    if isinstance(written, cloze.ClozeProblem):
        ctx.report(written.line, written.message)
        return ""
    return written


def _typed_answer_problem(tokens: Sequence[Token]) -> str | None:
    """Why an answer cannot be typed into Anki's box, or None when it can."""
    kinds = [token.type for token in tokens]
    if kinds != ["paragraph_open", "inline", "paragraph_close"]:
        if {"fence", "code_block"} & set(kinds):
            return "code"
        if any(kind.startswith("math_block") for kind in kinds):
            return "math"
        if {"bullet_list_open", "ordered_list_open"} & set(kinds):
            return "a list"
        return "several lines or blocks"
    for child in tokens[1].children or ():
        if child.type in ("softbreak", "hardbreak"):
            return "several lines"
        if child.type == "image":
            return "an image"
        if child.type.startswith("math"):
            return "math"
        if child.type not in _TYPEABLE:
            return "a link" if child.type.startswith("link") else "raw HTML"
    return None


def _render_typed_answer(ctx: _Context) -> str:
    note = ctx.note
    tokens = _tokens(note.answer, note.answer_line, ctx)
    problem = _typed_answer_problem(tokens)
    if problem is not None:
        ctx.report(
            note.answer_line,
            f"a type-in answer must be one short line of text, and this one has {problem}; "
            "shorten it or remove .type",
        )
        return ""
    # One line, written without its paragraph: Anki compares what is typed with its text.
    html = _html(tokens, ctx, note.answer, note.answer_line)
    html = html.removeprefix("<p>").removesuffix("</p>")
    length = len(unescape(re.sub(r"<[^>]*>", "", html)).strip())
    if length > TYPED_ANSWER_LIMIT:
        message = f"type-in answer is {length} characters long (over {TYPED_ANSWER_LIMIT})"
        ctx.report(note.answer_line, f"{message}; few people would type it", "warning")
    return html


def _render_question(ctx: _Context) -> str:
    tokens = markdown().parseInline(ctx.note.question)
    if any(child.type == "image" for token in tokens for child in token.children or ()):
        # Only body images are packaged; one in the heading would silently lose its source.
        message = "image in a question heading; put it in the question detail below the heading"
        ctx.report(ctx.note.line, message)
    if KINDS[ctx.note.kind].is_cloze and CLOZE_MARKER.search(ctx.note.question):
        message = "cloze markers in a cloze note's heading stay literal text; move them below"
        ctx.report(ctx.note.line, message, "warning")
    html = inert(sanitise(markdown().renderer.render(tokens, markdown().options, {})))
    _check_math(html, ctx.note.question, ctx.note.line, ctx)
    return html


def _is_blank(html: str) -> bool:
    """No text and no image: what a card shows of this HTML is nothing."""
    return "<img" not in html and not unescape(re.sub(r"<[^>]*>", "", html)).strip()


def _emptied(ctx: _Context, question: str, front: str, back: str) -> None:
    # Source that had text but renders to nothing was all unsafe HTML: an empty card side.
    if ctx.diagnostics:  # a located reason (an image, nesting too deep) was given already
        return
    note = ctx.note
    cloze_note = KINDS[note.kind].is_cloze
    sides = (
        (note.question, question, note.line, "title" if cloze_note else "question"),
        (note.detail, front, note.detail_line, "text") if cloze_note else None,
        (note.answer, back, note.answer_line, "answer") if not cloze_note else None,
    )
    for side in sides:
        if side is not None and side[0].strip() and _is_blank(side[1]):
            ctx.report(side[2], f"{side[3]} is empty once unsafe HTML is removed", "warning")


def render_note(note: SourceNote, content_root: Path, *, resolved: bool = False) -> RenderResult:
    """Card HTML for one note, or the located reasons it cannot be rendered.

    `resolved=True` says `content_root` is resolved already: a build renders thousands of
    notes against one folder, and resolving it is a system call per path part.
    """
    root = content_root if resolved else content_root.resolve()
    ctx = _Context(note=note, root=root, media={}, diagnostics=[])
    question = _render_question(ctx)
    if KINDS[note.kind].is_cloze:
        detail = _render_cloze_text(note.detail, note.detail_line, ctx)
    else:
        detail = _render_block(note.detail, note.detail_line, ctx)
    if TYPE_IN in note.options:
        answer = _render_typed_answer(ctx)
    else:
        answer = _render_block(note.answer, note.answer_line, ctx)
    _emptied(ctx, question, detail, answer)
    if any(d.severity == "error" for d in ctx.diagnostics):
        return RenderResult(None, tuple(ctx.diagnostics))
    media = tuple(sorted(ctx.media.values(), key=lambda m: m.name))
    rendered = RenderedNote(note, question, detail, answer, media)
    return RenderResult(rendered, tuple(ctx.diagnostics))
