"""Every file of a vault by name, so links resolve as Obsidian resolves them.

A link names a file by a path that may be partial (`image.png`, `sub/Note`). It is resolved,
case-insensitively, in this order (Obsidian's `getFirstLinkpathDest`):

1. relative to the linking note's folder (`./x`, `../x` and a file beside the note);
2. as a path from the vault root (`/x` always means this);
3. by name anywhere in the vault: every file whose path ends with the link, the shortest
   path winning (fewest folders, then fewest characters, then alphabetical).

A link without an extension, or whose extension names no file, also tries the link with
`.md` added: `[[Note]]` is `Note.md`. Obsidian ignores folders whose name starts with a dot
(`.obsidian`, `.trash`), and so does this index.
"""

from __future__ import annotations

import os
import posixpath
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

IMAGE_SUFFIXES = frozenset({".avif", ".bmp", ".gif", ".jpeg", ".jpg", ".png", ".svg", ".webp"})


def read_utf8(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


class VaultIndex:
    """The vault's files by lower-cased path and by lower-cased name; note text read on demand.

    Built once from the vault's file list; nothing here writes, and reading a note (for an
    embed) happens only when a card embeds it.
    """

    def __init__(
        self,
        root: Path,
        files: Iterable[Path | str],
        read_text: Callable[[Path], str | None] = read_utf8,
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self._read_text = read_text
        self._by_path: dict[str, str] = {}
        self._by_name: defaultdict[str, list[str]] = defaultdict(list)
        self._texts: dict[str, str | None] = {}
        for file in files:
            relative = self.vault_path(Path(file) if Path(file).is_absolute() else self.root / file)
            if relative is None or any(part.startswith(".") for part in relative.split("/")):
                continue
            if relative.casefold() not in self._by_path:
                self._by_path[relative.casefold()] = relative
                self._by_name[posixpath.basename(relative).casefold()].append(relative)

    @classmethod
    def scan(cls, root: Path) -> VaultIndex:
        """The index of every file below `root`, dot folders and dot files left out."""
        found: list[Path] = []
        for folder, subfolders, names in os.walk(root):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            found.extend(Path(folder) / name for name in sorted(names) if not name.startswith("."))
        # Absolute, so each is read as a path below the root and not as one relative to it.
        return cls(root, [Path(os.path.abspath(path)) for path in found])

    def vault_path(self, path: Path) -> str | None:
        """`path` as a vault path (`Notes/IEEE754.md`), None when it is outside the vault."""
        relative = os.path.relpath(os.path.abspath(path), self.root)
        if relative == ".." or relative.startswith(".." + os.sep) or os.path.isabs(relative):
            return None
        return Path(relative).as_posix()

    def absolute(self, vault_path: str) -> Path:
        return self.root / vault_path

    def files(self) -> list[str]:
        return sorted(self._by_path.values())

    def resolve(self, link: str, source: str) -> str | None:
        """The vault path a link from the note `source` leads to, None when it leads nowhere."""
        link = link.strip().replace("\\", "/")
        if not link:
            return None
        for candidate in _with_markdown_suffix(link):
            found = self._resolve_one(candidate, posixpath.dirname(source))
            if found is not None:
                return found
        return None

    def _resolve_one(self, link: str, folder: str) -> str | None:
        if link.startswith("/"):
            return self._by_path.get(posixpath.normpath(link.lstrip("/")).casefold())
        beside = posixpath.normpath(posixpath.join(folder, link))
        if beside.casefold() in self._by_path:
            return self._by_path[beside.casefold()]
        if link.startswith(("./", "../")):
            return None  # explicitly relative: nothing else is meant
        exact = self._by_path.get(posixpath.normpath(link).casefold())
        return exact if exact is not None else self._by_name_ending(link)

    def _by_name_ending(self, link: str) -> str | None:
        wanted = posixpath.normpath(link).casefold()
        named = self._by_name.get(posixpath.basename(wanted), [])
        matching = [
            path
            for path in named
            if path.casefold() == wanted or path.casefold().endswith("/" + wanted)
        ]
        if not matching:
            return None
        return min(matching, key=lambda path: (path.count("/"), len(path), path))

    def note_text(self, vault_path: str) -> str | None:
        """A note's text, read once; None when it cannot be read as UTF-8."""
        if vault_path not in self._texts:
            self._texts[vault_path] = self._read_text(self.absolute(vault_path))
        return self._texts[vault_path]

    def notes(self) -> list[str]:
        return [path for path in self.files() if path.casefold().endswith(".md")]


def _with_markdown_suffix(link: str) -> list[str]:
    """`Note` is `Note.md`; `v1.2` may be `v1.2` or `v1.2.md`; `a.md` is only itself."""
    if link.casefold().endswith(".md"):
        return [link]
    return [link, link + ".md"] if posixpath.splitext(link)[1] else [link + ".md", link]


def is_image(vault_path: str) -> bool:
    return posixpath.splitext(vault_path)[1].casefold() in IMAGE_SUFFIXES
