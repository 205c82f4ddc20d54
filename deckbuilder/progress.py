"""A one-line progress bar on stderr for long builds; silent everywhere else.

Shown only when stderr is a terminal (never in CI logs, pipes or tests) and only once a build
has run for about a second, so quick builds print exactly what they always did.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

DELAY = 1.0  # seconds before the bar appears
_EVERY = 0.1  # redraw at most this often: a terminal write per note would slow the build
_WIDTH = 24


class Progress:
    def __init__(
        self,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.clock = clock
        self.started = clock()
        self._drawn = 0.0
        self._length = 0  # of the line on screen, to blank it out

    def update(self, stage: str, done: int, total: int) -> None:
        """`done` of `total` items of `stage` (e.g. "rendering") are finished."""
        if not self.enabled:
            return
        now = self.clock()
        if now - self.started < DELAY or (done < total and now - self._drawn < _EVERY):
            return
        self._drawn = now
        filled = _WIDTH * done // total if total else _WIDTH
        bar = "#" * filled + "." * (_WIDTH - filled)
        self._show(f"{stage} [{bar}] {done:,}/{total:,}")

    def stage(self, stage: str) -> None:
        """A step without a count (writing the package)."""
        if self.enabled and self.clock() - self.started >= DELAY:
            self._show(f"{stage} ...")

    def clear(self) -> None:
        """Remove the bar before anything else is printed."""
        if self._length:
            self.stream.write("\r" + " " * self._length + "\r")
            self.stream.flush()
            self._length = 0

    def _show(self, line: str) -> None:
        padding = " " * max(0, self._length - len(line))
        self.stream.write(f"\r{line}{padding}")
        self.stream.flush()
        self._length = len(line)


QUIET = Progress(enabled=False)
