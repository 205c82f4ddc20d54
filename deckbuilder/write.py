"""The one step that writes: package, ledger and preview, each complete or not at all.

Everything is made first, in scratch files beside its target, and only then renamed into
place, package first: a build that fails while making the preview has written nothing, and
one killed between renames leaves the old files or the new ones, each whole. An output the
store knows to hold these very bytes already is not made again.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .fingerprint import Fingerprint, file_digest
from .ledger import Ledger
from .ledger_file import write_ledger
from .package import SCRATCH_PREFIX, Package, remove_stale_scratch, write_package_file
from .preview import card_count, write_preview
from .progress import Progress
from .replay import is_current, wrote
from .request import Targets, preview_key
from .reuse import Reuse
from .store import Store


@dataclass(frozen=True, slots=True)
class Written:
    package: bool  # False: it already held these bytes
    preview: bool
    preview_cards: int
    fingerprint: str


def _fields_digest(fields: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for value in fields:
        digest.update(b"%d:" % len(value) + value.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


_FIELDS: Reuse[tuple[str, ...], str] = Reuse()  # a watching build's unchanged notes' fields


def package_fingerprint(package: Package, stored: bool = False) -> str:
    """Everything the .apkg is made from: the same fingerprint means the same bytes."""
    fingerprint = Fingerprint("package", "stored" if stored else "deflated")
    for item in dataclasses.fields(package):
        if item.name not in ("notes", "media"):
            fingerprint.add(item.name, getattr(package, item.name))
    for note in package.notes:  # piece by piece: one repr of 100,000 notes would be huge
        cards = ",".join(f"{card.ord}:{card.card_id}" for card in note.cards)
        digest = _FIELDS.get(note.fields, _fields_digest)
        tags = " ".join(note.tags)
        ids = f"{note.guid}\x1f{note.note_id}\x1f{note.note_type_id}\x1f{note.deck_id}"
        fingerprint.add(f"{ids}\x1f{note.modified}\x1f{cards}\x1f{digest}\x1f{tags}")
    _FIELDS.done()
    for media in package.media:  # the bytes, not just the name: they are what gets zipped
        fingerprint.add(media, file_digest(media.source))
    return fingerprint.hexdigest()


@contextmanager
def _making(target: Path) -> Iterator[None]:
    """A failure while a file is made is told as a failure to write its target (not as one
    of a scratch file or of SQLite's: a full disk is a full disk)."""
    try:
        yield
    except sqlite3.Error as exc:
        raise OSError(errno.EIO, f"cannot write it ({exc})", str(target)) from exc
    except OSError as exc:
        if exc.filename is not None and str(exc.filename) == str(target):
            raise
        reason = exc.strerror or str(exc)
        raise OSError(exc.errno or errno.EIO, reason, str(target)) from exc


def _check_target(path: Path) -> None:
    """A target that cannot be replaced by a file fails now, before anything is renamed."""
    if path.is_dir() and not path.is_symlink():
        raise IsADirectoryError(21, "is a folder, not a file", str(path))


def write_outputs(
    package: Package,
    ledger: Ledger | None,  # None: unchanged, not written
    targets: Targets,
    store: Store,
    deck_name: str,
    progress: Progress,
    stored: bool = False,  # the package's collection not compressed: `--watch`, for speed
) -> Written:
    fingerprint = package_fingerprint(package, stored)
    out = targets.package.parent
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is not a folder", str(out))
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_scratch(out)
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=out) as scratch_name:
        scratch = Path(scratch_name)
        new_package: Path | None = None
        if not is_current(store, targets.package, fingerprint):
            _check_target(targets.package)
            progress.stage("writing the package")
            with _making(targets.package):
                new_package = write_package_file(package, scratch, targets.package.name, stored)
        page: Path | None = None
        cards = 0
        if targets.preview is not None and (
            new_package is not None
            or not is_current(store, targets.preview, preview_key(fingerprint))
        ):
            _check_target(targets.preview)
            progress.stage("the preview")
            page = scratch / targets.preview.name
            with _making(targets.preview), page.open("w", encoding="utf-8", newline="\n") as text:
                cards = write_preview(package, deck_name, text)
        elif targets.preview is not None:
            cards = card_count(package)
        progress.clear()
        if new_package is not None:
            os.replace(new_package, targets.package)
            wrote(store, targets.package, fingerprint)
        if ledger is not None:  # after the package: a crash in between only repeats this update
            write_ledger(targets.ledger, ledger)
        if page is not None and targets.preview is not None:
            targets.preview.parent.mkdir(parents=True, exist_ok=True)
            os.replace(page, targets.preview)
            wrote(store, targets.preview, preview_key(fingerprint))
    return Written(new_package is not None, page is not None, cards, fingerprint)
