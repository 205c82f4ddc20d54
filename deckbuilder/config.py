"""Deck settings from `[tool.build-deck]` in pyproject.toml."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .decks import deck_problem, normal_deck
from .diagnostics import Diagnostic, error

DEFAULT_NAME = "Markdown Flashcards"
KEYS = ("name", "description", "namespace", "folder-decks", "decks", "vault")


@dataclass(frozen=True, slots=True)
class DeckConfig:
    """`namespace` feeds every note GUID: set it once and never change it."""

    name: str = DEFAULT_NAME
    description: str = ""
    namespace: str = DEFAULT_NAME
    folder_decks: bool = False  # every folder below the content folder is a subdeck
    decks: tuple[tuple[str, str], ...] = ()  # (folder, subdeck), most specific folder first
    vault: bool | None = None  # read the content as an Obsidian vault; None: if it has .obsidian/

    def deck_for(self, folder: str) -> str:
        """The subdeck of a file in `folder` (relative to the content folder, `/`-separated)."""
        parts = PurePosixPath(folder).parts if folder not in ("", ".") else ()
        for mapped, deck in self.decks:
            mapped_parts = PurePosixPath(mapped).parts
            if parts[: len(mapped_parts)] == mapped_parts:
                return deck
        return "::".join(parts) if self.folder_decks else ""


def _unknown_key(key: str, where: str) -> str:
    close = difflib.get_close_matches(key, KEYS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(KEYS)})"
    return f"unknown key {key!r} in {where}{hint}"


def _folder_decks(value: Any) -> tuple[tuple[str, str], ...] | str:
    if not isinstance(value, dict):
        return 'decks must be a table of folder = "Subdeck" pairs'
    mapping = []
    for folder, deck in value.items():
        if not isinstance(deck, str) or not deck.strip():
            return f"decks: {folder!r} must map to a subdeck name"
        problem = deck_problem(deck)
        if problem:
            return f"decks: {folder!r} maps to a subdeck that {problem}"
        clean = PurePosixPath(folder.strip("/"))
        if clean.is_absolute() or ".." in clean.parts or not folder.strip("/"):
            return f"decks: {folder!r} must be a folder inside the content folder, like keras"
        mapping.append((clean.as_posix(), normal_deck(deck)))
    # Deeper folders first, so `tf/data` wins over `tf` for the files it holds.
    return tuple(sorted(mapping, key=lambda pair: (-len(PurePosixPath(pair[0]).parts), pair)))


def _section(data: dict[str, Any], shown: str) -> dict[str, Any] | Diagnostic:
    section = data.get("tool", {}).get("build-deck", {})
    if not isinstance(section, dict):
        return error(shown, None, "[tool.build-deck] must be a table")
    for key in section:
        if key not in KEYS:
            return error(shown, None, _unknown_key(key, "[tool.build-deck]"))
    for key in ("name", "description", "namespace"):
        if key in section and not isinstance(section[key], str):
            return error(shown, None, f"[tool.build-deck] {key} must be a string")
    for key in ("folder-decks", "vault"):
        if key in section and not isinstance(section[key], bool):
            return error(shown, None, f"[tool.build-deck] {key} must be true or false")
    return section


def load_config(pyproject: Path, required: bool = False) -> DeckConfig | Diagnostic:
    """The settings, or a reason they cannot be read. A missing file gives the defaults,
    unless it was named (`required`): every GUID depends on the namespace it holds."""
    shown = pyproject.as_posix()
    if pyproject.exists() and not pyproject.is_file():  # a FIFO would block forever
        return error(shown, None, "cannot read configuration: not a regular file")
    if not pyproject.is_file():
        if required:
            return error(shown, None, "configuration file not found")
        return DeckConfig()
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return error(shown, None, f"cannot read configuration: {exc}")
    section = _section(data, shown)
    if isinstance(section, Diagnostic):
        return section
    decks = _folder_decks(section.get("decks", {}))
    if isinstance(decks, str):
        return error(shown, None, f"[tool.build-deck] {decks}")
    name = section.get("name") or DEFAULT_NAME
    return DeckConfig(
        name=name,
        description=section.get("description") or "",
        namespace=section.get("namespace") or name,
        folder_decks=bool(section.get("folder-decks", False)),
        decks=decks,
        vault=section.get("vault"),
    )
