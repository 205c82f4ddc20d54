r"""Math that may reach Anki's MathJax: the allowlist over an attack corpus, where Anki finds math
in card HTML, located errors, and clozes inside math still working.

The same notes are built, imported into Anki and shown in Anki's own MathJax by
tests/test_mathjax_browser.py, which also shows that each attack here is live without the check.
"""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest

from deckbuilder import tex, typeset
from deckbuilder.discover import SourceFile
from deckbuilder.parse import parse_file
from deckbuilder.render import render_note
from deckbuilder.sanitise import plain_field

from .anki_cards import read_cards
from .conftest import build, write

JS = "javascript:alert(1)"
# Notes that put something live into the card through Anki's MathJax: name -> (file, line).
ATTACKS = {
    "href_dollar": (f"## Q?\n\n$\\href{{{JS}}}{{click}}$\n", 3),
    "href_spaced": (f"## Q?\n\n\\( \\href {{{JS}}} {{click}} \\)\n", 3),
    "href_comment": (f"## Q?\n\n$$\n\\href%\n{{{JS}}}{{click}}\n$$\n", 4),
    "style": ("## Q?\n\n\\(\\style{position:fixed;inset:0;background:red}{x}\\)\n", 3),
    "class": ("## Q?\n\n\\[\\class{q-wrap card}{x}\\]\n", 3),
    "css_id": ("## Q?\n\n\\(\\cssId{pwned}{x}\\)\n", 3),
    "bbox": ("## Q?\n\n\\(\\bbox[position:fixed;inset:0;background:red]{x}\\)\n", 3),
    "unicode": ("## Q?\n\n\\(\\unicode[serif;position:fixed]{65}\\)\n", 3),
    "fcolorbox": ("## Q?\n\n\\(\\fcolorbox{red;position:fixed;inset:0}{white}{x}\\)\n", 3),
    "mml_token": (f"## Q?\n\n\\(\\mmlToken{{mi}}[href={JS},class=card,id=pwned]{{x}}\\)\n", 3),
    "let": (f"## Q?\n\n\\(\\let\\x\\href \\x{{{JS}}}{{click}}\\)\n", 3),
    "def": (f"## Q?\n\n\\(\\def\\x{{\\href}}\\x{{{JS}}}{{click}}\\)\n", 3),
    "newcommand": (f"## Q?\n\n\\(\\newcommand{{\\x}}{{\\href}}\\x{{{JS}}}{{click}}\\)\n", 3),
    "renewcommand": (
        f"## Q?\n\n\\(\\renewcommand{{\\alpha}}{{\\href}}\\alpha{{{JS}}}{{c}}\\)\n",
        3,
    ),
    "text_math": (f"## Q?\n\n\\(\\text{{see $\\href{{{JS}}}{{here}}$}}\\)\n", 3),
    "eqref": ("## Q?\n\n\\(x \\eqref{x}\\)\n", 3),
    "tag": ("## Q?\n\n\\[\\begin{align} a &= b \\tag{pwned} \\end{align}\\]\n", 3),
    "prose": (f"## Q?\n\nText \\\\(\\href{{{JS}}}{{click}}\\\\) here.\n", 3),
    "prose_wbr": (f"## Q?\n\nText \\\\(\\hr<wbr>ef{{{JS}}}{{click}}\\\\) here.\n", 3),
    "entity": (f"## Q?\n\nText &#92;(\\href{{{JS}}}{{click}}&#92;) here.\n", 3),
    "raw_html": (f"## Q?\n\n<div>\\(\\href{{{JS}}}{{click}}\\)</div>\n", 3),
    "table": (f"## Q?\n\n| a |\n|---|\n| \\\\(\\href{{{JS}}}{{click}}\\\\) |\n", 5),
    "link_text": (f"## Q?\n\n[\\\\(\\href{{{JS}}}{{click}}\\\\)](https://example.org/)\n", 3),
    "heading": (f"## What is \\(\\href{{{JS}}}{{click}}\\)?\n\nAn answer.\n", 1),
    "cloze_join": (
        f"## Join {{.cloze}}\n\n{{{{c1::x}}}} \\(\\hr{{{{c2::ef}}}}{{{JS}}}{{c}}\\)\n",
        3,
    ),
    "cloze_hint": (f"## Hint {{.cloze}}\n\n\\( {{{{c1::x::\\href{{{JS}}}{{click}}}}}} \\)\n", 3),
}
ATTACK_NOTES = {name: text for name, (text, _) in ATTACKS.items()}
# Notes that build, whose math typesets in Anki's MathJax with nothing live in the card.
SAFE_NOTES = {
    "fractions": "## Q?\n\n$\\frac{a}{b}$, \\(x^2\\) and $\\mathbf{x}$.\n",
    "aligned": "## Q?\n\n$$\n\\begin{aligned} a &= b + c \\\\ d &= e \\end{aligned}\n$$\n",
    "text_colour": (
        "## Q?\n\n\\(\\text{if } x > 0\\), \\(\\color{red}{x} + \\colorbox{yellow}{y} + "
        "\\boxed{z}\\) and \\[\\sum_{i=1}^n i = \\frac{n(n+1)}{2}\\]\n"
    ),
    "operators": "## Q?\n\n\\(\\operatorname{softmax}(x)_i = \\frac{e^{x_i}}{\\sum_j e^{x_j}}\\)\n",
    "cloze_math": "## Fractions {.cloze}\n\nA \\( {{c1::\\frac{a}{b}}} \\) and ${{c2::x^2}}$.\n",
    "new_line": f"## Q?\n\nA double backslash is a new line: \\(a \\\\href{{{JS}}}{{x}}\\)\n",
    # The file name is the card's Source field, which Anki would typeset too.
    f"\\(\\href{{{JS}}}{{x}}\\)": "## Q?\n\n$x$\n",
}
# Notes whose TeX-looking text is no math to Anki: it must build and show as text.
LOOK_ALIKES = {
    "in_code": (
        f"## Q?\n\nInline `\\(\\href{{{JS}}}{{x}}\\)` and in a block:\n\n"
        f"```latex\n\\(\\href{{{JS}}}{{x}}\\)\n```\n"
    ),
    "dollars": f"## Q?\n\nNo dollars in Anki: \\$\\href{{{JS}}}{{x}}\\$, \\$\\$\\href{{{JS}}}{{x}}\\$\\$.\n",
}


def _render(text: str, tmp_path: Path) -> list[tuple[int | None, str]]:
    """Every error of every note in `text`, as (line, message)."""
    path = tmp_path / "content" / "n.md"
    parsed = parse_file(SourceFile(path=path, display="n.md", text=text))
    assert parsed.notes, text
    found = []
    for note in parsed.notes:
        for problem in render_note(note, tmp_path / "content").diagnostics:
            if problem.severity == "error":
                found.append((problem.line, problem.message))
    return found


@pytest.mark.parametrize(("text", "line"), list(ATTACKS.values()), ids=list(ATTACKS))
def test_every_attack_note_is_refused_at_its_line(text: str, line: int, tmp_path: Path) -> None:
    errors = _render(text, tmp_path)
    assert errors, "accepted"
    assert errors[0][0] == line
    assert "math" in errors[0][1]


@pytest.mark.parametrize("text", [*SAFE_NOTES.values(), *LOOK_ALIKES.values()])
def test_safe_math_and_look_alikes_build(text: str, tmp_path: Path) -> None:
    assert _render(text, tmp_path) == []


# The filter itself: TeX as MathJax would be given it, and the command that must be refused.
REFUSED_SPELLINGS = [
    (r"\href{javascript:x}{y}", r"\href"),
    (r"\href {javascript:x} {y}", r"\href"),
    (r"\href[x]{javascript:x}{y}", r"\href"),
    ("\\href%\n{javascript:x}{y}", r"\href"),
    (r"{\href}{javascript:x}{y}", r"\href"),
    (r"\hrefé{javascript:x}{y}", r"\href"),
    (r"\text{$\href{javascript:x}{y}$}", r"\href"),
    (r"\verb|\href|", r"\href"),
    ("% \\href", r"\href"),
    (r"\style{color:red}{x}", r"\style"),
    (r"\class{card}{x}", r"\class"),
    (r"\cssId{qa}{x}", r"\cssId"),
    (r"\bbox[red]{x}", r"\bbox"),
    (r"\fcolorbox{red}{blue}{x}", r"\fcolorbox"),
    (r"\unicode{65}", r"\unicode"),
    (r"\mmlToken{mi}{x}", r"\mmlToken"),
    (r"\ref{x} \eqref{x}", r"\ref"),
    (r"\label{x}", r"\label"),
    (r"\tag{pwned}", r"\tag"),
    (r"\require{html}", r"\require"),
    (r"\ce{H2O}", r"\ce"),
    (r"\let\a=\href", r"\let"),
    (r"\def\a#1{#1}", r"\def"),
    (r"\newcommand{\a}{b}", r"\newcommand"),
    (r"\renewcommand\alpha{b}", r"\renewcommand"),
    (r"\newenvironment{e}{a}{b}", r"\newenvironment"),
    (r"\DeclareMathOperator{\op}{op}", r"\DeclareMathOperator"),
    (r"\Newextarrow{\x}{1,2}{0x2192}", r"\Newextarrow"),
    (r"\DeclarePairedDelimiter\abs{\lvert}{\rvert}", r"\DeclarePairedDelimiter"),
    (r"\mathtoolsset{showonlyrefs}", r"\mathtoolsset"),
    (r"\csname href\endcsname", r"\csname"),  # no \csname in MathJax: unknown, so refused
    (r"\htmlStyle{color:red}{x}", r"\htmlStyle"),  # MathJax 4's, should a newer Anki ship it
    (r"\HREF{x}{y}", r"\HREF"),
    (r"\begin{pwned} x \end{pwned}", r"\begin{pwned}"),
    (r"\begin aligned x \end{aligned}", r"\begin"),
]
HARMLESS = [
    r"\frac{a}{b}", r"x^2", r"\mathbf{x}", r"\text{if } x > 0", r"\color{red}{x}",
    r"\textcolor{blue}{x}", r"\colorbox{yellow}{x}", r"\boxed{x}", r"\operatorname*{argmax}_x f",
    r"\begin{aligned} a &= b \\ c &= d \end{aligned}", r"\begin {pmatrix} 1 & 0 \end{pmatrix}",
    r"\left\langle x \right\rangle", r"a \\href", r"\, \; \! \{ \} \|", r"\mathbb{R}^{n}",
    r"\cancel{x} \enclose{circle}{x}", r"\mathtip{x}{tip}", r"\verb|x|",
]  # fmt: skip


@pytest.mark.parametrize(("formula", "command"), REFUSED_SPELLINGS)
def test_the_filter_refuses_every_spelling(formula: str, command: str) -> None:
    found = tex.problems(formula)
    assert [problem.command for problem in found][:1] == [command]
    assert formula[found[0].offset :].startswith(command.split("{")[0])


@pytest.mark.parametrize("formula", HARMLESS)
def test_the_filter_passes_harmless_math(formula: str) -> None:
    assert tex.problems(formula) == []


def test_what_is_refused_is_known_to_ankis_mathjax_or_a_newer_one() -> None:
    # A stale name here would be a rule about nothing; MathJax 4's are listed on purpose.
    newer = {"htmlData", "htmlClass", "htmlId", "htmlStyle", "setOptions"}
    assert set(tex.REFUSED) - tex.mathjax_commands().macros == newer
    assert not tex.allowed() & set(tex.REFUSED)


@pytest.mark.parametrize(
    ("html", "found"),
    [
        (r"<p>a \(x\) b \[y\]</p>", ["x", "y", "x", "y"]),  # each string, then the field joined
        (r"<p><code>\(\href{j}{x}\)</code></p><pre>\[x\]</pre>", []),  # MathJax skips code
        (r"<p>\(a<wbr>b<br>c\)</p>", ["ab\nc", "ab\nc"]),
        (r"<p>&#92;(x&#92;)</p>", ["x", "x"]),
        (r"<p>$x$ $$y$$</p>", []),  # Anki's MathJax has no dollar delimiters
        (r"<p>\(a{\)}b\)</p>", ["a{\\)}b", "a{\\)}b"]),  # braces, as FindTeX counts them
        (r"<p>\(x</p>", ["x", "x"]),  # never closed: may close in a later field
        (r"<p>x\)</p>", ["x", "x"]),  # the end of one opened in an earlier field
        (r"<p>\(<b>\hr</b>ef\)</p>", ["", "ef", "\\href"]),  # and as if the tags were gone
        ("<p>no backslash</p>", []),
    ],
)
def test_what_anki_would_typeset_in_card_html(html: str, found: list[str]) -> None:
    assert list(typeset.formulas(html)) == found


def test_plain_fields_never_open_math() -> None:
    # An element after each backslash: no text node holds a delimiter (the browser test shows
    # such a Source field is not typeset).
    shown = plain_field(r"\(\href{javascript:x}{y}\) \[ \].md:3")
    assert not any(delimiter in shown for delimiter in ("\\(", "\\)", "\\[", "\\]"))
    assert shown.replace("<span></span>", "") == r"\(\href{javascript:x}{y}\) \[ \].md:3"


def test_clozes_in_math_still_hide_in_anki(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write(content / "c.md", SAFE_NOTES["cloze_math"])
    write(tmp_path / "pyproject.toml", "[tool.build-deck]\n")
    code = build(
        *("--content", str(content), "--config", str(tmp_path / "pyproject.toml")),
        *("--out", str(tmp_path / "dist"), "--no-preview", "--no-cache"),
    )  # fmt: skip
    assert code == 0
    (package,) = (tmp_path / "dist").glob("*.apkg")
    cards = {card.card: card for card in read_cards(package)}
    # As the browser reads it: inside a cloze, `}` is written `&#125;` (see cloze.py).
    front, back = unescape(cards["Cloze 1"].question_html), unescape(cards["Cloze 1"].answer_html)
    assert r"\([...]\)" in front and r"\frac{a}{b}" not in front and r"\(x^2\)" in front
    assert r"\(\frac{a}{b}\)" in back
    second = unescape(cards["Cloze 2"].question_html)
    assert r"\(x^2\)" not in second and r"\([...]\)" in second and r"\frac{a}{b}" in second
