"""A small key-value store in one SQLite file: bytes by key, in named tables. It knows nothing
of what it holds.

Only ever a shortcut: a missing, corrupt, locked, read-only or foreign database reads as
empty and is replaced (or left alone) when saving, never an error. New entries are queued,
handed to SQLite in one open transaction as the queue grows, and committed by `save`, so the
file changes all at once or not at all.

Two kinds of table, named by the caller:
- memo tables keep what the last build used, and drop the rest once it outnumbers that;
- log tables keep the `keep` most recently written entries.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

DATABASE = "cache.sqlite"
SCHEMA = 3
_BATCH = 500  # keys per SELECT: far below SQLite's limit on bound parameters
_FLUSH_BYTES = 8 << 20  # queued entries handed to SQLite at a time
# Written inside the folder so backup tools skip it (https://bford.info/cachedir/).
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# build-deck's cache: safe to delete. See https://bford.info/cachedir/\n"
)


TAG = "CACHEDIR.TAG"
_OURS = frozenset({TAG, DATABASE, f"{DATABASE}-journal", f"{DATABASE}-wal", f"{DATABASE}-shm"})


def _not_ours(folder: Path) -> str | None:
    """Why `folder` cannot be this cache (it holds other things), or None when it can."""
    if not folder.exists():
        return None
    if not folder.is_dir():
        return "it is not a folder"
    try:
        names = {entry.name for entry in os.scandir(folder)}
        tag = (folder / TAG).read_text(encoding="utf-8", errors="replace") if TAG in names else ""
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    if "build-deck" in tag or names <= _OURS:
        return None
    return "it holds other files (the cache lives only in a folder of its own)"


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    keep: int | None = None  # None: a memo table; a number: a log keeping that many


class Store:
    def __init__(self, folder: Path | None, tables: Sequence[Table], writable: bool = True) -> None:
        self.folder = folder
        self.tables = {table.name: table for table in tables}
        self.writable = writable and folder is not None
        self._db: sqlite3.Connection | None = None
        self._pending: dict[str, dict[bytes, bytes]] = {name: {} for name in self.tables}
        self._pending_bytes = 0
        self._used: dict[str, set[bytes]] = {name: set() for name in self.tables}
        self.refused = None if folder is None else _not_ours(folder)
        if self.refused is not None:  # never write into, or delete from, someone's folder
            self.folder, self.writable = None, False
        if self.folder is not None:
            self._db = self._connect(create=False)  # reading creates nothing

    @property
    def path(self) -> Path | None:
        return None if self.folder is None else self.folder / DATABASE

    @property
    def readable(self) -> bool:
        """Whether there is a database that may hold entries."""
        return self._db is not None

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        """The database; with `create`, a fresh one in place of a missing or foreign one."""
        path = self.path
        assert path is not None
        for attempt in range(2):
            if not create and not path.is_file():
                return None
            try:
                if create:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    self._tag()  # first: the folder is marked as this cache's before it holds it
                db = sqlite3.connect(path, timeout=5)
                if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
                    if not create:
                        db.close()
                        return None
                    self._create(db)
                for name in self.tables:  # all there, all readable
                    db.execute(f"SELECT 1 FROM {name} LIMIT 1").fetchall()
                return db
            except (sqlite3.Error, OSError):
                if attempt == 0 and create:  # corrupt or not ours: start over, it is a cache
                    path.unlink(missing_ok=True)
                    continue
                return None
        return None

    def _create(self, db: sqlite3.Connection) -> None:
        with db:
            for table in self.tables.values():
                db.execute(f"DROP TABLE IF EXISTS {table.name}")
                if table.keep is None:
                    columns = "key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID"
                else:  # the rowid orders a log's entries, newest last
                    columns = "id INTEGER PRIMARY KEY, key BLOB UNIQUE, value BLOB)"
                db.execute(f"CREATE TABLE {table.name} ({columns}")
            db.execute(f"PRAGMA user_version = {SCHEMA}")

    def _forget(self) -> None:
        """A database that fails mid-build is dropped: `save` starts a fresh one."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    # --- reading ------------------------------------------------------------------------

    def get_many(self, table: str, keys: Sequence[bytes]) -> Iterator[bytes | None]:
        """The value of every key, or None, in order, read a batch at a time.

        Batches, not one dictionary of everything: a large deck's entries are hundreds of
        megabytes, and each batch is let go before the next is read.
        """
        self._used[table].update(keys)
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
            for key in batch:
                yield found.pop(key, None)

    def get(self, table: str, key: bytes) -> bytes | None:
        return next(self.get_many(table, [key]))

    # --- writing ------------------------------------------------------------------------

    def put(self, table: str, key: bytes, value: bytes) -> None:
        """Queue an entry; past a few megabytes, hand the queue to SQLite uncommitted.

        Holding a cold build's entries in memory until `save` would double its peak memory
        (100,000 notes: 400 MB more).
        """
        if not self.writable:
            return
        self._pending[table][key] = value
        self._used[table].add(key)
        self._pending_bytes += len(value)
        if self._pending_bytes > _FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._db is None and self.folder is not None:
            self._db = self._connect(create=True)
        try:
            if self._db is None:
                raise sqlite3.OperationalError("no cache database")
            for name, rows in self._pending.items():
                # REPLACE deletes the old row first: a rewritten log entry becomes the newest.
                query = f"INSERT OR REPLACE INTO {name} (key, value) VALUES (?, ?)"
                self._db.executemany(query, rows.items())
        except sqlite3.Error:
            self.writable = False  # this build goes on without saving: it is only a cache
            if self._db is not None:
                self._db.rollback()
        for rows in self._pending.values():
            rows.clear()
        self._pending_bytes = 0

    def save(self) -> None:
        """Commit what was queued and prune. Failing costs only speed next time."""
        if not self.writable or self.folder is None:
            return
        self._flush()
        if not self.writable or self._db is None:
            return
        try:
            with self._db:
                for table in self.tables.values():
                    self._prune(table)
            self._tag()
        except (sqlite3.Error, OSError):
            return

    def _prune(self, table: Table) -> None:
        """Keep the store near the size of one build: edits must not grow it forever.

        A memo table drops entries this build did not use once they outnumber the used ones,
        so two content folders built from one working directory do not evict each other.
        """
        assert self._db is not None
        if table.keep is not None:
            self._db.execute(
                f"DELETE FROM {table.name} WHERE id <= (SELECT max(id) FROM {table.name}) - ?",
                (table.keep,),
            )
            return
        used = self._used[table.name]
        (count,) = self._db.execute(f"SELECT count(*) FROM {table.name}").fetchone()
        if count <= 2 * len(used) + 100:
            return
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key BLOB PRIMARY KEY)")
        self._db.execute("DELETE FROM used")
        self._db.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in used))
        self._db.execute(f"DELETE FROM {table.name} WHERE key NOT IN (SELECT key FROM used)")

    def _tag(self) -> None:
        assert self.folder is not None
        tag = self.folder / TAG
        if not tag.exists():
            tag.write_text(CACHEDIR_TAG, encoding="utf-8")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
