"""Command line: arguments in, messages on stderr, an exit code out. The only place that prints."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .build import BuildPlan, package_file_name, plan_build
from .config import load_config
from .diagnostics import Diagnostic
from .discover import display_path
from .package import write_package

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
    parser.add_argument("--strict", action="store_true", help="treat every warning as an error")
    parser.add_argument("--check", action="store_true", help="validate only; write nothing")
    return parser


def _report(diagnostics: Sequence[Diagnostic], strict: bool) -> int:
    """Print every diagnostic; return how many count as errors."""
    errors = 0
    for diagnostic in diagnostics:
        if strict and diagnostic.severity == "warning":
            diagnostic = replace(diagnostic, severity="error")
        errors += diagnostic.severity == "error"
        print(diagnostic, file=sys.stderr)
    return errors


def _summary(plan: BuildPlan, target: str) -> str:
    assert plan.package is not None
    notes = plan.package.notes
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
    plan = plan_build(args.content, args.templates, config)
    errors = _report(plan.diagnostics, args.strict)
    if errors or plan.package is None:
        print(
            f"build failed: {errors} error{'s' * (errors != 1)}; nothing written", file=sys.stderr
        )
        return EXIT_CONTENT
    if args.check:
        print(_summary(plan, "check passed"), file=sys.stderr)
        return EXIT_OK
    target = args.out / package_file_name(config)
    write_package(plan.package, target)
    print(_summary(plan, f"wrote {display_path(target)}"), file=sys.stderr)
    return EXIT_OK


def run() -> None:
    """Console-script entry point (`build-deck`)."""
    sys.exit(main())
