"""The benchmark's live measurements: `--watch` rebuilds after an edit, and the preview page
opening in Chromium. Each is timed from outside, as a person would see it."""

from __future__ import annotations

import re
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
_WROTE = re.compile(r"^wrote \S+\.apkg", re.M)


def _said(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")


def _wait(
    log: Path, done: Callable[[str], bool], process: subprocess.Popen[bytes], limit: float
) -> None:
    deadline = time.monotonic() + limit
    while not done(_said(log)):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"watch stopped or stalled:\n{_said(log)[-2000:]}")
        time.sleep(0.005)


def _more_than(count: int) -> Callable[[str], bool]:
    return lambda said: len(_WROTE.findall(said)) > count


def watch_edits(
    command: Sequence[str], cwd: Path, edit: Callable[[int], Callable[[], None]], runs: int
) -> float:
    """Median seconds from saving an edited note to the package written by `--watch`."""
    log = cwd / "watch.log"
    with log.open("w") as stream:
        process = subprocess.Popen([*command, "--watch", "--port", "0"], cwd=cwd,
                                   stdout=subprocess.DEVNULL, stderr=stream)  # fmt: skip
    try:
        _wait(log, lambda said: "preview at http" in said, process, 900)
        times = []
        for run in range(runs):
            written = _more_than(len(_WROTE.findall(_said(log))))
            started = time.monotonic()
            undo = edit(run + 100)
            _wait(log, written, process, 300)
            times.append(time.monotonic() - started)
            written = _more_than(len(_WROTE.findall(_said(log))))
            undo()  # and the watcher builds that too, before the next edit
            _wait(log, written, process, 300)
        return statistics.median(times)
    finally:
        process.terminate()  # SIGINT may be ignored in a background job; SIGTERM is not
        process.wait(timeout=60)


def preview_open(page: Path, runs: int) -> float | None:
    """Median seconds from opening the preview in Chromium to its first card drawn."""
    if not CHROMIUM.exists():
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for _ in range(runs):
            tab = browser.new_page(viewport={"width": 1280, "height": 800})
            started = time.monotonic()
            tab.goto(page.as_uri(), timeout=600_000)
            tab.wait_for_function(
                "() => { const f = document.querySelector('iframe');"
                " return f && f.contentDocument && f.contentDocument.getElementById('qa'); }",
                timeout=600_000,
            )
            times.append(time.monotonic() - started)
            tab.close()
        browser.close()
    return statistics.median(times)
