"""Images: resolved relative to their note, packaged under content-hashed names."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from markdown_it.token import Token

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp"})
# Anything with a scheme (`https:`, `data:`, `javascript:`) or a network path (`//host`).
_REMOTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A file packaged beside the notes, named by content hash (Anki media names are bare)."""

    name: str
    source: Path


def images_in(tokens: Sequence[Token]) -> Iterator[tuple[Token, int]]:
    """Every image token with the 0-based line of the block it sits in."""
    line = 0
    for token in tokens:
        if token.map is not None:
            line = token.map[0]
        for child in token.children or ():
            if child.type == "image":
                yield child, line


def is_web_address(src: str) -> bool:
    return src.lower().startswith(("https://", "http://"))


def _media_name(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return f"{digest}{path.suffix.lower()}"


def _shown(src: str) -> str:
    return repr(src if len(src) <= 80 else f"{src[:80]}...")


def _local_image(path: Path, src: str, root: Path) -> MediaFile | str:
    path = path.resolve()
    if not path.is_relative_to(root):
        return f"image path {_shown(src)} leaves the content folder"
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return (
            f"image {_shown(src)} is not an image type Anki shows "
            f"({', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    if not path.is_file():
        return f"image not found: {src[:80]}"
    return MediaFile(_media_name(path), path)


def resolve_image(src: str, base: Path, root: Path) -> MediaFile | str:
    """The image to package, or why it cannot be packaged."""
    if _REMOTE.match(src):
        return (
            f"image {_shown(src)} is not a local file; cards must work offline, "
            "so save it under the content folder"
        )
    relative = unquote(src.split("#", 1)[0].split("?", 1)[0])
    try:
        return _local_image(base / relative, src, root)
    except RuntimeError:  # Python 3.11's resolve() reports a symlink loop this way
        return f"image {_shown(src)} cannot be read: symlink loop"
    except ValueError:  # a NUL byte, e.g. from `%00`
        return f"image {_shown(src)} is not a valid file name"
    except OSError as exc:  # unreadable, a name too long, ...
        return f"image {_shown(src)} cannot be read: {exc.strerror or exc}"
