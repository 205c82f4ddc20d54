"""Find the Markdown sources and read them as normalised text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Diagnostic, error


@dataclass(frozen=True)
class SourceFile:
    """One Markdown file: where it is, how to name it in messages, and its text.

    `text` has no BOM and only LF line ends, so CRLF and LF sources give identical notes.
    """

    path: Path
    display: str
    text: str


def display_path(path: Path) -> str:
    """The path as the user typed it; an absolute one below the working directory is shortened."""
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


def _is_hidden(path: Path, root: Path) -> bool:
    # .git, .obsidian, editor backups: never content.
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def find_markdown(content_dir: Path) -> list[Path]:
    """Every `*.md` below `content_dir`, in sorted path order, hidden folders skipped."""
    found = [
        path
        for path in content_dir.rglob("*.md")
        if not _is_hidden(path, content_dir) and path.is_file()
    ]
    return sorted(found, key=lambda p: p.relative_to(content_dir).as_posix())


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_source(data: bytes, display: str) -> str | Diagnostic:
    """UTF-8 (BOM optional) to text with LF line ends, or a located reason it is not text."""
    if b"\0" in data:
        return error(display, None, "binary file, not Markdown text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = _line_of_offset(data, exc.start)
        return error(display, line, f"invalid UTF-8 at byte offset {exc.start}")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_source(path: Path) -> SourceFile | Diagnostic:
    display = display_path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return error(display, None, f"cannot read file: {exc.strerror or exc}")
    text = decode_source(data, display)
    if isinstance(text, Diagnostic):
        return text
    return SourceFile(path=path, display=display, text=text)
