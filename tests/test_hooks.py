"""The pre-commit hook a repository of cards uses, run by pre-commit itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT, write

pytestmark = pytest.mark.slow


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=ci@example.org", "-c", "user.name=ci", *args],
                   cwd=folder, check=True, capture_output=True)  # fmt: skip


def test_the_hook_checks_the_deck_and_its_ledger(tmp_path: Path) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["entry"].split()[:1] == ["build-deck"] and "--frozen" in hook["entry"]
    cards = tmp_path / "cards"
    shutil.copytree(ROOT / "templates", cards / "templates")
    write(cards / "content" / "a.md", "## What is a tensor?\n\nAn array.\n")
    _git(cards, "init", "-q")
    _git(cards, "add", "-A")
    _git(cards, "commit", "-qm", "cards")
    home = tmp_path / "pre-commit-home"  # its environments, away from the user's own

    def run_hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook["id"], "--all-files"],
            cwd=cards, capture_output=True, text=True, timeout=1200,
            env=dict(os.environ, PRE_COMMIT_HOME=str(home)),
        )  # fmt: skip

    first = run_hook()
    assert first.returncode == 1, first.stdout + first.stderr
    assert "content/ledger.json: error: the ledger would change (--frozen)" in first.stdout
    subprocess.run([sys.executable, str(ROOT / "build_deck.py"), "--no-preview"], cwd=cards,
                   check=True, capture_output=True)  # fmt: skip
    _git(cards, "add", "content/ledger.json")
    _git(cards, "commit", "-qm", "ledger")
    second = run_hook()
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Passed" in second.stdout
