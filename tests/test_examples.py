"""Run every Python code block in content/**/*.md as a standalone script.

Each fenced block whose language is ``python`` (or ``py``) is executed in a fresh
interpreter, so blocks are independent and one block's imports or state cannot
hide another block's missing setup. A block whose info string contains
``no-run`` (TensorFlow 1.x code, or code for a TensorFlow older than 2.21, shown
for contrast) is skipped. Files are found recursively, in sorted path order,
skipping hidden folders, as the deck builder reads them; then the files of
``content/.examples/``, which the builder skips: full scripts behind cards whose
own snippet shows only the lines worth remembering (a whole fit, a save and load,
a failure that the card states).

Cloze cards hide parts of a code block with Anki's markers, ``{{c1::text}}`` or
``{{c1::text::hint}}``. The markers are stripped before a block runs, keeping the
hidden text and dropping hints, so the code that runs is the code the back of
the card shows.

A block runs from a script file rather than ``python -c``: AutoGraph reads the
source of ``tf.function`` bodies to convert Python ``if``/``for`` on tensors,
and code given with ``-c`` has no source file to read.

The blocks target tensorflow-cpu 2.21 with Keras 3; the TensorBoard examples
also need the ``tensorboard`` package, which tensorflow-cpu 2.21 does not
install by itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

REPO_ROOT = Path(__file__).parent.parent
CONTENT_DIR = REPO_ROOT / "content"
EXAMPLES_DIR = CONTENT_DIR / ".examples"  # hidden: run here, not part of the deck
PYTHON_LANGUAGES = {"python", "py"}
TIMEOUT_SECONDS = 120
STDERR_TAIL_LINES = 30
# Fewer blocks than this means the extraction is broken, not that the deck is small.
MIN_RUNNABLE_BLOCKS = 60
CLOZE_OPEN = re.compile(r"\{\{c\d+::")


def strip_cloze(text: str) -> str:
    """Replace every cloze marker by its hidden text, dropping hints.

    As in Anki, the first ``::`` of a cloze starts its hint, and ``}}`` closes a
    cloze only once the braces opened inside it are closed (``{{c1::{"a": 1}}}``
    hides ``{"a": 1}``). Clozes may nest. Text outside clozes is left alone, so
    ordinary braces and ``::`` in code are untouched.
    """
    out, _ = _strip_from(text, 0, inside=False)
    return out


def _strip_from(text: str, i: int, *, inside: bool) -> tuple[str, int]:
    kept: list[str] = []
    depth = 0  # braces opened inside the current cloze
    in_hint = False
    while i < len(text):
        opening = CLOZE_OPEN.match(text, i)
        if opening:
            hidden, i = _strip_from(text, opening.end(), inside=True)
            if not in_hint:
                kept.append(hidden)
            continue
        if inside and depth == 0:
            if text.startswith("}}", i):
                return "".join(kept), i + 2
            if text.startswith("::", i) and not in_hint:
                in_hint = True
                i += 2
                continue
        char = text[i]
        if inside:
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
        if not in_hint:
            kept.append(char)
        i += 1
    return "".join(kept), i  # an unclosed cloze keeps what it had


@dataclass(frozen=True)
class CodeBlock:
    location: str  # "content/keras.md:42", 1-based line of the opening fence
    code: str


def extract_blocks(path: Path) -> list[CodeBlock]:
    """Return the runnable Python blocks of one Markdown file."""
    # The front matter plugin keeps `---` YAML lines from being read as
    # Markdown, so token line numbers match the file.
    parser = MarkdownIt("commonmark").use(front_matter_plugin)
    relative = path.relative_to(REPO_ROOT).as_posix()
    blocks = []
    for token in parser.parse(path.read_text(encoding="utf-8")):
        if token.type != "fence" or token.map is None:
            continue
        words = token.info.split()
        if not words or words[0] not in PYTHON_LANGUAGES or "no-run" in words:
            continue
        code = strip_cloze(token.content)
        blocks.append(CodeBlock(f"{relative}:{token.map[0] + 1}", code))
    return blocks


def content_files() -> list[Path]:
    """The deck's *.md files below content/ (recursively, sorted, hidden folders
    skipped, as the builder reads them), then those of content/.examples/."""
    deck = sorted(
        path
        for path in CONTENT_DIR.rglob("*.md")
        if not any(part.startswith(".") for part in path.relative_to(CONTENT_DIR).parts)
    )
    return deck + sorted(EXAMPLES_DIR.rglob("*.md"))


def collect_blocks() -> list[CodeBlock]:
    return [block for path in content_files() for block in extract_blocks(path)]


BLOCKS = collect_blocks()


@pytest.mark.examples
@pytest.mark.parametrize(
    ("marked", "runs"),
    [
        ("x = {{c1::1}}", "x = 1"),
        ("tf.{{c1::zeros::a function}}([2])", "tf.zeros([2])"),
        ('d = {{c1::{"a": 1}}}', 'd = {"a": 1}'),
        ("{{c1::outer {{c2::inner}} end}}", "outer inner end"),
        ("{{c1::keras}}{{c1::.ops}}", "keras.ops"),
        ("y = x[::2]  # {{c2::every other row}}", "y = x[::2]  # every other row"),
        ("no markers {here}", "no markers {here}"),
    ],
)
def test_cloze_markers_are_stripped(marked: str, runs: str) -> None:
    assert strip_cloze(marked) == runs


@pytest.mark.examples
def test_enough_blocks_found() -> None:
    assert len(BLOCKS) >= MIN_RUNNABLE_BLOCKS, (
        f"found only {len(BLOCKS)} runnable python blocks under {CONTENT_DIR}"
    )


@pytest.mark.examples
@pytest.mark.parametrize("block", BLOCKS, ids=[block.location for block in BLOCKS])
def test_code_block_runs(block: CodeBlock, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        # Keep Keras' config and caches out of the user's home directory.
        "KERAS_HOME": str(tmp_path / ".keras"),
    }
    script = tmp_path / "example.py"
    script.write_text(block.code, encoding="utf-8")
    try:
        result = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{block.location}: timed out after {TIMEOUT_SECONDS} s", pytrace=False)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.splitlines()[-STDERR_TAIL_LINES:])
        pytest.fail(
            f"{block.location}: exited with status {result.returncode}\n{tail}",
            pytrace=False,
        )
