"""The progress bar: only on a terminal, only for builds longer than about a second."""

from __future__ import annotations

import io
from pathlib import Path

from deckbuilder.progress import DELAY, Progress

from .conftest import build, write


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nothing_is_drawn_in_the_first_second_or_off_a_terminal() -> None:
    clock = _Clock()
    terminal, pipe = _Terminal(), io.StringIO()
    on_terminal, on_pipe = Progress(terminal, clock=clock), Progress(pipe, clock=clock)
    for bar in (on_terminal, on_pipe):
        bar.update("rendering", 10, 100)
    assert terminal.getvalue() == ""
    clock.now += DELAY
    for bar in (on_terminal, on_pipe):
        bar.update("rendering", 50, 100)
        bar.stage("writing the package")
    assert pipe.getvalue() == ""
    first = "rendering [############............] 50/100"
    second = "writing the package ..."
    # The second line overwrites the first, blanking what is left of the longer one.
    padding = " " * (len(first) - len(second))
    assert terminal.getvalue() == f"\r{first}\r{second}{padding}"


def test_redraws_are_throttled_and_the_bar_is_cleared() -> None:
    clock, terminal = _Clock(), _Terminal()
    bar = Progress(terminal, clock=clock)
    clock.now += DELAY
    for done in range(1, 1001):
        bar.update("parsing", done, 1000)
    assert terminal.getvalue().count("\r") == 2  # the first redraw, and the finished count
    assert terminal.getvalue().endswith("1,000/1,000")
    length = len("parsing [########################] 1,000/1,000")
    bar.clear()
    assert terminal.getvalue().endswith("\r" + " " * length + "\r")
    bar.clear()  # a second clear writes nothing
    assert terminal.getvalue().endswith("\r" + " " * length + "\r")


def test_a_build_prints_no_bar_when_stderr_is_not_a_terminal(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "a.md", "## What is a?\n\nA.\n")
    assert build("--no-preview") == 0
    assert "\r" not in capsys.readouterr().err
