r"""What a formula may say to Anki's MathJax: the commands allowed, and why others are refused.

Anki's MathJax (3.2.2 in Anki 26.9.3, set up by aqt's `js/mathjax.js` with nearly every TeX
extension loaded) typesets whatever stands between `\(` and `\)` or `\[` and `\]` in a card.
Some of its commands write into the card's page rather than into the formula: `\href` makes a
live link (`javascript:` included), `\style`, `\bbox[...]`, `\fcolorbox` and `\unicode[font]`
write inline styles, `\class` and `\cssId` give elements the card's own classes and ids,
`\mmlToken` does all of these, `\ref` and `\eqref` make links, `\require` loads more
extensions. Others give commands new meanings: after `\let\x\href` or
`\renewcommand{\alpha}{\href}`, an allowed name is a live link; so do `\def`, `\newcommand`,
`\newenvironment`, `\DeclareMathOperator`, the mathtools and extpfeil `\Declare...`/`\New...`
commands; mhchem's `\ce` reads its argument with a grammar of its own and writes TeX from it.

**An allowlist.** A formula may use only the commands and environments that Anki's MathJax
defines (`mathjax.json`, read out of Anki's own MathJax by `tests/test_mathjax_browser.py`,
which also shows that every one of them, given hostile arguments, leaves no link, style, class
or id in the page) less those in `REFUSED`. A command it does not define is refused as well: a
newer Anki may ship a MathJax with new commands (MathJax 4 has `\htmlStyle`), and only a
command checked against this one may pass. There is no `\csname` to build names with.

**Refused, not dropped.** A formula with such a command is an error at its line, and the build
stops, as for other content that cannot be made safe without changing what it says. Dropping
the command would mean rewriting TeX exactly as MathJax parses it (optional arguments,
unbraced arguments, what each command takes); wherever such a rewrite and MathJax disagree is
a way through. Refusing only needs the commands found, and finding can err on the safe side.
A card whose formula silently lost part of itself would also no longer say what its author
wrote, and a warning scrolls past unread in a build of many cards.

**How commands are read**: as MathJax's `GetCS` reads them. A backslash and ASCII letters is a
control word, ending at the first other character, so nothing written after the name changes
which command it is (`\href {x}`, `\href[x]`, `\href%` + newline, `\hrefé`); a backslash and
any other single character is a control symbol (`\,` `\\` `\{`). Case matters (`\Href` is
not `\href`). The whole formula is read: `\text{...}` (whose `$...$` MathJax typesets),
`\verb|...|` and `%` comments included, which is more than MathJax reads and never less.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_LINK = "Anki's MathJax makes it a live link, javascript: included; put links outside math"
_STYLE = "Anki's MathJax writes its argument into the card as an inline style"
_ATTRIBUTE = "Anki's MathJax gives the note's text to the card as a class, id or attribute"
_DEFINES = (
    "it gives a command a new meaning, so an allowed name could stand for a refused one; "
    "write the formula out in full"
)
# Every command Anki's MathJax defines that may not reach it, and why. The MathJax 4 names
# are not in Anki 26.9.3's MathJax (so they are refused as unknown anyway); they are listed
# so that a newer `mathjax.json` cannot let them through.
REFUSED: dict[str, str] = {
    "href": _LINK,
    "ref": _LINK,
    "eqref": _LINK,
    "refeq": _LINK,
    "label": "it names an equation for \\ref and \\eqref, which make links",
    "tag": "Anki's MathJax makes its text an id in the card; write the number: `\\qquad (1)`",
    "style": _STYLE,
    "bbox": f"{_STYLE} (options with a `:`); use \\colorbox or \\boxed",
    "fcolorbox": f"{_STYLE} (its frame colour); use \\boxed or \\colorbox",
    "unicode": f"{_STYLE} (its font option), and it writes any character",
    "class": _ATTRIBUTE,
    "cssId": _ATTRIBUTE,
    "mmlToken": f"{_ATTRIBUTE} (links and styles too)",
    "htmlData": _ATTRIBUTE,
    "htmlClass": _ATTRIBUTE,
    "htmlId": _ATTRIBUTE,
    "htmlStyle": _STYLE,
    "require": "it loads further MathJax extensions into the card",
    "setOptions": "it changes how MathJax reads the rest of the card",
    "mathtoolsset": "it changes how MathJax reads the rest of the card",
    "ce": "mhchem reads its argument with its own grammar and writes TeX from it",
    "pu": "mhchem reads its argument with its own grammar and writes TeX from it",
    **dict.fromkeys(
        (
            "def", "let", "newcommand", "renewcommand", "newenvironment", "renewenvironment",
            "DeclareMathOperator", "Newextarrow", "DeclarePairedDelimiter",
            "DeclarePairedDelimiterX", "DeclarePairedDelimiterXPP", "DeclarePairedDelimiters",
            "DeclarePairedDelimitersX", "DeclarePairedDelimitersXPP", "newtagform",
            "renewtagform", "usetagform",
        ),
        _DEFINES,
    ),
}  # fmt: skip

_CONTROL = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
_ENVIRONMENT_NAME = re.compile(r"\s*\{([^{}]*)\}")
_SHOWN = 60  # characters of an unknown name quoted in a message


@dataclass(frozen=True, slots=True)
class TexProblem:
    offset: int  # in the formula: where the command starts
    command: str  # as written: `\href`, `\begin{foo}`
    message: str


@dataclass(frozen=True, slots=True)
class MathJaxCommands:
    """What Anki's MathJax defines: control sequence names (without `\\`), environments."""

    macros: frozenset[str]
    environments: frozenset[str]


@cache
def mathjax_commands() -> MathJaxCommands:
    data = json.loads(resources.files(__package__).joinpath("mathjax.json").read_text("utf-8"))
    return MathJaxCommands(frozenset(data["macros"]), frozenset(data["environments"]))


@cache
def allowed() -> frozenset[str]:
    return mathjax_commands().macros - REFUSED.keys()


def problems(tex: str) -> list[TexProblem]:
    """Every command in `tex` that may not reach Anki's MathJax, in order."""
    found = []
    for control in _CONTROL.finditer(tex):
        name = control.group(1)
        problem = _command_problem(name, control.start())
        if problem is None and name in ("begin", "end"):
            problem = _environment_problem(tex, control)
        if problem is not None:
            found.append(problem)
    return found


def _command_problem(name: str, offset: int) -> TexProblem | None:
    if name in allowed():
        return None
    command = "\\" + name[:_SHOWN]
    reason = REFUSED.get(name)
    if reason is not None:
        return TexProblem(offset, command, f"`{command}` is not allowed in math: {reason}")
    message = (
        f"`{command}` is not a command of Anki's MathJax, and math may use only the commands "
        "this build has checked are safe"
    )
    return TexProblem(offset, command, message)


def _environment_problem(tex: str, control: re.Match[str]) -> TexProblem | None:
    command = control.group(0)
    braced = _ENVIRONMENT_NAME.match(tex, control.end())
    if braced is None:
        message = f"`{command}` takes its environment's name in braces: `{command}{{aligned}}`"
        return TexProblem(control.start(), command, message)
    name = braced.group(1).strip()
    if name in mathjax_commands().environments:
        return None
    written = f"{command}{{{name[:_SHOWN]}}}"
    message = f"`{written}` names no environment of Anki's MathJax"
    return TexProblem(control.start(), written, message)
