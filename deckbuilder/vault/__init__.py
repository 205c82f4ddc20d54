"""Obsidian vaults written for the Spaced Repetition plugin, read as neutral card records.

    settings = read_settings(vault)            # VaultSettings, or a located Diagnostic
    index = VaultIndex.scan(vault)             # every file, for links and embeds
    note = parse_vault_note(text, path, display, index, settings)
    note.cards, note.media, note.diagnostics

Modules, in the order a note goes through them: `settings` (data.json), `index` (link
resolution), `lines` (front matter, comments, code and math masked), `cards` (the plugin's
card grammar), `tags` (flashcard tags, decks, card tags), `cloze`, `convert` (Obsidian
Markdown to CommonMark, embeds), `note` (all of it for one note). Nothing here writes a file.
"""

from ..obsidian import DATA_JSON
from .index import VaultIndex
from .note import VaultCard, VaultNote, parse_vault_note
from .settings import VaultSettings, read_settings, settings_from_json

__all__ = [
    "DATA_JSON",
    "VaultCard",
    "VaultIndex",
    "VaultNote",
    "VaultSettings",
    "parse_vault_note",
    "read_settings",
    "settings_from_json",
]
