"""Updates across card kinds and decks, in real collections and through Anki's sync server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from anki.collection import Collection

from .conftest import build, write
from .test_updates import DAY, DECK, T1, _import, _sync, sync_server

NAME = "Markdown Flashcards"

QA = """\
## What is a tensor? {#tensor}

An n-dimensional array.

## What traces a function into a graph? {#trace}

`tf.function`
"""

CLOZE = """\
## Activations {#act .cloze}

{{c1::relu}} and {{c2::gelu}}.
"""


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch, capsys):
    """Build as if at a given time; return what the build said."""

    def build_at(when: int, *args: str) -> str:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(when))
        capsys.readouterr()
        assert build("--no-preview", *args) == 0
        return str(capsys.readouterr().err)

    return build_at


def _study(col: Collection, reviews: int) -> None:
    col.decks.select(col.decks.id_for_name(NAME))  # type: ignore[arg-type]
    for _ in range(reviews):
        card = col.sched.getCard()
        assert card is not None
        card.start_timer()
        col.sched.answerCard(card, 3)


def _state(col: Collection) -> dict[tuple[str, int], tuple[object, ...]]:
    """Per (note GUID, card ordinal): the card's ID, deck, scheduling and review log."""
    state = {}
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        log = tuple(col.db.list("select id from revlog where cid = ? order by id", card_id))
        state[(card.note().guid, card.ord)] = (card.id, col.decks.name(card.did), card.type,
                                               card.due, card.ivl, card.reps, log)  # fmt: skip
    return state


def _guid(col: Collection, search: str) -> str:
    (note_id,) = col.find_notes(search)
    return col.get_note(note_id).guid


@dataclass
class _Desk:
    """A collection that imported the first build and studied it, with what that left."""

    col: Collection
    source: Path
    before: dict[tuple[str, int], tuple[object, ...]]
    package: Path

    def rebuild(self, at, text: str) -> str:  # type: ignore[no-untyped-def]
        self.source.write_text(text)
        said: str = at(T1 + DAY)
        _import(self.col, self.package)
        return said


@contextmanager
def _studied(in_tmp: Path, at, text: str, reviews: int) -> Iterator[_Desk]:  # type: ignore[no-untyped-def]
    source = write(in_tmp / "content" / "a.md", text)
    at(T1)
    col = Collection(str(in_tmp / "c.anki2"))
    try:
        _import(col, in_tmp / DECK)
        _study(col, reviews)
        yield _Desk(col, source, _state(col), in_tmp / DECK)
    finally:
        col.close()


def test_making_a_studied_note_reversible_or_typed_keeps_its_card(in_tmp: Path, at) -> None:
    with _studied(in_tmp, at, QA, reviews=2) as desk:
        assert all(state[5] == 1 for state in desk.before.values())  # both cards reviewed once
        reversed_typed = QA.replace("{#tensor}", "{#tensor .reverse}")
        assert "0 new, 2 changed" in desk.rebuild(
            at, reversed_typed.replace("{#trace}", "{#trace .type}")
        )
        after = _state(desk.col)
        tensor = _guid(desk.col, "Key:#tensor")
        assert len(desk.col.find_notes("")) == 2  # no new note
    assert {key: after[key] for key in desk.before} == desk.before  # first cards, history kept
    assert set(after) - set(desk.before) == {(tensor, 1)}  # the reversed card, new
    assert after[(tensor, 1)][5] == 0


def test_a_new_cloze_number_adds_one_card_and_keeps_the_others(in_tmp: Path, at) -> None:
    with _studied(in_tmp, at, CLOZE, reviews=2) as desk:
        more = CLOZE.replace("{{c2::gelu}}.", "{{c2::gelu}} and {{c5::silu}}.")
        assert "0 new, 1 changed" in desk.rebuild(at, more)
        after = _state(desk.col)
        act = _guid(desk.col, "Key:#act")
    assert {key: after[key] for key in desk.before} == desk.before
    assert set(after) - set(desk.before) == {(act, 4)}  # c5 is the card with ordinal 4


def test_a_note_that_changes_kind_becomes_a_new_note_and_the_build_says_so(
    in_tmp: Path, at
) -> None:
    with _studied(in_tmp, at, CLOZE, reviews=1) as desk:
        old = _guid(desk.col, "Key:#act")
        said = desk.rebuild(at, "## Activations {#act}\n\nrelu and gelu.\n")
        assert "1 new, 0 changed, 0 unchanged, 0 reworded/moved, 1 removed" in said
        assert (
            "new kind: content/a.md:1: was a cloze note, now a Q&A note; Anki keeps a note's "
            "kind, so it is a new note and the cloze note is tagged 'build-deck::removed'"
        ) in said
        after = _state(desk.col)
        assert [
            desk.col.get_note(n).guid for n in desk.col.find_notes("tag:build-deck::removed")
        ] == [old]
        new = _guid(desk.col, '"Question:Activations"')
    assert new != old
    assert {key: after[key] for key in desk.before} == desk.before  # old cards keep history


def test_a_note_moved_to_another_deck_keeps_its_studied_cards_where_they_are(
    in_tmp: Path, at
) -> None:
    """What Anki's importer does: existing cards stay in their deck, new cards go to the new."""
    with _studied(in_tmp, at, QA, reviews=1) as desk:
        moved = "---\ndeck: Keras\n---\n" + QA.replace("{#tensor}", "{#tensor .reverse}")
        assert (
            f"new deck: content/a.md:4: from '{NAME}' to '{NAME}::Keras'; Anki's importer "
            "leaves cards it already has where they are"
        ) in desk.rebuild(at, moved)
        after = _state(desk.col)
        tensor = _guid(desk.col, "Key:#tensor")
    fresh = Collection(str(in_tmp / "fresh.anki2"))
    try:
        _import(fresh, in_tmp / DECK)
        fresh_decks = {key: state[1] for key, state in _state(fresh).items()}
    finally:
        fresh.close()
    assert after[(tensor, 0)][1] == NAME  # studied card: not moved
    assert after[(tensor, 1)][1] == f"{NAME}::Keras"  # the new reversed card: in the new deck
    assert set(fresh_decks.values()) == {f"{NAME}::Keras"}  # a first import: all in the new deck


def test_renaming_the_deck_says_what_anki_will_do(in_tmp: Path, at) -> None:
    write(in_tmp / "content" / "a.md", QA)
    at(T1)
    write(in_tmp / "pyproject.toml", f'[tool.build-deck]\nname = "Tensors"\nnamespace = "{NAME}"\n')
    said = at(T1 + DAY)
    assert f"deck renamed: from '{NAME}' to 'Tensors'; Anki matches decks by name" in said
    col = Collection(str(in_tmp / "c.anki2"))
    try:
        _import(col, in_tmp / "dist" / "tensors.apkg")
        assert {col.decks.name(col.get_card(c).did) for c in col.find_cards("")} == {"Tensors"}
    finally:
        col.close()


# --- sync -------------------------------------------------------------------------------


def _synced_pair(in_tmp: Path, url: str) -> tuple[Collection, Collection]:
    for profile in ("desktop", "phone"):
        (in_tmp / profile).mkdir()
    desktop = Collection(str(in_tmp / "desktop" / "collection.anki2"))
    phone = Collection(str(in_tmp / "phone" / "collection.anki2"))
    _import(desktop, in_tmp / DECK)
    assert _sync(desktop, url) == ("FULL_SYNC", "FULL_UPLOAD")  # a new profile's first sync
    assert _sync(phone, url)[1] == "FULL_DOWNLOAD"
    return desktop, phone


@pytest.mark.sync
def test_sync_carries_new_kinds_to_a_qa_only_collection_by_a_normal_sync(in_tmp: Path, at) -> None:
    """The upgrade path: new note types need only a normal sync, and the phone gets every card."""
    source = write(in_tmp / "content" / "a.md", QA)
    at(T1)
    with sync_server(in_tmp / "server") as url:
        desktop, phone = _synced_pair(in_tmp, url)
        try:
            names = {nt.name for nt in desktop.models.all_names_and_ids()}
            # Anki imports a note type with the first note of it: a Q&A deck brings no cloze one.
            assert f"{NAME} (build-deck Q&A)" in names
            assert f"{NAME} (build-deck cloze)" not in names
            source.write_text(
                QA.replace("{#tensor}", "{#tensor .reverse}").replace("{#trace}", "{#trace .type}")
                + "\n" + CLOZE + "\n## Which layer drops inputs? {#drop .type}\n\n`Dropout`\n"
            )  # fmt: skip
            at(T1 + DAY)
            _import(desktop, in_tmp / DECK)
            assert _sync(desktop, url) == ("NORMAL_SYNC", "NO_CHANGES")
            assert _sync(phone, url)[1] == "NO_CHANGES"
            on_phone, on_desktop = _state(phone), _state(desktop)
            cloze = f"{NAME} (build-deck cloze)"
            assert phone.models.by_name(cloze) is not None  # a new note type, by a normal sync
        finally:
            desktop.close()
            phone.close()
    assert on_phone.keys() == on_desktop.keys()
    assert len(on_phone) == 2 + 1 + 2 + 1  # tensor (2 cards), trace, act (c1, c2), drop


@pytest.mark.sync
def test_adding_a_field_or_template_to_a_synced_note_type_forces_a_full_sync(
    in_tmp: Path, at
) -> None:
    """Why note types never change once shipped: measured against Anki's own sync server."""
    write(in_tmp / "content" / "a.md", QA)
    at(T1)
    with sync_server(in_tmp / "server") as url:
        desktop, phone = _synced_pair(in_tmp, url)
        try:
            models = desktop.models
            for change in ("field", "template"):
                notetype = models.by_name(f"{NAME} (build-deck Q&A)")
                assert notetype is not None
                if change == "field":
                    models.add_field(notetype, models.new_field("Hint"))
                else:
                    template = models.new_template("Third")
                    template["qfmt"], template["afmt"] = "{{Hint}}", "{{Hint}}"
                    models.add_template(notetype, template)
                models.update_dict(notetype, skip_checks=True)
                auth = desktop.sync_login("user", "pass", url)
                from anki.sync_pb2 import SyncStatusResponse

                status = SyncStatusResponse.Required.Name(desktop.sync_status(auth).required)
                assert status == "FULL_SYNC", change
                desktop.full_upload_or_download(auth=auth, server_usn=None, upload=True)
        finally:
            desktop.close()
            phone.close()
