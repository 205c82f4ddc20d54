"""Replaying a build: when nothing a build read or wrote has changed, report its outcome again.

Sources, templates, configuration, ledger, images and outputs all as the recorded build left
them: parsing, rendering and reconciling would give its plan again, every note unchanged
(that build wrote this very ledger from these very notes). Everything here is keyed by the
code version too, so a new version of the tool never replays an old one's build.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .codec import Codec
from .diagnostics import Diagnostic
from .discover import SourceFile, read_sources
from .fingerprint import Fingerprint, file_digest
from .notetype import NoteType, load_note_types
from .obsidian import settings_digest
from .store import Store, Table

if TYPE_CHECKING:
    from .request import BuildRequest

BUILDS = Table("builds", keep=20)  # one per content folder, output and ledger in use
OUTPUTS = Table("outputs", keep=200)
# The stages' tables too (stages.py fills them): every table of a build's store, made here so
# that the store opens without loading the stages.
PARSED, RENDERED = Table("parsed"), Table("rendered")
STORE_TABLES = (PARSED, RENDERED, BUILDS, OUTPUTS)


@dataclass(frozen=True, slots=True)
class Replay:
    """What a successful build reported, to report again when nothing it read has changed."""

    diagnostics: tuple[Diagnostic, ...]
    notes: int  # with cards
    cards: int
    tags: int
    media: int
    package: str  # fingerprint of the package it wrote
    images: tuple[tuple[str, str], ...]  # (path, SHA-256) of every image it packaged


_CODEC = Codec(Replay, Diagnostic)


def sources_fingerprint(sources: Sequence[SourceFile], unreadable: Sequence[Diagnostic]) -> str:
    fingerprint = Fingerprint("sources")
    for source in sources:
        fingerprint.add(*(getattr(source, field.name) for field in dataclasses.fields(source)))
    for problem in unreadable:
        fingerprint.add(problem)
    return fingerprint.hexdigest()


def inputs_hash(request: BuildRequest, sources: str, note_types: Mapping[str, NoteType]) -> str:
    """Everything a plan is made from, but the ledger and the images."""
    # Messages name paths as given, relative to the working directory: both are inputs too.
    folders = (str(request.content_dir), str(request.templates_dir))
    fingerprint = Fingerprint("inputs", os.getcwd(), *folders, repr(request.config), sources)
    fingerprint.add(request.lint, request.vault)
    if request.vault:  # the plugin's settings decide what every card of a vault is
        fingerprint.add(settings_digest(request.content_dir))
    for kind in sorted(note_types):
        fingerprint.add(note_types[kind])
    return fingerprint.hexdigest()


def current_inputs(request: BuildRequest) -> str | None:
    """The inputs hash a build would have now: the sources are read, nothing is parsed."""
    if not request.content_dir.is_dir():
        return None
    sources, unreadable = read_sources(request.content_dir, request.config.deck_for)
    note_types = load_note_types(request.templates_dir, request.config.namespace)
    if isinstance(note_types, list):
        return None
    return inputs_hash(request, sources_fingerprint(sources, unreadable), note_types)


def _key(inputs: str, target: Path, ledger_file: Path, ledger_digest: str) -> bytes:
    """Which recorded build a build with these inputs, output and ledger bytes would repeat."""
    parts = ("replay", inputs, os.path.abspath(target), str(ledger_file), ledger_digest)
    return Fingerprint(*parts).hexdigest().encode()


def recall(store: Store, request: BuildRequest, target: Path) -> Replay | None:
    """The recorded outcome of a build this one would repeat exactly, or None."""
    if not store.readable:
        return None  # no cache, or a fresh one: spare reading every source twice
    inputs = current_inputs(request)
    ledger = file_digest(request.ledger_file)
    if inputs is None or ledger is None:
        return None
    value = store.get(BUILDS.name, _key(inputs, target, request.ledger_file, ledger))
    replay = _CODEC.loads(value, Replay)
    if replay is None or any(file_digest(Path(p)) != d for p, d in replay.images):
        return None
    if not is_current(store, target, replay.package):
        return None
    return replay


def record(store: Store, request: BuildRequest, inputs: str, target: Path, replay: Replay) -> None:
    """Remember a build's outcome, keyed by the ledger it left behind."""
    ledger = file_digest(request.ledger_file)
    if ledger is None:
        return
    value = _CODEC.dumps(replay)
    if value is not None:
        store.put(BUILDS.name, _key(inputs, target, request.ledger_file, ledger), value)


# --- outputs ------------------------------------------------------------------------------


def _where(target: Path) -> bytes:
    return os.path.abspath(target).encode()


def is_current(store: Store, target: Path, fingerprint: str) -> bool:
    """True when `target` is exactly the file a build with this fingerprint wrote."""
    value = store.get(OUTPUTS.name, _where(target))
    if value is None:
        return False
    try:
        recorded, digest = json.loads(value)
    except (ValueError, TypeError):
        return False
    return bool(recorded == fingerprint and file_digest(target) == digest)


def wrote(store: Store, target: Path, fingerprint: str) -> None:
    digest = file_digest(target)
    if digest is not None:
        store.put(OUTPUTS.name, _where(target), json.dumps([fingerprint, digest]).encode())
