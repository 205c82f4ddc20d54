"""What a build is asked to do: what it reads, where it writes, and the names it gives.

Light on purpose: a build that repeats the last one (replay.py) needs only this, and starts
without loading Markdown, Pygments or genanki.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .config import DeckConfig

PREVIEW_NAME = "preview.html"


@dataclass(frozen=True, slots=True)
class BuildRequest:
    """Everything a build reads, and how: the same request gives the same plan."""

    content_dir: Path
    templates_dir: Path
    ledger_file: Path
    config: DeckConfig
    now: int  # when this build happens, for dating what it changes
    lint: bool = False  # add `--check`'s content advice (lint.py)
    vault: bool = False  # the content folder is an Obsidian vault (vault/source.py)
    package_file: Path | None = None  # where the package goes: it may tell of a lost ledger


@dataclass(frozen=True, slots=True)
class Targets:
    package: Path
    ledger: Path
    preview: Path | None  # None: no preview


def preview_key(fingerprint: str) -> str:
    """What the preview of the package with this fingerprint is recorded under."""
    return f"preview {fingerprint}"


def slug(text: str) -> str:
    """A tag part: Anki tags cannot hold spaces, and `::` separates hierarchy levels."""
    return re.sub(r"[^\w.+#-]+", "-", unicodedata.normalize("NFKC", text).casefold()).strip("-.")


def slug_tag(tag: str) -> str:
    """A front-matter tag, slugged part by part so `a::b c` stays hierarchical."""
    return "::".join(part for part in (slug(p) for p in tag.split("::")) if part)


def package_file_name(config: DeckConfig) -> str:
    """Named after the deck, short enough for any file system (a long name ends in a hash)."""
    name = slug(config.name) or "deck"
    if len(name.encode()) > 100:
        digest = hashlib.sha256(config.name.encode()).hexdigest()[:8]
        name = name.encode()[:80].decode("utf-8", "ignore") + "-" + digest
    return f"{name}.apkg"
