"""Deck settings from `[tool.build-deck]` in pyproject.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Diagnostic, error

DEFAULT_NAME = "Markdown Flashcards"


@dataclass(frozen=True, slots=True)
class DeckConfig:
    """`namespace` feeds every note GUID: set it once and never change it (renaming is free)."""

    name: str = DEFAULT_NAME
    description: str = ""
    namespace: str = DEFAULT_NAME

    @property
    def note_type_name(self) -> str:
        return f"{self.namespace} (build-deck Q&A)"


def load_config(pyproject: Path) -> DeckConfig | Diagnostic:
    if not pyproject.is_file():
        return DeckConfig()
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return error(str(pyproject), None, f"cannot read configuration: {exc}")
    section = data.get("tool", {}).get("build-deck", {})
    values = {key: section.get(key) for key in ("name", "description", "namespace")}
    for key, value in values.items():
        if value is not None and not isinstance(value, str):
            return error(str(pyproject), None, f"[tool.build-deck] {key} must be a string")
    name = values["name"] or DEFAULT_NAME
    return DeckConfig(
        name=name,
        description=values["description"] or "",
        namespace=values["namespace"] or name,
    )
