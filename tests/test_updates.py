"""Updates that land: real Anki collections, Anki's default import options, a real sync server."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

from .conftest import build, write

DECK = "dist/markdown-flashcards.apkg"
DAY = 86_400
T1 = 1_750_000_000

V1_A = """\
# Basics

## Tensors

### What is a tensor?

An n-dimensional array with a dtype and a shape.

### What does `tf.constant` create?

An immutable tensor.

### What is broadcasting?

Stretching size-1 dimensions so shapes line up.

## Variables

### What is a `tf.Variable`?

A mutable tensor that training updates.

### What does `assign_add` do?

Adds to a variable in place.
"""

V1_B = """\
# Training

### What does `fit` do?

Runs the training loop.
"""


def _v2(a: str, b: str) -> tuple[str, str]:
    """The edits of the scenario: one answer, one rewording, one move, one deletion, one addition."""
    a = a.replace("An immutable tensor.", "An immutable tensor from a Python value or array.")
    a = a.replace("### What is broadcasting?", "### How does broadcasting line up shapes?")
    moved = "### What does `assign_add` do?\n\nAdds to a variable in place.\n"
    a = a.replace(moved, "")
    a = a.replace("### What is a `tf.Variable`?\n\nA mutable tensor that training updates.\n", "")
    b = b + "\n" + moved + "\n### What does `evaluate` return?\n\nThe loss and metrics.\n"
    return a, b


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    """Build as if at a given time (SOURCE_DATE_EPOCH), so days can pass within a test."""

    def build_at(when: int, *args: str) -> None:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(when))
        assert build(*args) == 0

    return build_at


def _import(col: Collection, package: Path) -> None:
    col.import_anki_package(
        ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions())
    )


def _notes(col: Collection) -> dict[str, dict[str, object]]:
    notes = {}
    for note_id in col.find_notes(""):
        note = col.get_note(note_id)
        notes[note.guid] = {"fields": dict(note.items()), "tags": note.tags, "mod": note.mod}
    return notes


def _scheduling(col: Collection) -> dict[str, tuple[object, ...]]:
    """Per note GUID: its card's scheduling state and review log."""
    state = {}
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        log = col.db.list("select id from revlog where cid = ? order by id", card_id)
        state[card.note().guid] = (card.id, card.did, card.type, card.queue, card.due,
                                   card.ivl, card.reps, card.lapses, tuple(log))  # fmt: skip
    return state


def _review(col: Collection, count: int) -> None:
    col.decks.select(col.decks.id_for_name("Markdown Flashcards"))  # type: ignore[arg-type]
    for _ in range(count):
        card = col.sched.getCard()
        assert card is not None
        card.start_timer()
        col.sched.answerCard(card, 3)


def _css_on_disk(path: Path) -> str:
    """The note type's CSS as a freshly opened app sees it (`col.models` caches note types)."""
    col = Collection(str(path))
    try:
        notetype = col.models.by_name("Markdown Flashcards (build-deck Q&A)")
        assert notetype is not None
        return str(notetype["css"])
    finally:
        col.close()


def _by_question(notes: dict[str, dict[str, object]]) -> dict[str, str]:
    return {n["fields"]["Question"]: guid for guid, n in notes.items()}  # type: ignore[index]


def test_edits_reach_anki_and_review_history_survives(in_tmp: Path, at, capsys) -> None:
    a = write(in_tmp / "content" / "a.md", V1_A)
    b = write(in_tmp / "content" / "b.md", V1_B)
    at(T1)
    col = Collection(str(in_tmp / "desktop.anki2"))
    try:
        _import(col, in_tmp / DECK)
        _review(col, 4)
        before_notes, before_cards = _notes(col), _scheduling(col)
        assert len(before_notes) == 6
        assert sum(len(s[-1]) for s in before_cards.values()) == 4  # the review log has entries
        guid = _by_question(before_notes)

        new_a, new_b = _v2(V1_A, V1_B)
        a.write_text(new_a)
        b.write_text(new_b)
        capsys.readouterr()
        at(T1 + DAY)
        summary = capsys.readouterr().err
        assert "notes: 1 new, 1 changed, 2 unchanged, 2 reworded/moved, 1 removed" in summary
        assert "reworded: content/a.md:13: was 'what is broadcasting?', same note" in summary
        assert "moved: content/b.md:7: was in a.md, same note" in summary
        _import(col, in_tmp / DECK)
        after_notes, after_cards = _notes(col), _scheduling(col)
    finally:
        col.close()

    questions = [n["fields"]["Question"] for n in after_notes.values()]
    assert len(questions) == len(set(questions)) == 7  # 6 current + 1 removed, no duplicates
    edited = after_notes[guid["What does <code>tf.constant</code> create?"]]
    assert edited["fields"]["Answer"] == "<p>An immutable tensor from a Python value or array.</p>"
    reworded = after_notes[guid["What is broadcasting?"]]
    assert reworded["fields"]["Question"] == "How does broadcasting line up shapes?"
    moved = after_notes[guid["What does <code>assign_add</code> do?"]]
    assert moved["fields"]["Source"] == "b.md:7"
    removed_guid = guid["What is a <code>tf.Variable</code>?"]
    # Every surviving card keeps its scheduling and review log, the removed one included.
    assert after_cards == before_cards | {
        g: s for g, s in after_cards.items() if g not in before_cards
    }
    assert set(before_cards) <= set(after_cards)
    unchanged = [guid["What is a tensor?"], guid["What does <code>fit</code> do?"]]
    for g in unchanged:
        assert after_notes[g]["mod"] == before_notes[g]["mod"] == T1

    col = Collection(str(in_tmp / "desktop.anki2"))
    try:
        found = [col.get_note(n).guid for n in col.find_notes("tag:build-deck::removed")]
    finally:
        col.close()
    assert found == [removed_guid]
    assert "removed from the deck" in after_notes[removed_guid]["fields"]["Answer"]


def test_first_import_gets_no_removed_note_to_study(in_tmp: Path, at) -> None:
    a = write(in_tmp / "content" / "a.md", V1_A)
    at(T1)
    a.write_text(V1_A.replace("### What is broadcasting?\n\nStretching", "### Gone?\n\nNew"))
    at(T1 + DAY)
    col = Collection(str(in_tmp / "fresh.anki2"))
    try:
        _import(col, in_tmp / DECK)
        assert len(col.find_cards("")) == 5
        assert len(col.find_cards("tag:build-deck::removed")) == 0
        assert len(col.find_notes("tag:build-deck::removed")) == 1
    finally:
        col.close()


def test_an_edit_made_in_anki_survives_a_rebuild_that_did_not_change_it(in_tmp: Path, at) -> None:
    a = write(in_tmp / "content" / "a.md", V1_A)
    at(T1)
    col = Collection(str(in_tmp / "phone.anki2"))
    try:
        _import(col, in_tmp / DECK)
        note = col.get_note(col.find_notes('"Question:What is a tensor?"')[0])
        note["Answer"] = "<p>My own wording, typed on the phone.</p>"
        col.update_note(note)
        a.write_text(V1_A.replace("Adds to a variable in place.", "Adds in place; returns it."))
        at(T1 + DAY)
        _import(col, in_tmp / DECK)
        assert col.get_note(note.id)["Answer"] == "<p>My own wording, typed on the phone.</p>"
        other = col.get_note(col.find_notes("assign_add")[0])
        assert other["Answer"] == "<p>Adds in place; returns it.</p>"
    finally:
        col.close()


def _rows(package: Path) -> dict[str, tuple[object, ...]]:
    with zipfile.ZipFile(package) as archive:
        data = archive.read("collection.anki2")
    scratch = package.with_suffix(".rows.db")
    scratch.write_bytes(data)
    with closing(sqlite3.connect(scratch)) as db:
        rows = {r[1]: r for r in db.execute("select id, guid, mod, tags, flds from notes")}
    scratch.unlink()
    return rows


def test_builds_are_byte_identical_and_an_edit_changes_only_its_note(in_tmp: Path, at) -> None:
    a = write(in_tmp / "content" / "a.md", V1_A)
    at(T1)
    first = (in_tmp / DECK).read_bytes()
    at(T1 + DAY)  # a later clock must not matter when nothing changed
    assert (in_tmp / DECK).read_bytes() == first
    with zipfile.ZipFile(in_tmp / DECK) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["collection.anki2", "media"]
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}

    before = _rows(in_tmp / DECK)
    ledger_before = (in_tmp / "content" / "ledger.json").read_text().splitlines()
    a.write_text(V1_A.replace("Adds to a variable", "Adds to a Variable"))
    at(T1 + 2 * DAY)
    after = _rows(in_tmp / DECK)
    ledger_after = (in_tmp / "content" / "ledger.json").read_text().splitlines()
    assert after.keys() == before.keys()
    assert [g for g in after if after[g] != before[g]] == [
        next(g for g, r in before.items() if "Adds to a variable" in str(r[4]))
    ]
    assert len([1 for x, y in zip(ledger_before, ledger_after, strict=True) if x != y]) == 1


def test_frozen_fails_when_the_ledger_would_change(in_tmp: Path, at, capsys) -> None:
    a = write(in_tmp / "content" / "a.md", V1_A)
    at(T1)
    at(T1, "--frozen")  # nothing changed: passes
    a.write_text(V1_A + "\n### What is new?\n\nThis.\n")
    os.environ["SOURCE_DATE_EPOCH"] = str(T1 + DAY)
    assert build("--frozen") == 1
    assert (
        "content/ledger.json: error: the ledger would change (--frozen)" in capsys.readouterr().err
    )


def test_templates_change_updates_the_note_type_only(in_tmp: Path, at) -> None:
    write(in_tmp / "content" / "a.md", V1_A)
    at(T1)
    col = Collection(str(in_tmp / "c.anki2"))
    try:
        _import(col, in_tmp / DECK)
        mods = {g: n["mod"] for g, n in _notes(col).items()}
        css = in_tmp / "templates" / "style.css"
        css.write_text(css.read_text() + "\n.question { letter-spacing: 0.01em; }\n")
        at(T1 + DAY)
        _import(col, in_tmp / DECK)
        assert {g: n["mod"] for g, n in _notes(col).items()} == mods
    finally:
        col.close()
    assert "letter-spacing: 0.01em" in _css_on_disk(in_tmp / "c.anki2")


# --- sync -------------------------------------------------------------------------------


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def sync_server(base: Path) -> Iterator[str]:
    """Anki's own sync server on 127.0.0.1, stopped when the test ends."""
    port = _free_port()
    env = dict(os.environ, SYNC_USER1="user:pass", SYNC_HOST="127.0.0.1",
               SYNC_PORT=str(port), SYNC_BASE=str(base))  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "anki.syncserver"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(url + "health", timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("the sync server did not start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _sync(col: Collection, url: str) -> tuple[str, str]:
    """One sync as the Anki apps do it: (status before, what the sync still required)."""
    from anki.sync_pb2 import SyncCollectionResponse, SyncStatusResponse

    auth = col.sync_login("user", "pass", url)
    before = SyncStatusResponse.Required.Name(col.sync_status(auth).required)
    out = col.sync_collection(auth, False)
    required = SyncCollectionResponse.ChangesRequired.Name(out.required)
    if required in ("FULL_UPLOAD", "FULL_DOWNLOAD", "FULL_SYNC"):
        upload = required != "FULL_DOWNLOAD" and bool(col.find_notes(""))
        col.full_upload_or_download(auth=auth, server_usn=None, upload=upload)
    return before, required


@pytest.mark.sync
def test_sync_carries_a_rebuild_to_the_phone_without_a_full_sync(in_tmp: Path, at) -> None:
    a = write(in_tmp / "content" / "a.md", V1_A)
    at(T1)
    for profile in ("desktop", "phone"):
        (in_tmp / profile).mkdir()
    with sync_server(in_tmp / "server") as url:
        desktop = Collection(str(in_tmp / "desktop" / "collection.anki2"))
        phone = Collection(str(in_tmp / "phone" / "collection.anki2"))
        try:
            _import(desktop, in_tmp / DECK)
            # The first sync of a new profile is a full one, as in the apps.
            assert _sync(desktop, url) == ("FULL_SYNC", "FULL_UPLOAD")
            assert _sync(phone, url)[1] == "FULL_DOWNLOAD"
            assert _notes(phone) == _notes(desktop)
            assert len(_notes(phone)) == 5

            a.write_text(V1_A.replace("An immutable tensor.", "An immutable tensor, synced."))
            css = in_tmp / "templates" / "style.css"
            css.write_text(css.read_text() + "\n.answer { letter-spacing: 0.02em; }\n")
            at(T1 + DAY)
            _import(desktop, in_tmp / DECK)
            # Local changes that a normal sync carries; nothing after it requires a full one.
            assert _sync(desktop, url) == ("NORMAL_SYNC", "NO_CHANGES")
            assert _sync(phone, url)[1] == "NO_CHANGES"
            on_phone = _notes(phone)
            assert on_phone == _notes(desktop)
            answers = [n["fields"]["Answer"] for n in on_phone.values()]
            assert "<p>An immutable tensor, synced.</p>" in answers
        finally:
            desktop.close()
            phone.close()
    assert "letter-spacing: 0.02em" in _css_on_disk(in_tmp / "phone" / "collection.anki2")
