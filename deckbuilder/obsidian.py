"""Which content folders are Obsidian vaults, and what of a vault's settings a build reads.

Light on purpose, as request.py: the vault reader itself is deckbuilder/vault/.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

OBSIDIAN = ".obsidian"
DATA_JSON = Path(".obsidian/plugins/obsidian-spaced-repetition/data.json")


def looks_like_vault(folder: Path) -> bool:
    """A content folder with Obsidian's settings folder in it."""
    return (folder / OBSIDIAN).is_dir()


def settings_digest(vault: Path) -> str:
    """Of the plugin's settings file, which decides what every card is: a build input."""
    try:
        return hashlib.sha256((vault / DATA_JSON).read_bytes()).hexdigest()
    except OSError:
        return ""
