"""Command line: arguments in, messages on stderr, an exit code out. The only place that prints."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from .build import (
    REMOVED_TAG,
    BuildPlan,
    current_inputs,
    package_file_name,
    package_fingerprint,
    plan_build,
    replay_key,
)
from .cache import DEFAULT_FOLDER, BuildCache, Replay, file_digest
from .config import DeckConfig, load_config
from .diagnostics import Diagnostic
from .discover import display_path
from .ledger import Report, text_digest, write_ledger
from .lint import with_lint
from .package import write_package
from .preview import MAX_PREVIEW_CARDS, PREVIEW_NAME, write_preview
from .progress import Progress

LEDGER_NAME = "ledger.json"

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        # argparse would call sys.exit; tests call main() directly and want the code back.
        if message:
            sys.stderr.write(message)
        raise _Exit(status)


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


def _arguments() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="build_deck.py",
        description="Build an Anki package from Markdown question-and-answer files.",
    )
    parser.add_argument(
        "--content",
        type=Path,
        default=Path("content"),
        metavar="DIR",
        help="folder of *.md sources (default: content/)",
    )
    parser.add_argument(
        "--templates",
        type=Path,
        default=Path("templates"),
        metavar="DIR",
        help="folder with front.html, back.html, style.css (default: templates/)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("dist"),
        metavar="DIR",
        help="output folder for the .apkg (default: dist/)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("pyproject.toml"),
        metavar="FILE",
        help="pyproject.toml with [tool.build-deck] (default: ./pyproject.toml)",
    )
    parser.add_argument(
        "--ledger",
        type=Path,
        default=None,
        metavar="FILE",
        help="the ledger to read and update (default: CONTENT/ledger.json)",
    )
    parser.add_argument("--strict", action="store_true", help="treat every warning as an error")
    parser.add_argument("--check", action="store_true", help="validate only; write nothing")
    parser.add_argument(
        "--no-preview", action="store_true", help=f"do not write OUT/{PREVIEW_NAME}"
    )
    parser.add_argument(
        "--frozen",
        action="store_true",
        help="fail if the ledger would change (for CI of content repositories)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=DEFAULT_FOLDER,
        metavar="DIR",
        help=f"where unchanged work is remembered; safe to delete (default: {DEFAULT_FOLDER}/)",
    )
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write a cache")
    return parser


def _now() -> int:
    # SOURCE_DATE_EPOCH: the reproducible-builds convention for "the time of this change".
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(epoch) if epoch.isdigit() else int(time.time())


def _report(diagnostics: Sequence[Diagnostic], strict: bool) -> int:
    """Print every diagnostic; return how many count as errors."""
    errors = 0
    for diagnostic in diagnostics:
        if strict and diagnostic.severity == "warning":
            diagnostic = replace(diagnostic, severity="error")
        errors += diagnostic.severity == "error"
        print(diagnostic, file=sys.stderr)
    return errors


def _changes(report: Report) -> list[str]:
    """What this build changes for people who imported an earlier package."""
    counts = (
        f"{len(report.new)} new, {len(report.changed)} changed, {report.unchanged} unchanged, "
        f"{len(report.matched)} reworded/moved, {len(report.removed)} removed"
        + (f", {len(report.revived)} back again" if report.revived else "")
    )
    lines = [f"notes: {counts}"]
    for match in report.matched:
        if match.old_key != match.new_key:
            lines.append(f"  reworded: {match.location}: was {match.old_key!r}, same note")
        else:
            lines.append(f"  moved: {match.location}: was in {match.old_file}, same note")
    for entry in report.removed:
        lines.append(f"  removed: {entry.key!r} (was in {entry.file}; tagged '{REMOVED_TAG}')")
    if report.note_type_changed:
        lines.append("  templates or CSS changed: the note type will update on import")
    return lines


def _summary(plan: BuildPlan, target: str) -> str:
    assert plan.package is not None
    notes = [note for note in plan.package.notes if note.has_card]
    tags = {tag for note in notes for tag in note.tags}
    return _summary_line(
        target, len(notes), len(tags), len(plan.package.media), len(plan.diagnostics)
    )


def _summary_line(target: str, notes: int, tags: int, media: int, warnings: int) -> str:
    extra = f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""
    return f"{target}: {notes} notes, {tags} tags, {media} media files{extra}"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _arguments().parse_args(argv)
    except _Exit as stop:
        return stop.status
    config = load_config(args.config)
    if isinstance(config, Diagnostic):
        print(config, file=sys.stderr)
        return EXIT_USAGE
    ledger_file = args.ledger or args.content / LEDGER_NAME
    cache = BuildCache(None if args.no_cache else args.cache, writable=not args.check)
    try:
        return _build(args, config, ledger_file, cache)
    finally:
        cache.close()


def _build(
    args: argparse.Namespace, config: DeckConfig, ledger_file: Path, cache: BuildCache
) -> int:
    if not args.check:  # a check adds content advice (lint): it always takes the full path
        replayed = _replay(args, config, ledger_file, cache)
        if replayed is not None:
            return replayed
    progress = Progress()
    plan = plan_build(args.content, args.templates, ledger_file, config, _now(), cache, progress)
    progress.clear()
    if args.check:  # content advice (lint.py) only when checking; --strict makes it binding
        plan = replace(plan, diagnostics=with_lint(plan.diagnostics, args.content))
    if not args.check:  # even a failed build keeps what it rendered: the fix rebuilds fast
        cache.save()
    errors = _report(plan.diagnostics, args.strict)
    if errors or plan.package is None or plan.ledger is None or plan.report is None:
        plural = "s" * (errors != 1)
        print(f"build failed: {errors} error{plural}; nothing written", file=sys.stderr)
        return EXIT_CONTENT
    for line in _changes(plan.report):
        print(line, file=sys.stderr)
    if args.frozen and plan.ledger_changed:
        print(
            f"{display_path(ledger_file)}: error: the ledger would change (--frozen); "
            "build without --frozen and commit the ledger; nothing written",
            file=sys.stderr,
        )
        return EXIT_CONTENT
    if args.check:
        print(_summary(plan, "check passed"), file=sys.stderr)
        return EXIT_OK
    target = args.out / package_file_name(config)
    fingerprint = package_fingerprint(plan.package)
    # An unchanged package is not written again: the file already holds these very bytes.
    wrote = _unless_current(cache, target, fingerprint, progress, "writing the package",
                            lambda: write_package(plan.package, target))  # fmt: skip
    if plan.ledger_changed:  # after the package: a crash in between only repeats this update
        write_ledger(ledger_file, plan.ledger)
    if not args.no_preview:
        shown = min(sum(note.has_card for note in plan.package.notes), MAX_PREVIEW_CARDS)
        _preview(args.out, target, config, cache, fingerprint, shown, progress)
    _record(cache, plan, target, ledger_file, fingerprint)
    done = "wrote " + display_path(target) if wrote else display_path(target) + " unchanged"
    print(_summary(plan, done), file=sys.stderr)
    return EXIT_OK


def _preview(
    out: Path,
    target: Path,
    config: DeckConfig,
    cache: BuildCache,
    fingerprint: str,
    shown: int,
    progress: Progress,
) -> None:
    """Made from the written package, exactly as Anki imports it (unless it is current)."""
    preview = out / PREVIEW_NAME
    if _unless_current(cache, preview, f"preview {fingerprint}", progress, "the preview",
                       lambda: write_preview(target, preview, config.name)):  # fmt: skip
        print(f"wrote {display_path(preview)}: {shown} cards", file=sys.stderr)
    else:
        print(f"{display_path(preview)} unchanged: {shown} cards", file=sys.stderr)


def _replay(
    args: argparse.Namespace, config: DeckConfig, ledger_file: Path, cache: BuildCache
) -> int | None:
    """Tell the last build's outcome again when nothing it read or wrote has changed since.

    Sources, templates, configuration, ledger, images and outputs all as that build left
    them: parsing, rendering and reconciling would give its plan again, every note unchanged.
    None when anything differs, and the build takes the full path.
    """
    if not cache.has_records:
        return None  # no cache, or a fresh one: spare reading every source twice
    target = args.out / package_file_name(config)
    inputs = current_inputs(args.content, args.templates, config)
    ledger = file_digest(ledger_file)
    if inputs is None or ledger is None:
        return None
    replay = cache.replay(replay_key(inputs, target, ledger_file, ledger))
    if replay is None or not cache.is_current(target, replay.package):
        return None
    errors = _report(replay.diagnostics, args.strict)
    if errors:
        print(
            f"build failed: {errors} error{'s' * (errors != 1)}; nothing written", file=sys.stderr
        )
        return EXIT_CONTENT
    for line in _changes(Report(unchanged=replay.notes)):
        print(line, file=sys.stderr)
    if not args.no_preview:
        _preview(args.out, target, config, cache, replay.package, replay.notes, Progress())
    where = f"{display_path(target)} unchanged"
    counts = (replay.notes, replay.tags, replay.media, len(replay.diagnostics))
    print(_summary_line(where, *counts), file=sys.stderr)
    return EXIT_OK


def _record(
    cache: BuildCache, plan: BuildPlan, target: Path, ledger_file: Path, fingerprint: str
) -> None:
    """Remember this build's outcome for `_replay`, keyed by the ledger it leaves behind."""
    assert plan.package is not None and plan.ledger is not None
    if not cache.writable:
        return
    ledger = file_digest(ledger_file)
    if ledger != text_digest(plan.ledger):
        return  # not the ledger this plan wrote or kept: edited meanwhile, or laid out by hand
    images = tuple((str(m.source), file_digest(m.source)) for m in plan.package.media)
    notes = [note for note in plan.package.notes if note.has_card]
    replay = Replay(
        diagnostics=plan.diagnostics,
        notes=len(notes),
        tags=len({tag for note in notes for tag in note.tags}),
        media=len(plan.package.media),
        package=fingerprint,
        images=tuple((path, digest) for path, digest in images if digest is not None),
    )
    if len(replay.images) == len(images):
        cache.record(replay_key(plan.inputs, target, ledger_file, ledger), replay)
        cache.save()


def _unless_current(
    cache: BuildCache,
    target: Path,
    fingerprint: str,
    progress: Progress,
    stage: str,
    write: Callable[[], object],
) -> bool:
    """Write `target` unless the cache knows it holds this fingerprint's bytes; True if written."""
    if cache.is_current(target, fingerprint):
        return False
    progress.stage(stage)
    write()
    progress.clear()
    cache.wrote(target, fingerprint)
    cache.save()
    return True


def run() -> None:
    """Console-script entry point (`build-deck`)."""
    sys.exit(main())
