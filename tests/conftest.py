"""Shared test helpers: paths, building into a temp folder, reading packages with real Anki."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = ROOT.parent / "shared" / "seeds"


pytest_plugins = ["tests.browsing", "tests.anki_mathjax"]  # browser fixtures, for every module


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-fixtures",
        action="store_true",
        help="rewrite expected fixture output from the current code (review the diff!)",
    )


@pytest.fixture
def update_fixtures(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-fixtures"))


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run in an empty folder holding a copy of the project's templates."""
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    (tmp_path / "content").mkdir()
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def require_seeds() -> Path:
    """The product owner's sources; CI always has them beside the clone, so there it must fail."""
    if not SEEDS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SEEDS} is missing: CI must have ../shared beside the checkout")
        pytest.skip("../shared/seeds is not beside the checkout")
    return SEEDS


@pytest.fixture
def seeds() -> Path:
    return require_seeds()


def build(*args: str) -> int:
    """Run the real command line in-process, as `python build_deck.py ARGS` would."""
    from deckbuilder.cli import main

    return main(list(args))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def import_into_anki(package: Path, collection: Path) -> list[dict[str, object]]:
    """Import with Anki's default options into a real collection; return notes as Anki sees them."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    col = Collection(str(collection))
    try:
        col.import_anki_package(
            ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions())
        )
        notes = []
        for note_id in sorted(col.find_notes("")):
            note = col.get_note(note_id)
            notes.append(
                {
                    "guid": note.guid,
                    "fields": dict(note.items()),
                    "tags": sorted(note.tags),
                    "notetype": note.note_type()["name"],  # type: ignore[index]
                    "decks": sorted({col.decks.name(c.did) for c in note.cards()}),
                    "mod": note.mod,
                }
            )
        return notes
    finally:
        col.close()
