"""What every part of the command line shares: exit codes, messages, and the run at hand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .config import DeckConfig
from .diagnostics import Diagnostic
from .request import BuildRequest, Targets

EXIT_OK, EXIT_CONTENT, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130

HEARD: list[list[str]] = []  # with --watch: what the build being run said, for its page


def say(line: str) -> None:
    print(line, file=sys.stderr)
    for heard in HEARD:
        heard.append(line)


def report(diagnostics: Sequence[Diagnostic], strict: bool) -> int:
    """Print every diagnostic; return how many count as errors."""
    errors = 0
    for diagnostic in diagnostics:
        if strict and diagnostic.severity == "warning":
            diagnostic = replace(diagnostic, severity="error")
        errors += diagnostic.severity == "error"
        say(str(diagnostic))
    return errors


def failed(errors: int) -> int:
    say(f"build failed: {errors} error{'s' * (errors != 1)}; nothing written")
    return EXIT_CONTENT


@dataclass(frozen=True, slots=True)
class Run:
    args: argparse.Namespace
    request: BuildRequest
    targets: Targets

    @property
    def config(self) -> DeckConfig:
        return self.request.config


def summary_line(target: str, notes: int, cards: int, tags: int, media: int, warnings: int) -> str:
    extra = f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""
    return f"{target}: {notes} notes, {cards} cards, {tags} tags, {media} media files{extra}"
