"""A synthetic deck of any size, the same notes written in each tool's own input format.

Every note has a paragraph answer; every third adds a ~10-line Python block, every tenth a
table. Files hold about 100 notes, like a large real deck split by topic. The text is
generated from the note number alone, so the same N always gives the same bytes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

NOTES_PER_FILE = 100
_WORDS = [
    "tensor",
    "shape",
    "dtype",
    "graph",
    "trace",
    "layer",
    "model",
    "weight",
    "gradient",
    "batch",
    "epoch",
    "optimizer",
    "loss",
    "metric",
    "dataset",
    "pipeline",
    "shard",
    "device",
    "kernel",
    "variable",
    "checkpoint",
    "signature",
    "callback",
    "broadcast",
    "reduce",
    "axis",
    "slice",
    "gather",
    "scatter",
    "embedding",
    "attention",
    "dropout",
    "activation",
]


@dataclass(frozen=True)
class BenchNote:
    """One note as plain Markdown parts, independent of any tool's format."""

    file: int
    question: str
    answer: str  # Markdown: paragraph, optional code block, optional table


def _paragraph(rng: random.Random, number: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(55)]
    words[7] = f"`f_{number}()`"  # inline code, as real answers have
    words[20] = f"**{words[20]}**"
    return " ".join(words).capitalize() + "."


def _code(number: int) -> str:
    return (
        "```python\n"
        f"def f_{number}(values: list[int]) -> int:\n"
        '    """Sum the values above a threshold, doubled."""\n'
        "    total = 0\n"
        "    for value in values:\n"
        f"        if value > {number % 97}:\n"
        "            total += value * 2\n"
        "        else:\n"
        "            total -= 1\n"
        "    return total\n"
        "\n"
        f"print(f_{number}([1, 2, 3]))  # a comment\n"
        "```"
    )


def _table(rng: random.Random, number: int) -> str:
    rows = ["| name | shape | dtype |", "|---|---|---|"]
    for row in range(4):
        shape = f"({rng.randint(1, 64)}, {rng.randint(1, 64)})"
        rows.append(f"| x{number}_{row} | {shape} | {rng.choice(['float32', 'int64'])} |")
    return "\n".join(rows)


def make_note(number: int) -> BenchNote:
    rng = random.Random(number)
    parts = [_paragraph(rng, number)]
    if number % 3 == 0:
        parts.append(_code(number))
    if number % 10 == 0:
        parts.append(_table(rng, number))
    question = f"What does `f_{number}` do with a {rng.choice(_WORDS)} of {rng.choice(_WORDS)}?"
    return BenchNote(number // NOTES_PER_FILE, question, "\n\n".join(parts))


def make_notes(count: int) -> list[BenchNote]:
    return [make_note(number) for number in range(count)]


def by_file(notes: Sequence[BenchNote]) -> Iterator[tuple[int, list[BenchNote]]]:
    files: dict[int, list[BenchNote]] = {}
    for note in notes:
        files.setdefault(note.file, []).append(note)
    yield from sorted(files.items())


def _file_name(index: int) -> str:
    return f"topic-{index:04d}.md"


# --- each tool's format --------------------------------------------------------------------


def ours(notes: list[BenchNote]) -> str:
    """build-deck: `?` headings under section headings; the body is the answer."""
    lines = [f"---\ntopic: topic-{notes[0].file:04d}\n---\n", f"# Topic {notes[0].file}\n"]
    for index, note in enumerate(notes):
        if index % 20 == 0:
            lines.append(f"## Part {index // 20}\n")
        lines.append(f"### {note.question}\n\n{note.answer}\n")
    return "\n".join(lines)


def ankdown(notes: list[BenchNote]) -> str:
    """ankdown: front, `%`, back, `---` between cards."""
    return "\n---\n\n".join(f"{note.question}\n\n%\n\n{note.answer}\n" for note in notes)


def headings(notes: list[BenchNote]) -> str:
    """markdown-anki-decks and md2anki: `# deck`, then `## question` and its answer."""
    cards = [f"## {note.question}\n\n{note.answer}\n" for note in notes]
    return f"# Topic {notes[0].file}\n\n" + "\n".join(cards)


FORMATS = {"ours": ours, "ankdown": ankdown, "headings": headings}


def write_corpus(notes: Sequence[BenchNote], folder: Path, form: str) -> list[Path]:
    """One file per ~100 notes in `folder`, in the named format; returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index, group in by_file(notes):
        path = folder / _file_name(index)
        path.write_text(FORMATS[form](group), encoding="utf-8")
        written.append(path)
    return written


def write_parts(notes: Sequence[BenchNote], target: Path) -> None:
    """The notes as JSON lines, for the floor measurement (which has no parser)."""
    with target.open("w", encoding="utf-8") as handle:
        for note in notes:
            handle.write(json.dumps(asdict(note)) + "\n")


def edit_target(folder: Path, count: int) -> Path:
    """The file a one-edit rebuild changes: the middle one."""
    return folder / _file_name((count // NOTES_PER_FILE) // 2)
