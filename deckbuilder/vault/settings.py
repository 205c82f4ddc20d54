"""The Spaced Repetition plugin's settings, as its `data.json` stores them.

Keys and defaults are the plugin's (`SRSettings` and `DEFAULT_SETTINGS` in src/settings.ts);
a key missing from data.json takes its default, as the plugin merges the two on load.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ..diagnostics import Diagnostic, error
from ..obsidian import DATA_JSON


@dataclass(frozen=True, slots=True)
class VaultSettings:
    """What the plugin's parser honours. An empty separator turns that card kind off."""

    flashcard_tags: tuple[str, ...] = ("#flashcards",)
    single_line: str = "::"
    single_line_reversed: str = ":::"
    multi_line: str = "?"
    multi_line_reversed: str = "??"
    multi_line_end_marker: str = ""  # "": a blank line ends multi-line and cloze cards
    cloze_highlight: bool = True
    cloze_bold: bool = False
    cloze_curly: bool = False
    folders_to_decks: bool = False  # convertFoldersToDecks: decks from folders, not tags
    ignored_folders: tuple[str, ...] = ()  # noteFoldersToIgnore: folders or glob patterns

    def is_ignored(self, vault_path: str) -> bool:
        """Whether the plugin skips this note (`SettingsUtil.isPathInNoteIgnoreFolder`)."""
        return any(_matches(pattern, vault_path) for pattern in self.ignored_folders)


_STRING_KEYS = {
    "singleLineCardSeparator": "single_line",
    "singleLineReversedCardSeparator": "single_line_reversed",
    "multilineCardSeparator": "multi_line",
    "multilineReversedCardSeparator": "multi_line_reversed",
    "multilineCardEndMarker": "multi_line_end_marker",
}
_BOOL_KEYS = {
    "convertHighlightsToClozes": "cloze_highlight",
    "convertBoldTextToClozes": "cloze_bold",
    "convertCurlyBracketsToClozes": "cloze_curly",
    "convertFoldersToDecks": "folders_to_decks",
}
_LIST_KEYS = {"flashcardTags": "flashcard_tags", "noteFoldersToIgnore": "ignored_folders"}


def read_settings(vault: Path) -> VaultSettings | Diagnostic:
    """The vault's plugin settings; the plugin's defaults when it has no data.json."""
    path = vault / DATA_JSON
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return VaultSettings()
    except (OSError, UnicodeDecodeError) as exc:
        return error(str(path), None, f"cannot read the plugin settings: {exc}")
    return settings_from_json(text, str(path))


def settings_from_json(text: str, display: str) -> VaultSettings | Diagnostic:
    """Settings from the text of data.json; a located error when it is not what the plugin
    writes."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return error(display, exc.lineno, f"plugin settings are not valid JSON: {exc.msg}")
    if not isinstance(data, dict):
        return error(display, 1, "plugin settings must be a JSON object")
    # The plugin keeps its settings under "settings", beside its scheduling data.
    stored = data.get("settings", data)
    if not isinstance(stored, dict):
        return error(display, _line_of(text, "settings"), '"settings" must be a JSON object')
    return _apply(VaultSettings(), stored, text, display)


def _apply(
    settings: VaultSettings, stored: Mapping[str, object], text: str, display: str
) -> VaultSettings | Diagnostic:
    changes: dict[str, object] = {}
    for key, value in stored.items():
        field, problem = _field(key, value)
        if problem:
            return error(display, _line_of(text, key), f'"{key}" {problem}')
        if field:
            changes[field] = _normalised(field, value)
    changes.update(_cloze_patterns(stored.get("clozePatterns")))
    return replace(settings, **changes)  # type: ignore[arg-type]


def _field(key: str, value: object) -> tuple[str, str]:
    """The VaultSettings field a key sets, or why its value cannot be used."""
    checks: list[tuple[dict[str, str], Callable[[object], bool], str]] = [
        (_STRING_KEYS, lambda v: isinstance(v, str), "must be a string"),
        (_BOOL_KEYS, lambda v: isinstance(v, bool), "must be true or false"),
        (_LIST_KEYS, _is_string_list, "must be a list of strings"),
    ]
    for fields, valid, problem in checks:
        if key in fields:
            return (fields[key], "") if valid(value) else ("", problem)
    return "", ""


def _is_string_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _normalised(field: str, value: object) -> object:
    if field == "flashcard_tags":
        assert isinstance(value, list)
        # The settings box splits on whitespace; a tag typed without `#` is still meant as one.
        return tuple(tag if tag.startswith("#") else f"#{tag}" for tag in value if tag.strip())
    if field == "ignored_folders":
        assert isinstance(value, list)
        return tuple(folder.strip() for folder in value if folder.strip())
    if field in _STRING_KEYS.values() and field != "multi_line_end_marker":
        assert isinstance(value, str)
        # The plugin's tests: an empty or blank separator finds no cards of that kind.
        return value if value.strip() else ""
    return value


def _cloze_patterns(patterns: object) -> dict[str, bool]:
    """Newer plugin versions replace the three switches with `clozePatterns` (clozecraft,
    e.g. `==[123;;]answer[;;hint]==`); only which delimiters are on is understood here."""
    if not _is_string_list(patterns):
        return {}
    assert isinstance(patterns, list)
    return {
        "cloze_highlight": any(p.startswith("==") for p in patterns),
        "cloze_bold": any(p.startswith("**") for p in patterns),
        "cloze_curly": any(p.startswith("{{") for p in patterns),
    }


def _line_of(text: str, key: str) -> int:
    match = re.search(rf'"{re.escape(key)}"\s*:', text)
    return 1 + text.count("\n", 0, match.start()) if match else 1


def _matches(pattern: str, vault_path: str) -> bool:
    """A folder (the note is in it or below it, any case) or a glob such as
    `**/*.excalidraw.md`, as the plugin's `pathMatchesPattern`."""
    if not any(char in pattern for char in "*?["):
        folder = pattern.strip("/").casefold()
        path = vault_path.casefold()
        return path == folder or path.startswith(folder + "/")
    return re.fullmatch(_glob_regex(pattern), vault_path) is not None


def _glob_regex(pattern: str) -> str:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        else:
            char = pattern[index]
            parts.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
            index += 1
    return "".join(parts)
