"""Find the Markdown sources and read them as normalised text."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from .diagnostics import Diagnostic, error

SUFFIX = ".md"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One Markdown file: where it is, how to name it in messages, and its text.

    `text` has no BOM and only LF line ends, so CRLF and LF sources give identical notes.
    """

    path: Path
    display: str
    text: str
    deck: str = ""  # the subdeck its folder maps to (`[tool.build-deck]`), unless it says


def display_path(path: Path) -> str:
    """The path as the user typed it; an absolute one below the working directory is shortened.

    A name that is not UTF-8 is shown with its undecodable bytes as `\\xNN`, printable anywhere.
    """
    shown = path.as_posix()
    if path.is_absolute():
        with contextlib.suppress(ValueError):  # not below the working directory: as it is
            shown = path.relative_to(Path.cwd()).as_posix()
    return shown.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # the file system gave undecodable bytes as surrogates
        return False
    return True


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _symlink_problem(path: Path, root: Path) -> str | None:
    """Why a symlink below the content folder cannot be followed, or None when it can."""
    try:
        target = os.stat(path)  # follows the link; a loop fails here instead of hanging later
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop: the link leads back to itself"
        if path.name.endswith(SUFFIX):
            return f"symlink target not found ({os.readlink(path)})"
        return None  # a dangling link that is not a source is not our business
    if not (stat.S_ISDIR(target.st_mode) or path.name.endswith(SUFFIX)):
        return None
    if not Path(os.path.realpath(path)).is_relative_to(root):
        # The same rule as for images: everything a deck is built from lives in one folder.
        return f"symlink leads outside the content folder ({os.readlink(path)})"
    return None


def _entry(entry: os.DirEntry[str], root: Path) -> Path | Diagnostic | None:
    """A source to read, a located reason it cannot be one, or None when it is not a source."""
    path = Path(entry.path)
    if entry.is_symlink():
        problem = _symlink_problem(path, root)
        if problem is not None:
            return error(display_path(path), None, problem)
        # A folder link inside the content folder is skipped: its files are read where they
        # really are, once, instead of twice as duplicate questions.
        if path.is_dir() or not entry.name.endswith(SUFFIX):
            return None
    elif not entry.name.endswith(SUFFIX) or entry.is_dir(follow_symlinks=False):
        return None
    if not path.is_file():  # a FIFO or device would block or never end when read
        return error(display_path(path), None, "not a regular file")
    return path


def find_markdown(content_dir: Path) -> list[Path | Diagnostic]:
    """Every `*.md` below `content_dir` in sorted path order, hidden entries skipped.

    Entries that look like sources but cannot be read as one (symlink loops, links leaving
    the folder, unreadable folders, FIFOs) come back in place as located errors, so a
    caller that reads every entry with `read_source` reports them with no extra step.
    Folder links are never followed, so the walk ends even when links form a cycle.
    """
    root = content_dir.resolve()
    found: list[tuple[str, Path | Diagnostic]] = []
    pending = [content_dir]  # a stack, not recursion: folder depth is up to the user
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            problem = error(display_path(folder), None, f"cannot read folder: {_reason(exc)}")
            found.append((folder.relative_to(content_dir).as_posix(), problem))
            continue
        for entry in entries:
            if entry.name.startswith("."):  # .git, .obsidian, editor backups: never content
                continue
            if not _is_utf8(entry.name) and (entry.name.endswith(SUFFIX) or entry.is_dir()):
                # Its notes would carry an unwritable name into messages, the ledger, Anki.
                what = "folder" if entry.is_dir() else "file"
                message = f"{what} name is not UTF-8; rename it (it is not read)"
                relative = Path(entry.path).relative_to(content_dir).as_posix()
                found.append((relative, error(display_path(Path(entry.path)), None, message)))
                continue
            if entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
                continue
            item = _entry(entry, root)
            if item is not None:
                found.append((Path(entry.path).relative_to(content_dir).as_posix(), item))
    ordered = sorted(found, key=lambda pair: pair[0].encode("utf-8", "surrogateescape"))
    return [item for _, item in ordered]


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
    # NFC: a file saved again in another Unicode form (macOS writes NFD) gives the same notes.
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def read_source(path: Path | Diagnostic) -> SourceFile | Diagnostic:
    """The file's text, or a located reason it cannot be read (passed on as is)."""
    if isinstance(path, Diagnostic):
        return path
    display = display_path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return error(display, None, f"cannot read file: {_reason(exc)}")
    text = decode_source(data, display)
    if isinstance(text, Diagnostic):
        return text
    return SourceFile(path=path, display=display, text=text)


def read_sources(
    content_dir: Path, deck_for: Callable[[str], str]
) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Every source file, each with the subdeck its folder maps to (`deck_for` a folder
    relative to `content_dir`), and located reasons for the ones that cannot be read."""
    sources: list[SourceFile] = []
    problems: list[Diagnostic] = []
    for path in find_markdown(content_dir):
        source = read_source(path)
        if isinstance(source, Diagnostic):
            problems.append(source)
            continue
        deck = deck_for(source.path.parent.relative_to(content_dir).as_posix())
        sources.append(replace(source, deck=deck) if deck else source)
    return sources, problems
