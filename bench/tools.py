"""The other Markdown-to-Anki tools on PyPI, each in its own throwaway venv under bench/.venvs.

Each is given the same notes in its own input format and timed on a cold build (none of them
has an incremental mode). A tool that cannot be installed or run here says why.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

VENVS = Path(__file__).resolve().parent / ".venvs"


@dataclass(frozen=True)
class Tool:
    name: str
    requirements: tuple[str, ...]
    form: str  # corpus format, see corpus.FORMATS
    command: Callable[[Path, list[Path], Path], list[str]]  # (venv bin, inputs, out dir)
    notes: tuple[str, ...] = ()  # what was done to make it run here, printed with the numbers
    patch: Callable[[Path], str | None] | None = field(default=None)

    @property
    def venv(self) -> Path:
        return VENVS / self.name


def _ankdown(bin_dir: Path, inputs: list[Path], out: Path) -> list[str]:
    folder = inputs[0].parent
    return [
        str(bin_dir / "ankdown"),
        "-r",
        str(folder),
        "-p",
        str(out / "ankdown.apkg"),
        "--highlight",
    ]


def _markdown_anki_decks(bin_dir: Path, inputs: list[Path], out: Path) -> list[str]:
    return [str(bin_dir / "mdankideck"), str(inputs[0].parent), str(out)]


def _md2anki(bin_dir: Path, inputs: list[Path], out: Path) -> list[str]:
    return [str(bin_dir / "md2anki"), *map(str, inputs), "-o-anki", str(out / "md2anki.apkg")]


def _patch_md2anki(site: Path) -> str | None:
    """md2anki 3.1.0 says Python >= 3.9 but one line needs 3.12's f-string quoting."""
    source = site / "md2anki" / "md_util.py"
    text = source.read_text(encoding="utf-8")
    broken = 'original_path.suffix.lstrip(".")}'
    if broken not in text:
        return None
    source.write_text(text.replace(broken, "original_path.suffix.lstrip('.')}"), encoding="utf-8")
    return (
        "md2anki 3.1.0 (the only version on PyPI) does not import on Python 3.11, the only "
        "Python here: md_util.py:149 uses a Python 3.12 f-string; measured with that one line "
        "re-quoted, nothing else changed"
    )


TOOLS = (
    Tool("ankdown", ("ankdown==0.7.1",), "ankdown", _ankdown),
    Tool(
        "markdown-anki-decks",
        # typer 0.4 breaks with click >= 8.1; Pygments lets its codehilite highlight like ours.
        ("markdown-anki-decks==1.1.1", "click<8.1", "Pygments"),
        "headings",
        _markdown_anki_decks,
        notes=(
            "click pinned < 8.1 (typer 0.4 fails with newer click); Pygments added so its "
            "codehilite highlights code; writes one .apkg per file (sizes summed)",
        ),
    ),
    Tool("md2anki", ("md2anki==3.1.0",), "headings", _md2anki, patch=_patch_md2anki),
)


def _site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def install(tool: Tool) -> tuple[str | None, list[str]]:
    """Install into the tool's own venv; returns (why it failed or None, notes)."""
    venv = tool.venv
    marker = venv / ".installed"
    if not marker.exists():
        commands = [
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *tool.requirements],
        ]
        for command in commands:
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                return f"cannot install: {done.stderr.strip().splitlines()[-1:]}", []
        marker.touch()
    notes = list(tool.notes)
    if tool.patch:
        note = tool.patch(_site_packages(venv))
        marker_note = venv / ".patched"
        if note:
            marker_note.write_text(note)
        if marker_note.exists():
            notes.append(marker_note.read_text())
    return None, notes


def package_bytes(out: Path) -> int:
    return sum(path.stat().st_size for path in out.glob("*.apkg"))


def package_notes(out: Path) -> int:
    """Notes in every .apkg in `out`: a tool that drops notes must not look fast."""
    total = 0
    for package in out.glob("*.apkg"):
        with zipfile.ZipFile(package) as archive, tempfile.TemporaryDirectory() as scratch:
            db = Path(scratch) / "collection.anki2"
            db.write_bytes(archive.read("collection.anki2"))
            with closing(sqlite3.connect(db)) as connection:
                total += connection.execute("SELECT count(*) FROM notes").fetchone()[0]
    return total
