"""Math through Anki's real MathJax: cards built, imported into Anki, shown by Anki's reviewer.

The allowlist (`deckbuilder/mathjax.json`) is read out of this MathJax, every allowed command is
typeset with hostile arguments and leaves nothing live, harmless math typesets, text that only
looks like math stays text, and every attack of the corpus, built with the check turned off,
does put a live link, style, class or id into the card (so the checks here can fail).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from deckbuilder import render, tex

from .anki_cards import PreviewCard, read_cards
from .anki_mathjax import MATHJAX_CLASS, dom_problems, show
from .conftest import ROOT, build, write
from .test_tex import ATTACK_NOTES, ATTACKS, LOOK_ALIKES, SAFE_NOTES

pytestmark = pytest.mark.browser

if TYPE_CHECKING:
    from playwright.sync_api import Page

MATHJAX_JSON = ROOT / "deckbuilder" / "mathjax.json"

# Every control sequence and environment of the TeX input jax as Anki configured it.
DEFINED_JS = """
() => {
  const MapHandler = MathJax._.input.tex.MapHandler.MapHandler;
  const DelimiterMap = MathJax._.input.tex.SymbolMap.DelimiterMap;
  const handlers = MathJax.startup.document.inputJax[0].parseOptions.handlers;
  const names = (kind) => {
    const found = new Set();
    for (const {item} of handlers.get(kind)._configuration) {
      const map = MapHandler.getMap(item.name);
      if (!map || !map.map) continue;
      for (const name of map.map.keys()) {
        // A delimiter map is looked up with its backslash (its entry for the command
        // `langle` is written with one); its `(` is the character after `left`, no command.
        if (!(map instanceof DelimiterMap)) found.add(name);
        else if (name.startsWith(String.fromCharCode(92))) found.add(name.slice(1));
      }
    }
    return [...found];
  };
  return {version: MathJax.version, macros: names('macro'), environments: names('environment')};
}
"""
# Each formula typeset alone (MathJax's tex2chtml and tex2mml, the page's own MathJax, without
# the page's menus and assistive MathML, which are slow): what in its output could act on the
# page. Returns [formula, findings] for those with any.
PROBE_JS = """
([formulas, mathjaxClass]) => {
  const own = new RegExp(mathjaxClass);
  const MATHJAX_ID = 'mjx-eqn:';  // \\notag's: an equation with no label, nothing of the note's
  const out = [];
  for (const formula of formulas) {
    let node, mml = '';
    try { node = MathJax.tex2chtml(formula, {display: true}); mml = MathJax.tex2mml(formula); }
    catch (error) { continue; }
    const found = [];
    for (const e of [node, ...node.querySelectorAll('*')]) {
      if (e.hasAttribute('href')) found.push('href=' + e.getAttribute('href'));
      if (/fixed|javascript|pwned/i.test(e.getAttribute('style') || ''))
        found.push('style=' + e.getAttribute('style'));
      for (const name of e.classList) if (!own.test(name)) found.push('class=' + name);
      if (e.id && e.id !== MATHJAX_ID) found.push('id=' + e.id);
    }
    // The MathML behind it, which the page's assistive MathML is made from. (Its ids, such
    // as \\tag's `mjx-eqn:1`, stay inside MathJax: the card tests check the page has none.)
    for (const m of mml.matchAll(/ (href|class|style)="([^"]*)"/g)) {
      const [, name, value] = m;
      if (name === 'href' || (name === 'class' && !own.test(value)) || /fixed|javascript|pwned/i.test(value))
        found.push('mml ' + m[0].trim());
    }
    if (found.length) out.push([formula, found]);
  }
  return out;
}
"""
PAYLOADS = ("javascript:alert(1)", "pwned", "position:fixed;top:0")
# Arguments the generic shapes do not reach.
SPECIFIC = {
    "mmlToken": [r"\mmlToken{mi}[href=javascript:alert(1),class=pwned]{x}"],
    "unicode": [r"\unicode[serif;position:fixed]{65}"],
    "fcolorbox": [r"\fcolorbox{red;position:fixed}{white}{x}"],
}
SHAPES = ("{P}{P}{P}{x}", "[P]{P}{P}{x}", "[style=P,href=P,class=P,id=P]{P}{P}{x}", "{x}[P]{P}{x}")


def _probes(name: str) -> list[str]:
    return [f"\\{name}" + shape.replace("P", payload) for shape in SHAPES for payload in PAYLOADS]


def _typeset_once(page: Page) -> None:
    show(page, r"\(x\)")  # reviewer.js loads MathJax with the first card that has math


def test_the_allowlist_is_what_ankis_mathjax_defines(reviewer: Page, update_fixtures: bool) -> None:
    _typeset_once(reviewer)
    defined = reviewer.evaluate(DEFINED_JS)
    macros = sorted(defined["macros"])
    expected = {
        "mathjax": defined["version"],
        "anki": "26.9.3",
        "macros": macros,
        "environments": sorted(defined["environments"]),
    }
    if update_fixtures:
        MATHJAX_JSON.write_text(json.dumps(expected, indent=0) + "\n", encoding="utf-8")
    assert json.loads(MATHJAX_JSON.read_text(encoding="utf-8")) == expected


def test_no_allowed_command_leaves_anything_live_whatever_its_arguments(reviewer: Page) -> None:
    _typeset_once(reviewer)
    formulas = [probe for name in sorted(tex.allowed()) for probe in _probes(name)]
    environments = [
        f"\\begin{{{env}}}{shape.replace('P', payload)} a & b \\\\ c & d \\end{{{env}}}"
        for env in sorted(tex.mathjax_commands().environments)
        for shape in SHAPES[:3]
        for payload in PAYLOADS
    ]
    live = reviewer.evaluate(PROBE_JS, [formulas + environments, MATHJAX_CLASS])
    assert live == []


@pytest.mark.parametrize(
    "name", ["href", "style", "class", "cssId", "bbox", "fcolorbox", "unicode", "mmlToken", "eqref"]
)
def test_the_probe_finds_what_a_refused_command_leaves(reviewer: Page, name: str) -> None:
    # The positive control of the test above: the same probe catches the refused commands.
    _typeset_once(reviewer)
    probes = [*_probes(name), *SPECIFIC.get(name, ())]
    live = reviewer.evaluate(PROBE_JS, [probes, MATHJAX_CLASS])
    assert any(formula.startswith(f"\\{name}") for formula, _ in live)


def _build(folder: Path, notes: dict[str, str]) -> int:
    for number, (name, text) in enumerate(notes.items()):
        # Every note asks `Q?`: a key of its own keeps them apart.
        write(folder / "content" / f"{name}.md", text.replace("## Q?", f"## Q? {{#q{number}}}"))
    write(folder / "pyproject.toml", "[tool.build-deck]\n")
    return build(
        *("--content", str(folder / "content"), "--templates", str(ROOT / "templates")),
        *("--config", str(folder / "pyproject.toml"), "--out", str(folder / "dist")),
        "--no-preview", "--no-cache",
    )  # fmt: skip


def _built(folder: Path, notes: dict[str, str]) -> list[PreviewCard]:
    assert _build(folder, notes) == 0
    (package,) = (folder / "dist").glob("*.apkg")
    return read_cards(package)


def _file(card: PreviewCard) -> str:
    # The Source field as text; the preview's text puts a space where the field has an element
    # (the one that keeps `\\(` in a file name from opening math).
    return card.source.rsplit(":", 1)[0].removesuffix(".md").replace("\\ ", "\\")


def test_safe_math_typesets_and_look_alikes_stay_text(reviewer: Page, tmp_path: Path) -> None:
    cards = _built(tmp_path, {**SAFE_NOTES, **LOOK_ALIKES})
    assert {_file(card) for card in cards} == {*SAFE_NOTES, *LOOK_ALIKES}
    for card in cards:
        name = _file(card)
        back = show(reviewer, card.answer_html)
        assert back["errors"] == [], (name, back)
        assert dom_problems(reviewer) == [], name
        if name in LOOK_ALIKES:  # shown as the text it is
            assert "javascript:alert(1)" in back["text"], name
        else:
            assert back["formulas"] >= 1, name
        show(reviewer, card.question_html)
        assert dom_problems(reviewer) == [], name


def test_every_attack_is_live_without_the_check_and_refused_with_it(
    reviewer: Page,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Without the check, each attack really reaches Anki's MathJax and does what it says, in
    # this page, as this DOM check sees it: the checks that find nothing above can fail.
    with monkeypatch.context() as patched:
        patched.setattr(render, "_check_math", lambda *args: None)
        cards = _built(tmp_path / "unchecked", ATTACK_NOTES)
    live: dict[str, list[str]] = {}
    for card in cards:
        for html in (card.question_html, card.answer_html):
            show(reviewer, html)
            live.setdefault(card.source.split(":")[0], []).extend(dom_problems(reviewer))
    quiet = [name for name in ATTACK_NOTES if not live.get(f"{name}.md")]
    assert quiet == [], "attacks that did nothing in Anki's MathJax"
    # With it, every one of them is an error at its line, and nothing is written.
    capsys.readouterr()
    assert _build(tmp_path / "checked", ATTACK_NOTES) == 1
    errors = capsys.readouterr().err
    for name, (_, line) in ATTACKS.items():
        assert f"{name}.md:{line}: error: `\\" in errors, name
    assert not list((tmp_path / "checked" / "dist").glob("*.apkg"))
