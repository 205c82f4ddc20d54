"""Code blocks to highlighted HTML (Pygments, CSS classes), cloze markers included."""

from __future__ import annotations

import io
from collections.abc import Iterator
from functools import cache
from html import escape

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import Token, _TokenType
from pygments.util import ClassNotFound

from .cloze import CLOSE, HINT, OPEN, OPEN_END, has_sentinels

NO_RUN = "no-run"
_Tokens = list[tuple[_TokenType, str]]


@cache
def _formatter() -> HtmlFormatter[str]:
    return HtmlFormatter(nowrap=True)


@cache
def lexer_for(language: str) -> Lexer | None:
    try:
        return get_lexer_by_name(language.lower())
    except ClassNotFound:
        return None


def highlight_code(code: str, info: str) -> str:
    """Exactly one `<pre>`: Pygments spans (CSS classes), or escaped text for unknown languages.

    Cloze sentinels in `code` (see cloze.py) are taken out before the code is read, so the
    hidden part is highlighted in its context, and put back between the spans.
    """
    words = info.split()
    language = words[0] if words else ""
    lexer = lexer_for(language) if language else None
    if has_sentinels(code):
        body = _highlight_clozed(code, lexer)
    else:
        body = highlight(code, lexer, _formatter()) if lexer else escape(code, quote=False)
    label = ""
    if NO_RUN in words[1:]:
        label = '<div class="code-label">does not run: shown for contrast</div>'
    lang_class = f' class="language-{escape(lexer.aliases[0])}"' if lexer and lexer.aliases else ""
    return f'{label}<pre class="highlight"><code{lang_class}>{body.rstrip(chr(10))}</code></pre>\n'


def _split_sentinels(code: str) -> tuple[str, list[tuple[int, str]]]:
    """The code without markers (and without hints, which are not code), and each marker as
    (position in that code, what to write there)."""
    plain: list[str] = []
    events: list[tuple[int, str]] = []
    size, index = 0, 0
    while index < len(code):
        char = code[index]
        if char == OPEN:
            end = code.index(OPEN_END, index) + 1
            events.append((size, code[index:end]))
            index = end
        elif char == HINT:
            end = _matching_close(code, index)
            events.append((size, code[index:end]))  # the hint, up to its closing sentinel
            index = end
        elif char == CLOSE:
            events.append((size, CLOSE))
            index += 1
        else:
            plain.append(char)
            size += 1
            index += 1
    return "".join(plain), events


def _matching_close(code: str, index: int) -> int:
    depth = 0
    for position in range(index + 1, len(code)):
        if code[position] == OPEN:
            depth += 1
        elif code[position] == CLOSE:
            if depth == 0:
                return position
            depth -= 1
    return len(code)


def _tokens(text: str, lexer: Lexer | None) -> _Tokens:
    if lexer is None:
        return [(Token.Text, text)]
    tokens = list(lexer.get_tokens(text))
    # Every character must come back as it went in, or positions would not line up.
    if "".join(value for _, value in tokens).rstrip("\n") != text.rstrip("\n"):
        return [(Token.Text, text)]
    return tokens


def _interleave(tokens: _Tokens, events: list[tuple[int, str]]) -> Iterator[tuple[_TokenType, str]]:
    """The tokens with each marker between them, splitting a token where a marker falls."""
    pending = iter(events)
    event = next(pending, None)
    position = 0
    for kind, value in tokens:
        start = 0
        while event is not None and event[0] <= position + len(value):
            cut = event[0] - position
            if cut > start:
                yield kind, value[start:cut]
            start = max(start, cut)
            yield Token.Text, event[1]  # unstyled: it stays outside every span
            event = next(pending, None)
        if start < len(value):
            yield kind, value[start:]
        position += len(value)
    for _, rest in ([event] if event else []) + list(pending):
        yield Token.Text, rest


def _highlight_clozed(code: str, lexer: Lexer | None) -> str:
    plain, events = _split_sentinels(code)
    # The lexer strips leading and trailing newlines: do it first, so positions still match.
    text = plain.strip("\n")
    lead = len(plain) - len(plain.lstrip("\n"))
    events = [(min(max(at - lead, 0), len(text)), what) for at, what in events]
    tokens = _tokens(text, lexer)
    if lexer is None:
        parts = []
        last = 0
        for at, what in events:
            parts.append(escape(text[last:at], quote=False) + _escape_event(what))
            last = at
        return "".join(parts) + escape(text[last:], quote=False)
    out = io.StringIO()
    _formatter().format(_interleave(tokens, events), out)
    return out.getvalue()


def _escape_event(what: str) -> str:
    return escape(what, quote=False) if what.startswith(HINT) else what


def code_css(light_style: str, night_style: str) -> str:
    """Pygments rules for both modes; night colours apply only under Anki's night classes."""
    light = HtmlFormatter(style=light_style).get_style_defs(".highlight")  # type: ignore[no-untyped-call]
    night = HtmlFormatter(style=night_style).get_style_defs(  # type: ignore[no-untyped-call]
        [".nightMode .highlight", ".night_mode .highlight"]
    )
    return f"/* code: {light_style} (light), {night_style} (night) */\n{light}\n{night}\n"
