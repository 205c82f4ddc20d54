"""What the cache keys are made of: this tool's own code version, and running hashes."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path

_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "Pygments", "nh3", "PyYAML", "genanki", "anki")
_EDITION = 3  # raise to drop every cache entry written before


@cache
def code_version() -> str:
    """This package's source and its libraries' versions: any change invalidates every entry."""
    digest = hashlib.sha256(f"{_EDITION} {sys.version_info[:2]}".encode())
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    for library in _LIBRARIES:
        try:
            digest.update(f"{library}=={metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library} missing".encode())
    return digest.hexdigest()


def joined(parts: Iterable[str]) -> str:
    # Length-prefixed: no two different sequences of parts join to the same text.
    return "".join(f"{len(part)}:{part}" for part in parts)


def key(*parts: str) -> bytes:
    """A cache key: the code version and the parts, hashed."""
    return hashlib.sha256("\x1f".join((code_version(), *parts)).encode()).digest()


def content_hash(*parts: str) -> str:
    """A short hash of some text: what the ledger dates changes of."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def file_digest(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except (OSError, ValueError):
        return None


class Fingerprint:
    """A running hash of everything an output is made from, fed piece by piece (no big repr)."""

    def __init__(self, *parts: str) -> None:
        self._digest = hashlib.sha256(code_version().encode())
        self.add(*parts)

    def add(self, *parts: object) -> None:
        for part in parts:
            # Text as is (a repr of megabytes of Markdown costs more than hashing it), anything
            # else as its repr; tagged and length-prefixed, so no two sequences of parts agree.
            if isinstance(part, str):
                data = b"s" + part.encode("utf-8", "surrogatepass")
            else:
                data = b"r" + repr(part).encode("utf-8", "surrogatepass")
            self._digest.update(b"%d:" % len(data) + data)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()
