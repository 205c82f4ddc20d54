"""The build cache: parsed files, rendered notes, written outputs and whole builds, so
unchanged work is skipped.

One SQLite file in a cache folder (default `.cache/build-deck/` in the working directory),
changed in one transaction per build step, so it is never half-written. It is only ever a
shortcut: delete it at any time; a missing, corrupt, locked or outdated cache makes a build
slower, never different. Every key starts with a version made of this package's own source
code and the versions of the libraries it calls, so a code change or an upgrade simply misses.
Entries are JSON, never pickle: a cache file planted in a content repository cannot run code.

What a key covers, and why that is enough:
- a parsed file: every field of its `SourceFile` (path, name shown in messages, text);
- a rendered note: every field of its `SourceNote` but the line numbers, the folder its images
  are resolved from, and the content folder. Only renders without a single diagnostic are kept
  (line numbers matter only to messages), and each keeps the SHA-256 of every image it
  packaged, checked again on every hit, so a changed or deleted image is rendered anew;
- a written output: a fingerprint of everything it was made from, and the SHA-256 of the file
  as written, so a package that was replaced or touched by hand is written again;
- a whole build (`Replay`): everything it read (sources, templates, configuration, the ledger
  it left behind, its images) and the output it wrote; see `cli._replay`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, is_dataclass
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic
from .discover import SourceFile
from .parse import ParsedFile, SourceNote
from .render import MediaFile, RenderedNote

DEFAULT_FOLDER = Path(".cache") / "build-deck"
DATABASE = "cache.sqlite"
SCHEMA = 2
_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "Pygments", "nh3", "PyYAML", "genanki", "anki")
_LINE_FIELDS = frozenset({"line", "detail_line", "answer_line"})
_TABLES = ("parsed", "rendered")
_BATCH = 500  # keys per SELECT: far below SQLite's limit on bound parameters
_FLUSH_BYTES = 8 << 20  # queued entries handed to SQLite at a time
_KEEP_BUILDS = 20  # replay records: one per content folder, output and ledger in use


@dataclass(frozen=True, slots=True)
class Replay:
    """What a successful build reported, to report again when nothing it read has changed."""

    diagnostics: tuple[Diagnostic, ...]
    notes: int  # with a card
    tags: int
    media: int
    package: str  # fingerprint of the package it wrote
    images: tuple[tuple[str, str], ...]  # (path, SHA-256) of every image it packaged


# The only classes an entry can hold: JSON, not pickle, so a planted cache file cannot run code.
_CLASSES = {cls.__name__: cls for cls in (ParsedFile, SourceNote, Diagnostic, MediaFile, Replay)}
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# build-deck's cache: safe to delete. See https://bford.info/cachedir/\n"
)


@cache
def code_version() -> str:
    """This package's source and its libraries' versions: any change invalidates every entry."""
    digest = hashlib.sha256(f"{SCHEMA} {sys.version_info[:2]}".encode())
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    for library in _LIBRARIES:
        try:
            digest.update(f"{library}=={metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library} missing".encode())
    return digest.hexdigest()


def _joined(parts: Iterable[str]) -> str:
    # Length-prefixed: no two different sequences of parts join to the same text.
    return "".join(f"{len(part)}:{part}" for part in parts)


def _key(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join((code_version(), *parts)).encode()).digest()


def file_digest(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
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


class BuildCache:
    """Lookups read the database; new entries are queued, handed to SQLite in one open
    transaction as the queue grows, and committed by `save`. `writable=False` (`--check`)
    reads only."""

    def __init__(self, folder: Path | None, writable: bool = True) -> None:
        self.folder = folder
        self.writable = writable and folder is not None
        self._pending_bytes = 0
        self._db: sqlite3.Connection | None = None
        self._pending: dict[str, dict[bytes, bytes]] = {table: {} for table in _TABLES}
        self._used: dict[str, set[bytes]] = {table: set() for table in _TABLES}
        self._outputs: dict[str, tuple[str, str]] = {}
        self._builds: dict[str, bytes] = {}
        self._keys: dict[int, tuple[object, bytes]] = {}  # holds the item: its id stays its own
        self._parents: dict[Path, str] = {}
        self._reprs: dict[Path, str] = {}
        self._images: dict[Path, str | None] = {}
        if folder is not None:
            self._db = self._connect(folder / DATABASE, create=False)  # reading creates nothing

    # --- the database -------------------------------------------------------------------

    @staticmethod
    def _connect(path: Path, create: bool) -> sqlite3.Connection | None:
        """The database; with `create`, a fresh one in place of a missing or corrupt one.

        None when there is none to read, or it cannot be had (read-only folder, locked).
        """
        for attempt in range(2):
            if not create and not path.is_file():
                return None
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(path, timeout=5)
                if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
                    if not create:
                        db.close()
                        return None
                    _create(db)
                for table in (*_TABLES, "outputs", "builds"):  # all there, all readable
                    db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchall()
                return db
            except (sqlite3.Error, OSError):
                if attempt == 0 and create:  # corrupt or not ours: start over, it is a cache
                    path.unlink(missing_ok=True)
                    continue
                return None
        return None

    def _select(self, table: str, keys: Sequence[bytes]) -> Iterator[tuple[int, bytes | None]]:
        """(index in `keys`, value or None) for every key, a batch at a time.

        Batches, not one dictionary of everything: a large deck's entries are hundreds of
        megabytes, and each is decoded and dropped before the next batch is read.
        """
        for start in range(0, len(keys), _BATCH):
            batch = keys[start : start + _BATCH]
            found: dict[bytes, bytes] = {}
            if self._db is not None:
                marks = ",".join("?" * len(batch))
                query = f"SELECT key, value FROM {table} WHERE key IN ({marks})"
                try:
                    found = dict(self._db.execute(query, batch).fetchall())
                except sqlite3.Error:
                    self._forget()
            for offset, key in enumerate(batch):
                yield start + offset, found.pop(key, None)

    def _forget(self) -> None:
        """A database that fails mid-build is dropped: `save` starts a fresh one."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if self.folder is not None:
            (self.folder / DATABASE).unlink(missing_ok=True)

    # --- keys -------------------------------------------------------------------------------

    def _remember(self, item: object, key: bytes) -> bytes:
        # A miss is stored under the key its lookup computed: hashing every note twice
        # would cost a cold build a tenth of a second per 10,000 notes.
        self._keys[id(item)] = (item, key)
        return key

    def _known(self, item: object) -> bytes | None:
        found = self._keys.pop(id(item), None)
        return found[1] if found is not None and found[0] is item else None

    # --- parsed files ---------------------------------------------------------------------

    def _file_key(self, source: SourceFile) -> bytes:
        return _key("parsed", _joined(self._text(getattr(source, f.name)) for f in fields(source)))

    def parsed(self, sources: Sequence[SourceFile]) -> list[ParsedFile | None]:
        """Each file's parse as cached, or None."""
        keys = [self._remember(source, self._file_key(source)) for source in sources]
        self._used["parsed"].update(keys)
        found = [_load(value, ParsedFile) for _, value in self._select("parsed", keys)]
        self._forget_hits(sources, found)
        return found

    def store_parsed(self, source: SourceFile, parsed: ParsedFile) -> None:
        value = _dump(parsed)
        if value is not None:
            self._stage("parsed", self._known(source) or self._file_key(source), value)

    # --- rendered notes -------------------------------------------------------------------

    def _parent(self, path: Path) -> str:
        # Memoised: resolving is a system call per path component, and 100 notes share a file.
        if path not in self._parents:
            self._parents[path] = str(path.resolve())
        return self._parents[path]

    def _note_key(self, note: SourceNote, root: Path) -> bytes:
        parts = (
            self._text(getattr(note, f.name)) for f in fields(note) if f.name not in _LINE_FIELDS
        )
        return _key("rendered", self._parent(root), self._parent(note.path.parent), _joined(parts))

    def _text(self, value: object) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, Path):  # 100 notes share a file's Path: its repr once, not 100 times
            if value not in self._reprs:
                self._reprs[value] = repr(value)
            return self._reprs[value]
        return repr(value)

    def _image(self, path: Path) -> str | None:
        if path not in self._images:
            self._images[path] = file_digest(path)
        return self._images[path]

    def _revive(self, value: bytes | None, note: SourceNote) -> RenderedNote | None:
        entry = _load(value, dict)
        if entry is None:
            return None
        try:
            if any(self._image(Path(path)) != digest for path, digest in entry["images"]):
                return None
            return RenderedNote(note=note, **entry["parts"])
        except (KeyError, TypeError, ValueError):
            return None

    def rendered(self, notes: Sequence[SourceNote], root: Path) -> Iterator[RenderedNote | None]:
        """Each note's rendering as cached (still valid for its images), or None, in order.

        A generator: the caller can let each note's Markdown go before the next is read.
        """
        keys = [self._remember(note, self._note_key(note, root)) for note in notes]
        self._used["rendered"].update(keys)
        for index, value in self._select("rendered", keys):
            hit = self._revive(value, notes[index])
            if hit is not None:  # only misses are stored later
                del self._keys[id(notes[index])]
            yield hit

    def _forget_hits(self, items: Sequence[object], found: Sequence[object | None]) -> None:
        for item, hit in zip(items, found, strict=True):  # only misses are stored later
            if hit is not None:
                del self._keys[id(item)]

    def store_rendered(self, rendered: RenderedNote, root: Path) -> None:
        """Keep a rendering that had no diagnostics (the caller checks that)."""
        parts = {f.name: getattr(rendered, f.name) for f in fields(rendered) if f.name != "note"}
        images = []
        for media in rendered.media:
            digest = self._image(media.source)
            # Media are named by their content hash: a name that is not this digest's means
            # the image changed while it was rendered (or the naming did): keep nothing.
            if digest is None or not media.name.startswith(digest[:16]):
                return
            images.append((str(media.source), digest))
        value = _dump({"parts": parts, "images": images})
        if value is not None:
            note = rendered.note
            self._stage("rendered", self._known(note) or self._note_key(note, root), value)

    # --- outputs --------------------------------------------------------------------------

    def is_current(self, target: Path, fingerprint: str) -> bool:
        """True when `target` is exactly the file a build with this fingerprint wrote."""
        if self._db is None:
            return False
        try:
            row = self._db.execute(
                "SELECT fingerprint, digest FROM outputs WHERE path = ?", (_where(target),)
            ).fetchone()
        except sqlite3.Error:
            self._forget()
            return False
        return row is not None and row[0] == fingerprint and file_digest(target) == row[1]

    def wrote(self, target: Path, fingerprint: str) -> None:
        digest = file_digest(target)
        if digest is not None:
            self._outputs[_where(target)] = (fingerprint, digest)

    # --- whole builds ---------------------------------------------------------------------

    @property
    def has_records(self) -> bool:
        """Whether there is a database that may hold a build to replay."""
        return self._db is not None

    def replay(self, key: str) -> Replay | None:
        """The recorded build with this key, if every image it packaged is still the same."""
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM builds WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            self._forget()
            return None
        replay = _load(row[0] if row else None, Replay)
        if replay is None or any(self._image(Path(p)) != d for p, d in replay.images):
            return None
        return replay

    def record(self, key: str, replay: Replay) -> None:
        value = _dump(replay)
        if value is not None:
            self._builds[key] = value

    # --- saving ---------------------------------------------------------------------------

    def _stage(self, table: str, key: bytes, value: bytes) -> None:
        """Queue an entry; past a few megabytes, hand the queue to SQLite uncommitted.

        Holding a cold build's entries in memory until `save` would double its peak memory
        (100,000 notes: 400 MB more). Written entries stay in an open transaction, so the
        cache still changes all at once at `save`, or not at all if the build dies.
        """
        if not self.writable:
            return
        self._pending[table][key] = value
        self._pending_bytes += len(value)
        if self._pending_bytes > _FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._db is None and self.folder is not None:
            self._db = self._connect(self.folder / DATABASE, create=True)
        try:
            if self._db is None:
                raise sqlite3.OperationalError("no cache database")
            for table in _TABLES:
                rows = self._pending[table].items()
                self._db.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", rows)
        except sqlite3.Error:
            self.writable = False  # this build goes on without saving: it is only a cache
            if self._db is not None:
                self._db.rollback()
        for table in _TABLES:
            self._pending[table].clear()
        self._pending_bytes = 0

    def save(self) -> None:
        """Commit this build's new entries in one transaction and drop long-unused ones.

        Failing to save (a read-only folder, a locked database) costs only speed next time.
        """
        if not self.writable or self.folder is None:
            return
        self._flush()
        if not self.writable or self._db is None:
            return
        try:
            with self._db:
                for table in _TABLES:
                    self._prune(table)
                outputs = ((path, *entry) for path, entry in self._outputs.items())
                self._db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?)", outputs)
                self._save_builds()
            _tag(self.folder)
        except (sqlite3.Error, OSError):
            return
        self._outputs.clear()
        self._builds.clear()

    def _save_builds(self) -> None:
        assert self._db is not None
        for key, value in self._builds.items():
            self._db.execute("DELETE FROM builds WHERE key = ?", (key,))  # newest gets the top id
            self._db.execute("INSERT INTO builds (key, value) VALUES (?, ?)", (key, value))
        self._db.execute(
            "DELETE FROM builds WHERE id <= (SELECT max(id) FROM builds) - ?", (_KEEP_BUILDS,)
        )

    def _prune(self, table: str) -> None:
        """Keep the cache near the size of one build: edits must not grow it forever.

        Entries this build did not use are dropped once they outnumber the used ones, so two
        content folders built from one working directory do not keep evicting each other.
        """
        assert self._db is not None
        used = self._used[table]
        (count,) = self._db.execute(f"SELECT count(*) FROM {table}").fetchone()
        if count <= 2 * len(used) + 100:
            return
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key BLOB PRIMARY KEY)")
        self._db.execute("DELETE FROM used")
        self._db.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in used))
        self._db.execute(f"DELETE FROM {table} WHERE key NOT IN (SELECT key FROM used)")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _create(db: sqlite3.Connection) -> None:
    with db:
        for table in (*_TABLES, "outputs", "builds"):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        for table in _TABLES:
            db.execute(f"CREATE TABLE {table} (key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID")
        db.execute("CREATE TABLE outputs (path TEXT PRIMARY KEY, fingerprint TEXT, digest TEXT)")
        db.execute("CREATE TABLE builds (id INTEGER PRIMARY KEY, key TEXT UNIQUE, value BLOB)")
        db.execute(f"PRAGMA user_version = {SCHEMA}")


def _tag(folder: Path) -> None:
    # Backup tools skip folders tagged like this (https://bford.info/cachedir/).
    tag = folder / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text(_CACHEDIR_TAG, encoding="utf-8")


def _where(target: Path) -> str:
    return os.path.abspath(target)


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, tuple):
        return {"t": [_encode(item) for item in value]}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, Path):
        return {"p": str(value)}
    if isinstance(value, dict):
        return {"m": {str(key): _encode(item) for key, item in value.items()}}
    if is_dataclass(value) and _CLASSES.get(type(value).__name__) is type(value):
        # Values in field order, names once: the field list is part of the code version.
        return {
            "d": type(value).__name__,
            "f": [_encode(getattr(value, f.name)) for f in fields(value)],
        }
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "t" in value:
        return tuple(_decode(item) for item in value["t"])
    if "p" in value:
        return _path(value["p"])
    if "m" in value:
        return {key: _decode(item) for key, item in value["m"].items()}
    # Most values are text: decoded inline, as recursing for each would double the cost.
    return _CLASSES[value["d"]](*[i if type(i) is str else _decode(i) for i in value["f"]])


@lru_cache(maxsize=1024)
def _path(text: str) -> Path:
    return Path(text)  # shared, as when parsed: a file's notes all hold one Path


def _dump(value: Any) -> bytes | None:
    """The entry as JSON, or None when it holds something the cache does not know."""
    try:
        return json.dumps(_encode(value), ensure_ascii=False, separators=(",", ":")).encode()
    except (TypeError, ValueError):
        return None


def _load(value: bytes | None, kind: type) -> Any:
    """A decoded entry of the expected type, or None for a missing or unreadable one."""
    if value is None:
        return None
    try:
        entry = _decode(json.loads(value))
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None  # damaged, or written for classes that have changed since: a miss
    return entry if isinstance(entry, kind) else None
