"""The floor: what the libraries alone cost for the same notes, in one process.

`python bench/floor.py PARTS.jsonl OUT.apkg` prints JSON seconds for markdown-it-py rendering
with a Pygments highlight callback, Pygments highlighting alone, and genanki writing the
pre-rendered notes with its own `Package.write_to_file`. No parsing of our source format, no
sanitising, no ledger: a build cannot do less than markdown-it + Pygments + genanki.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import genanki  # type: ignore[import-untyped]
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

_FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)
FIELDS = ("Question", "Detail", "Answer", "Topic", "Source", "Key")  # the same six as ours


def _highlighter() -> Any:
    formatter = HtmlFormatter(nowrap=True)

    def highlight_code(code: str, language: str, attrs: str) -> str:
        return highlight(code, get_lexer_by_name(language), formatter) if language else ""

    return highlight_code


def render_all(notes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    md = MarkdownIt("commonmark", {"html": True, "highlight": _highlighter()})
    md.enable(["table", "strikethrough"])
    return [(md.renderInline(n["question"]), md.render(n["answer"])) for n in notes]


def highlight_all(notes: list[dict[str, Any]]) -> int:
    formatter, blocks = HtmlFormatter(nowrap=True), 0
    for note in notes:
        for language, code in _FENCE.findall(note["answer"]):
            highlight(code, get_lexer_by_name(language), formatter)
            blocks += 1
    return blocks


def write_package(rendered: list[tuple[str, str]], target: Path) -> None:
    model = genanki.Model(
        1607392319,
        "floor",
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "Card", "qfmt": "{{Question}}", "afmt": "{{Answer}}"}],
    )
    deck = genanki.Deck(2059400110, "floor")
    for index, (question, answer) in enumerate(rendered):
        fields = [question, "", answer, "topic", f"file.md:{index}", f"key {index}"]
        deck.add_note(genanki.Note(model=model, fields=fields, guid=f"g{index}"))
    genanki.Package(deck).write_to_file(str(target))


def main(parts: Path, target: Path) -> dict[str, float]:
    notes = [json.loads(line) for line in parts.read_text(encoding="utf-8").splitlines()]
    get_lexer_by_name("python")  # lexer lookup is a one-off import, not per-note work
    start = time.perf_counter()
    highlight_all(notes)
    pygments_alone = time.perf_counter() - start
    start = time.perf_counter()
    rendered = render_all(notes)
    markdown = time.perf_counter() - start
    start = time.perf_counter()
    write_package(rendered, target)
    package = time.perf_counter() - start
    return {"markdown_pygments": markdown, "pygments": pygments_alone, "genanki": package}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
