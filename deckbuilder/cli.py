"""Command line: arguments in, messages on stderr, an exit code out. The only place that prints."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .build import REMOVED_TAG, BuildPlan, package_file_name, plan_build
from .config import load_config
from .diagnostics import Diagnostic
from .discover import display_path
from .ledger import Report, write_ledger
from .package import write_package
from .preview import PREVIEW_NAME, write_preview

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
    warnings = len(plan.diagnostics)
    media = len(plan.package.media)
    extra = f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""
    return f"{target}: {len(notes)} notes, {len(tags)} tags, {media} media files{extra}"


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
    plan = plan_build(args.content, args.templates, ledger_file, config, _now())
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
    write_package(plan.package, target)
    if plan.ledger_changed:  # after the package: a crash in between only repeats this update
        write_ledger(ledger_file, plan.ledger)
    if not args.no_preview:  # made from the written package, exactly as Anki imports it
        shown = write_preview(target, args.out / PREVIEW_NAME, config.name)
        print(f"wrote {display_path(args.out / PREVIEW_NAME)}: {shown} cards", file=sys.stderr)
    print(_summary(plan, f"wrote {display_path(target)}"), file=sys.stderr)
    return EXIT_OK


def run() -> None:
    """Console-script entry point (`build-deck`)."""
    sys.exit(main())
