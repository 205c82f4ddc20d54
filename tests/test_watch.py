"""`--watch` as a person uses it: a real process, its page open in Chromium, files edited."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .conftest import ROOT, write

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

NOTES = "## What is a tensor?\n\nAn n-dimensional array.\n\n## What is a rank?\n\nIts axes.\n"


class Watcher:
    def __init__(self, folder: Path) -> None:
        self.log = folder / "watch.log"
        self._log = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "build_deck.py"), "--watch", "--port", "0"],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=self._log,
        )  # fmt: skip
        self.url = self.wait_for(r"preview at (http://127\.0\.0\.1:\d+/)")

    def said(self) -> str:
        return self.log.read_text()

    def wait_for(self, pattern: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.said())
            if found:
                return found.group(1) if found.groups() else found.group(0)
            assert self.process.poll() is None, self.said()
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} not said:\n{self.said()}")

    def stop(self, how: signal.Signals = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(how)
        code = self.process.wait(timeout=20)
        self._log.close()
        return code


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Watcher, Path]]:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    write(tmp_path / "content" / "a.md", NOTES)
    watcher = Watcher(tmp_path)
    yield watcher, tmp_path
    watcher.stop()


def _backs(page: Page) -> str:
    return str(page.evaluate(
        """() => Array.from(document.querySelectorAll("iframe"))
             .map(f => f.contentDocument && f.contentDocument.body ? f.contentDocument.body.innerText : "")
             .join("\\n")"""
    ))  # fmt: skip


def test_a_saved_edit_reaches_the_open_page_and_a_broken_one_is_shown_on_it(
    browser: Browser, watched: tuple[Watcher, Path]
) -> None:
    watcher, folder = watched
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(watcher.url)
        page.wait_for_selector("body[data-ready]")
        assert page.text_content("#count") == "2 of 2 cards"
        page.wait_for_function("document.querySelectorAll('iframe').length === 8")

        (folder / "content" / "a.md").write_text(
            NOTES.replace("Its axes.", "The number of its axes.")
        )
        page.wait_for_function(
            """() => Array.from(document.querySelectorAll("iframe")).some(f =>
                 f.contentDocument && f.contentDocument.body &&
                 f.contentDocument.body.innerText.includes("The number of its axes."))""",
            timeout=30_000,
        )
        assert (folder / "dist" / "markdown-flashcards.apkg").is_file()

        write(folder / "content" / "bad.md", "## Broken {.cloze}\n\n{{c1::never closed\n")
        page.wait_for_selector("#build-problems:not([hidden])", timeout=30_000)
        problems = page.text_content("#build-problems") or ""
        assert "content/bad.md:3: error: cloze {{c1:: is never closed with }}" in problems
        assert "The number of its axes." in _backs(page)  # the last good cards stay
        assert watcher.process.poll() is None  # and the watcher goes on

        (folder / "content" / "bad.md").unlink()
        page.wait_for_selector("#build-problems", state="hidden", timeout=30_000)
    finally:
        page.close()
    assert watcher.stop() == 0
    said = watcher.said()
    assert "stopped watching" in said and "Traceback" not in said
    assert "127.0.0.1" in watcher.url


def test_the_page_is_served_on_loopback_only_with_its_build_events(
    watched: tuple[Watcher, Path],
) -> None:
    import urllib.request

    watcher, _ = watched
    with urllib.request.urlopen(watcher.url, timeout=5) as response:
        body = response.read().decode()
    assert 'id="deck-data"' in body and 'new EventSource("/events")' in body
    with urllib.request.urlopen(watcher.url + "events", timeout=5) as events:
        first = b""
        while b"data:" not in first:
            first += events.readline()
    assert b'"ok": true' in first
    port = int(watcher.url.rsplit(":", 1)[1].strip("/"))
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as route:
        route.connect(("10.255.255.255", 1))  # no packet is sent: this only picks an address
        other = route.getsockname()[0]
    if other.startswith("127."):
        pytest.skip("this host has no address but loopback")
    with socket.socket() as probe:  # nothing listens on the host's other address
        probe.settimeout(1)
        assert probe.connect_ex((other, port)) != 0


def test_kill_ends_watching_as_ctrl_c_does(watched: tuple[Watcher, Path]) -> None:
    """A process manager, or `kill`, sends SIGTERM: a clean stop with exit 0, no traceback."""
    watcher, _ = watched
    assert watcher.stop(signal.SIGTERM) == 0
    said = watcher.said()
    assert "stopped watching" in said and "Traceback" not in said
