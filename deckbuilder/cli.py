"""Command line: arguments in, messages on stderr, an exit code out. The only place that prints.

One boundary (`main`) turns every failure into one message and a documented exit code; a
traceback is shown only with `--traceback`. Kept light: a build that only repeats the last
one (replay.py) is told from here without loading the pipeline (command.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from .config import DeckConfig, load_config
from .console import (
    EXIT_ENVIRONMENT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Run,
    failed,
    report,
    say,
    summary_line,
)
from .diagnostics import Diagnostic
from .discover import display_path
from .obsidian import looks_like_vault
from .replay import STORE_TABLES, Replay, is_current, recall
from .request import PREVIEW_NAME, BuildRequest, Targets, package_file_name, preview_key
from .store import Store

LEDGER_NAME = "ledger.json"
DEFAULT_CACHE = Path(".cache") / "build-deck"


class _ArgumentParser(argparse.ArgumentParser):
    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        # argparse would call sys.exit; tests call main() directly and want the code back.
        if message:
            sys.stderr.write(message)
        raise _Exit(status)


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


def _arguments() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="build_deck.py",
        description="Build an Anki package from Markdown question-and-answer files.",
    )
    option = parser.add_argument
    option(
        "--content",
        type=Path,
        default=Path("content"),
        metavar="DIR",
        help="folder of *.md sources (default: content/)",
    )
    option(
        "--templates",
        type=Path,
        default=Path("templates"),
        metavar="DIR",
        help="folder with the card templates and style.css (default: templates/)",
    )
    option(
        "--out",
        type=Path,
        default=Path("dist"),
        metavar="DIR",
        help="output folder for the .apkg (default: dist/)",
    )
    option(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="pyproject.toml with [tool.build-deck] (default: ./pyproject.toml)",
    )
    option(
        "--ledger",
        type=Path,
        default=None,
        metavar="FILE",
        help="the ledger to read and update (default: CONTENT/ledger.json)",
    )
    option("--strict", action="store_true", help="treat every warning as an error")
    option("--check", action="store_true", help="validate and lint only; write nothing")
    option("--no-preview", action="store_true", help=f"do not write OUT/{PREVIEW_NAME}")
    option(
        "--frozen",
        action="store_true",
        help="fail if the ledger would change (for CI of content repositories)",
    )
    option(
        "--cache",
        type=Path,
        default=DEFAULT_CACHE,
        metavar="DIR",
        help=f"where unchanged work is remembered; safe to delete (default: {DEFAULT_CACHE}/)",
    )
    option("--no-cache", action="store_true", help="neither read nor write a cache")
    option("--traceback", action="store_true", help="show where an unexpected failure happened")
    option(
        "--watch",
        action="store_true",
        help="build, serve the preview on 127.0.0.1, and build again on every save",
    )
    option(
        "--port",
        type=int,
        default=8765,
        metavar="N",
        help="the preview's port with --watch (default 8765; another if it is taken)",
    )
    return parser  # fmt: skip


LATEST_EPOCH = 253_402_300_799  # 9999-12-31: Anki's IDs are milliseconds in 64 bits


LATEST_EPOCH = 253_402_300_799  # 9999-12-31: Anki's IDs are milliseconds in 64 bits


def _now() -> int | Diagnostic:
    # SOURCE_DATE_EPOCH: the reproducible-builds convention for "the time of this change".
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None or not epoch.strip():
        return int(time.time())
    if not epoch.strip().isdigit() or int(epoch) > LATEST_EPOCH:
        message = (
            f"SOURCE_DATE_EPOCH={epoch[:40]!r} is not a time: whole seconds since 1970, "
            f"from 0 to {LATEST_EPOCH}"
        )
        return Diagnostic("build_deck.py", None, "error", message)
    return int(epoch)


def _replayed(run: Run, replay: Replay) -> int:
    errors = report(replay.diagnostics, run.args.strict)
    if errors:
        return failed(errors)
    say(f"notes: 0 new, 0 changed, {replay.notes} unchanged, 0 reworded/moved, 0 removed")
    if run.targets.preview is not None:
        say(f"{display_path(run.targets.preview)} unchanged: {replay.cards} cards")
    where = f"{display_path(run.targets.package)} unchanged"
    counts = (replay.notes, replay.cards, replay.tags, replay.media, len(replay.diagnostics))
    say(summary_line(where, *counts))
    return EXIT_OK


def _can_replay(run: Run, store: Store) -> Replay | None:
    """The recorded build this one repeats, if its package and preview are still in place."""
    replay = recall(store, run.request, run.targets.package)
    preview = run.targets.preview
    if replay is None or (
        preview is not None and not is_current(store, preview, preview_key(replay.package))
    ):
        return None
    return replay


def _config(args: argparse.Namespace) -> tuple[DeckConfig, bool] | Diagnostic:
    """The deck settings, and whether the content is an Obsidian vault.

    A vault takes its settings from `--config` alone (the working directory's pyproject.toml
    belongs to some other project); without one, the vault's folder name names its deck.
    """
    if args.config is None and looks_like_vault(args.content):
        name = args.content.resolve().name or "Vault"
        return DeckConfig(name=name, namespace=name), True
    config = load_config(args.config or Path("pyproject.toml"), required=args.config is not None)
    if isinstance(config, Diagnostic):
        return config
    vault = config.vault if config.vault is not None else looks_like_vault(args.content)
    return config, vault


def _ledger_file(args: argparse.Namespace, config: DeckConfig, vault: bool) -> Path:
    """Beside the content it describes; for a vault beside the package, never inside it."""
    if args.ledger is not None:
        return Path(args.ledger)
    out: Path = args.out
    if vault:
        return out / package_file_name(config).replace(".apkg", ".ledger.json")
    content: Path = args.content
    return content / LEDGER_NAME


def _run(args: argparse.Namespace) -> int:
    settings = _config(args)
    if isinstance(settings, Diagnostic):
        say(str(settings))
        return EXIT_USAGE
    config, vault = settings
    now = _now()
    if isinstance(now, Diagnostic):
        say(str(now))
        return EXIT_USAGE
    ledger = _ledger_file(args, config, vault)
    out = args.out / package_file_name(config)
    preview = None if args.no_preview else args.out / PREVIEW_NAME
    request = BuildRequest(args.content, args.templates, ledger, config, now, args.check, vault,
                           package_file=out)  # fmt: skip
    run = Run(args, request, Targets(out, ledger, preview))
    store = Store(None if args.no_cache else args.cache, STORE_TABLES,
                  writable=not args.check)  # fmt: skip
    if store.refused is not None:
        say(f"{display_path(args.cache)}: note: not used as a cache: {store.refused}")
    try:
        if not args.check and not args.watch:  # a check lints, which replaying would skip
            replay = _can_replay(run, store)
            if replay is not None:
                return _replayed(run, replay)
        from .command import full_build, watch  # the pipeline: loaded only when it runs

        return watch(run, store) if args.watch else full_build(run, store)
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _arguments().parse_args(argv)
    except _Exit as stop:
        return stop.status
    try:
        return _run(args)
    except KeyboardInterrupt:
        say("interrupted; nothing half-written is left behind")
        return EXIT_INTERRUPTED
    except OSError as exc:
        if args.traceback:
            traceback.print_exc()
        from .command import where

        say(f"{where(exc)}: error: {exc.strerror or exc}; the build stopped")
        return EXIT_ENVIRONMENT
    except Exception as exc:  # the boundary: anything else is a bug, said in one line
        if args.traceback:
            traceback.print_exc()
        say(f"build_deck.py: internal error: {type(exc).__name__}: {exc} (run with --traceback "
             "to see where, and please report it)")  # fmt: skip
        return EXIT_INTERNAL


def run() -> None:
    """Console-script entry point (`build-deck`)."""
    sys.exit(main())
