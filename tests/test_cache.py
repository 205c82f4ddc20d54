"""The build cache only ever saves time: with it, without it, or with a broken one, the same deck."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from deckbuilder import command as command_module
from deckbuilder import stages as stages_module
from deckbuilder import workers as workers_module
from deckbuilder.cli import DEFAULT_CACHE as DEFAULT_FOLDER
from deckbuilder.store import DATABASE

from .conftest import build, write

DECK = Path("dist") / "markdown-flashcards.apkg"
CACHE = DEFAULT_FOLDER / DATABASE
EPOCH = "1750000000"

NOTES = """\
# Cache

## Basics

### What is a tensor?

An n-dimensional array.

```python
import tensorflow as tf
x = tf.constant([1, 2, 3])
```

### What is a variable?

A mutable tensor ![plot](img/plot.png).

### Question: No answer yet
"""


@pytest.fixture
def deck(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    write(in_tmp / "content" / "a.md", NOTES)
    write(in_tmp / "content" / "b.md", "## What is b?\n\nB.\n\n| x | y |\n|---|---|\n| 1 | 2 |\n")
    (in_tmp / "content" / "img").mkdir()
    (in_tmp / "content" / "img" / "plot.png").write_bytes(b"\x89PNG first")
    return in_tmp


def _counting(
    monkeypatch: pytest.MonkeyPatch, name: str, module: object = stages_module
) -> list[object]:
    """Record every call of `module.<name>` (parse_file, render_note, plan_build)."""
    calls: list[object] = []
    original = getattr(module, name)

    def counted(item: object, *rest: object, **options: object) -> object:
        calls.append(item)
        return original(item, *rest, **options)

    monkeypatch.setattr(module, name, counted)
    return calls


def _fresh_build(folder: Path) -> bytes:
    """The package a build without any cache makes, from a clean ledger copy."""
    ledger = folder / "content" / "ledger.json"
    saved = ledger.read_bytes()
    assert build("--no-preview", "--no-cache", "--out", "fresh") == 0
    ledger.write_bytes(saved)
    return (folder / "fresh" / DECK.name).read_bytes()


def test_a_cached_rebuild_is_byte_identical(deck: Path, capsys) -> None:
    assert build("--no-preview") == 0
    assert (deck / CACHE).is_file() and (deck / DEFAULT_FOLDER / "CACHEDIR.TAG").is_file()
    first = (deck / DECK).read_bytes()
    (deck / DECK).unlink()  # the package must be written again, from cached renders
    capsys.readouterr()
    assert build("--no-preview") == 0
    assert (deck / DECK).read_bytes() == first == _fresh_build(deck)
    assert "wrote dist/markdown-flashcards.apkg: 3 notes" in capsys.readouterr().err


def test_nothing_is_parsed_or_rendered_again_when_nothing_changed(
    deck: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    assert build("--no-preview") == 0
    parsed, rendered = _counting(monkeypatch, "parse_file"), _counting(monkeypatch, "render_note")
    capsys.readouterr()
    assert build("--no-preview") == 0
    assert (parsed, rendered) == ([], [])
    err = capsys.readouterr().err
    # The warning about the unanswered question comes from the cache as it came from the parser.
    assert "content/a.md:18: warning: question has no answer; not added" in err
    assert "dist/markdown-flashcards.apkg unchanged: 3 notes" in err


def test_a_changed_note_is_rendered_again_and_only_it(
    deck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert build("--no-preview") == 0
    rendered = _counting(monkeypatch, "render_note")
    source = deck / "content" / "a.md"
    source.write_text(NOTES.replace("An n-dimensional array.", "A typed n-dimensional array."))
    assert build("--no-preview") == 0
    assert [note.key for note in rendered] == ["what is a tensor?"]  # type: ignore[attr-defined]
    assert b"A typed n-dimensional array." in _collection(deck / DECK)
    assert (deck / DECK).read_bytes() == _fresh_build(deck)


def test_a_changed_image_is_rendered_again(deck: Path) -> None:
    assert build("--no-preview") == 0
    before = (deck / DECK).read_bytes()
    (deck / "content" / "img" / "plot.png").write_bytes(b"\x89PNG second")
    assert build("--no-preview") == 0
    assert (deck / DECK).read_bytes() != before
    assert (deck / DECK).read_bytes() == _fresh_build(deck)


def test_a_deleted_image_is_an_error_even_when_its_note_was_cached(deck: Path, capsys) -> None:
    assert build("--no-preview") == 0
    (deck / "content" / "img" / "plot.png").unlink()
    capsys.readouterr()
    assert build("--no-preview") == 1
    assert "content/a.md:16: error: image not found: img/plot.png" in capsys.readouterr().err


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda db: db.write_bytes(b"not a database at all"), id="garbage-file"),
        pytest.param(lambda db: db.write_bytes(db.read_bytes()[:3000]), id="truncated"),
        pytest.param(lambda db: db.unlink(), id="deleted"),
        pytest.param(lambda db: _sql(db, "UPDATE rendered SET value = x'00ff'"), id="bad-renders"),
        pytest.param(lambda db: _sql(db, "UPDATE parsed SET value = '[1, 2'"), id="bad-parses"),
        pytest.param(lambda db: _sql(db, "DROP TABLE outputs"), id="missing-table"),
        pytest.param(lambda db: _sql(db, "PRAGMA user_version = 99"), id="other-schema"),
    ],
)
def test_a_damaged_or_missing_cache_is_harmless(deck: Path, damage) -> None:
    assert build("--no-preview") == 0
    first = (deck / DECK).read_bytes()
    (deck / DECK).unlink()
    damage(deck / CACHE)
    assert build("--no-preview") == 0
    assert (deck / DECK).read_bytes() == first
    assert build("--no-preview") == 0  # and the cache it leaves behind works again
    assert (deck / DECK).read_bytes() == first


def test_a_package_changed_by_hand_is_written_again(deck: Path) -> None:
    assert build("--no-preview") == 0
    first = (deck / DECK).read_bytes()
    (deck / DECK).write_bytes(b"something else")
    assert build("--no-preview") == 0
    assert (deck / DECK).read_bytes() == first


def test_check_and_no_cache_write_no_cache(deck: Path) -> None:
    assert build("--check") == 0
    assert build("--no-preview", "--no-cache") == 0
    assert not (deck / DEFAULT_FOLDER).exists()
    assert build("--no-preview", "--cache", "elsewhere") == 0
    assert (deck / "elsewhere" / DATABASE).is_file()


def test_workers_render_exactly_what_one_process_renders(
    deck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert build("--no-preview", "--no-cache") == 0
    serial = (deck / DECK).read_bytes()
    (deck / "content" / "ledger.json").unlink()
    monkeypatch.setattr(stages_module, "PARALLEL_RENDER_NOTES", 0)
    monkeypatch.setattr(stages_module, "PARALLEL_PARSE_CHARS", 0)
    monkeypatch.setattr(workers_module, "cores", lambda: 2)
    assert build("--no-preview", "--no-cache") == 0
    assert (deck / DECK).read_bytes() == serial


def _sql(db: Path, statement: str) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute(statement)
    connection.close()


def _collection(package: Path) -> bytes:
    import zipfile

    with zipfile.ZipFile(package) as archive:
        return archive.read("collection.anki2")


def _full_path(deck: Path) -> None:
    """Forget recorded builds, so the next build parses, renders and reconciles (from cache)."""
    _sql(deck / CACHE, "DELETE FROM builds")


@pytest.mark.parametrize("options", [(), ("--strict",), ("--frozen",)], ids=str)
def test_an_unchanged_build_is_replayed_exactly_as_the_full_build_reports_it(
    deck: Path, monkeypatch: pytest.MonkeyPatch, capsys, options: tuple[str, ...]
) -> None:
    assert build() == 0
    capsys.readouterr()
    planned = _counting(monkeypatch, "plan_build", command_module)
    replayed = build(*options), capsys.readouterr().err
    assert planned == []  # replayed: nothing was even read into notes
    _full_path(deck)
    assert (build(*options), capsys.readouterr().err) == replayed
    assert planned != []
    if options == ("--strict",):
        assert replayed[0] == 1 and "build failed: 1 error" in replayed[1]
    else:
        assert replayed[0] == 0 and "dist/preview.html unchanged: 3 cards" in replayed[1]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda deck: (deck / "templates" / "style.css").write_text("p {}"), id="css"),
        pytest.param(
            lambda deck: write(deck / "pyproject.toml", '[tool.build-deck]\ndescription = "d"\n'),
            id="config",
        ),
        pytest.param(
            lambda deck: (deck / "content" / "ledger.json").write_text(
                (deck / "content" / "ledger.json").read_text().replace("\n", "\n ", 1)
            ),
            id="ledger-layout",
        ),
        pytest.param(
            lambda deck: write(deck / "content" / "c.md", "## What is c?\n\nC.\n"), id="new-file"
        ),
        pytest.param(lambda deck: (deck / "content" / "b.md").unlink(), id="removed-file"),
        pytest.param(lambda deck: (deck / DECK).unlink(), id="package-deleted"),
    ],
)
def test_any_change_to_what_a_build_reads_or_wrote_takes_the_full_path(
    deck: Path, monkeypatch: pytest.MonkeyPatch, change
) -> None:
    assert build("--no-preview") == 0
    change(deck)
    planned = _counting(monkeypatch, "plan_build", command_module)
    assert build("--no-preview") == 0
    assert planned != []
    assert (deck / DECK).read_bytes() == _fresh_build(deck)


def test_entries_written_during_a_build_count_only_once_it_is_saved(
    deck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deckbuilder import store as store_module
    from deckbuilder.build import plan_build
    from deckbuilder.config import DeckConfig
    from deckbuilder.replay import STORE_TABLES
    from deckbuilder.request import BuildRequest
    from deckbuilder.stages import make_stages
    from deckbuilder.workers import Workers

    monkeypatch.setattr(store_module, "_FLUSH_BYTES", 0)  # every entry goes to SQLite at once

    def plan(save: bool) -> int:
        store = store_module.Store(deck / "cache", STORE_TABLES)
        request = BuildRequest(deck / "content", deck / "templates", deck / "l.json",
                               DeckConfig(), 1)  # fmt: skip
        with Workers() as workers:
            plan_build(request, make_stages(store, workers))
        if save:
            store.save()
        store.close()
        with sqlite3.connect(deck / "cache" / DATABASE) as db:
            (count,) = db.execute("SELECT count(*) FROM rendered").fetchone()
        db.close()
        return count

    assert plan(save=False) == 0  # a build that dies leaves the cache as it was
    assert plan(save=True) == 3
