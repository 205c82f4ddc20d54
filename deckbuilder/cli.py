"""Command line: arguments in, messages on stderr, an exit code out. The only place that prints.

One boundary (`main`) turns every failure into one message and a documented exit code; a
traceback is shown only with `--traceback`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .build import BuildPlan, BuildRequest, package_file_name, plan_build
from .config import DeckConfig, load_config
from .diagnostics import Diagnostic
from .discover import display_path
from .memory import Memory
from .messages import change_lines, summary_line
from .preview import PREVIEW_NAME
from .progress import Progress
from .replay import TABLES as REPLAY_TABLES
from .replay import Replay, is_current, recall, record
from .stages import CACHE_TABLES, make_stages
from .store import Store
from .vault.source import looks_like_vault
from .workers import Workers
from .write import Targets, preview_key, write_outputs

LEDGER_NAME = "ledger.json"
DEFAULT_CACHE = Path(".cache") / "build-deck"

EXIT_OK, EXIT_CONTENT, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130


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


_HEARD: list[list[str]] = []  # with --watch: what the build being run said, for its page


def _say(line: str) -> None:
    print(line, file=sys.stderr)
    for heard in _HEARD:
        heard.append(line)


def _report(diagnostics: Sequence[Diagnostic], strict: bool) -> int:
    """Print every diagnostic; return how many count as errors."""
    errors = 0
    for diagnostic in diagnostics:
        if strict and diagnostic.severity == "warning":
            diagnostic = replace(diagnostic, severity="error")
        errors += diagnostic.severity == "error"
        _say(str(diagnostic))
    return errors


def _failed(errors: int) -> int:
    _say(f"build failed: {errors} error{'s' * (errors != 1)}; nothing written")
    return EXIT_CONTENT


@dataclass(frozen=True, slots=True)
class _Run:
    args: argparse.Namespace
    request: BuildRequest
    targets: Targets

    @property
    def config(self) -> DeckConfig:
        return self.request.config


def _replayed(run: _Run, replay: Replay) -> int:
    errors = _report(replay.diagnostics, run.args.strict)
    if errors:
        return _failed(errors)
    _say(f"notes: 0 new, 0 changed, {replay.notes} unchanged, 0 reworded/moved, 0 removed")
    if run.targets.preview is not None:
        _say(f"{display_path(run.targets.preview)} unchanged: {replay.cards} cards")
    where = f"{display_path(run.targets.package)} unchanged"
    counts = (replay.notes, replay.cards, replay.tags, replay.media, len(replay.diagnostics))
    _say(summary_line(where, *counts))
    return EXIT_OK


def _can_replay(run: _Run, store: Store) -> Replay | None:
    """The recorded build this one repeats, if its package and preview are still in place."""
    replay = recall(store, run.request, run.targets.package)
    preview = run.targets.preview
    if replay is None or (
        preview is not None and not is_current(store, preview, preview_key(replay.package))
    ):
        return None
    return replay


def _build(run: _Run, store: Store, memory: Memory | None = None) -> int:
    args = run.args
    if not args.check and memory is None:  # a check lints, which replaying would skip
        replay = _can_replay(run, store)
        if replay is not None:
            return _replayed(run, replay)
    progress = Progress()
    with Workers() as workers:
        stages = make_stages(store, workers, progress, memory)
        plan = plan_build(run.request, stages, progress)
    progress.clear()
    store.save()  # even a failed build keeps what it rendered: the fix rebuilds fast
    errors = _report(plan.diagnostics, args.strict)
    if errors or plan.package is None or plan.ledger is None or plan.report is None:
        return _failed(errors)
    for line in change_lines(plan.report, run.config.name):
        _say(line)
    if args.frozen and plan.ledger_changed:
        _say(
            f"{display_path(run.targets.ledger)}: error: the ledger would change (--frozen); "
            "build without --frozen and commit the ledger; nothing written"
        )
        return EXIT_CONTENT
    counts = _counts(plan)
    if args.check:
        _say(summary_line("check passed", *counts, len(plan.diagnostics)))
        return EXIT_OK
    ledger = plan.ledger if plan.ledger_changed else None
    written = write_outputs(plan.package, ledger, run.targets, store, run.config.name, progress,
                            stored=memory is not None)  # fmt: skip
    if memory is not None:
        memory.wrote_ledger(run.targets.ledger, plan.ledger)
    if run.targets.preview is not None:
        shown = display_path(run.targets.preview)
        _say(f"wrote {shown}: {written.preview_cards} cards" if written.preview
             else f"{shown} unchanged: {written.preview_cards} cards")  # fmt: skip
    replay = Replay(plan.diagnostics, *counts, written.fingerprint, _images(plan))
    if plan.repeatable and len(replay.images) == len(plan.package.media):
        record(store, run.request, plan.inputs, run.targets.package, replay)
        store.save()
    done = ("wrote " + display_path(run.targets.package) if written.package
            else display_path(run.targets.package) + " unchanged")  # fmt: skip
    _say(summary_line(done, *counts, len(plan.diagnostics)))
    return EXIT_OK


def _counts(plan: BuildPlan) -> tuple[int, int, int, int]:
    """Notes with cards, cards, tags and media files of the planned package."""
    assert plan.package is not None
    studied = [note for note in plan.package.notes if note.cards]
    tags = {tag for note in studied for tag in note.tags}
    cards = sum(len(note.cards) for note in studied)
    return len(studied), cards, len(tags), len(plan.package.media)


def _images(plan: BuildPlan) -> tuple[tuple[str, str], ...]:
    from .fingerprint import file_digest

    assert plan.package is not None
    found = ((str(m.source), file_digest(m.source)) for m in plan.package.media)
    return tuple((path, digest) for path, digest in found if digest is not None)


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
        _say(str(settings))
        return EXIT_USAGE
    config, vault = settings
    now = _now()
    if isinstance(now, Diagnostic):
        _say(str(now))
        return EXIT_USAGE
    ledger = _ledger_file(args, config, vault)
    out = args.out / package_file_name(config)
    preview = None if args.no_preview else args.out / PREVIEW_NAME
    request = BuildRequest(args.content, args.templates, ledger, config, now, args.check, vault,
                           package_file=out)  # fmt: skip
    run = _Run(args, request, Targets(out, ledger, preview))
    store = Store(None if args.no_cache else args.cache, (*CACHE_TABLES, *REPLAY_TABLES),
                  writable=not args.check)  # fmt: skip
    if store.refused is not None:
        _say(f"{display_path(args.cache)}: note: not used as a cache: {store.refused}")
    try:
        return _watch(run, store) if args.watch else _build(run, store)
    finally:
        store.close()


def _watch(run: _Run, store: Store) -> int:
    """`--watch`: every save builds again in this process (see watch.py)."""
    from .watch import watch_loop

    memory = Memory()
    content = run.request.content_dir.resolve()

    def build_again(changed: set[Path]) -> tuple[bool, list[str]]:
        if any(content in path.resolve().parents and path.suffix != ".md" for path in changed):
            memory.forget_renders()  # an image changed: renders that show one may differ
        heard: list[str] = []
        _HEARD.append(heard)
        try:
            code = _build(run, store, memory)
        except OSError as exc:  # the environment failed this build: said, and the watch goes on
            _say(f"{_where(exc)}: error: {exc.strerror or exc}")
            code = EXIT_ENVIRONMENT
        finally:
            _HEARD.remove(heard)
        problems = [
            line for line in heard if ": error: " in line or line.startswith("build failed")
        ]
        return code == EXIT_OK, problems

    args = run.args
    config = [args.config or Path("pyproject.toml")]
    paths = [run.request.content_dir, run.request.templates_dir, *config]
    ignored = [args.out, args.cache, run.targets.ledger]
    page = run.targets.preview or args.out / PREVIEW_NAME
    return watch_loop(build_again, page, args.port, paths, ignored)


def _where(exc: OSError) -> str:
    name = exc.filename if exc.filename is not None else exc.filename2
    return display_path(Path(os.fsdecode(name))) if name is not None else "build_deck.py"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _arguments().parse_args(argv)
    except _Exit as stop:
        return stop.status
    try:
        return _run(args)
    except KeyboardInterrupt:
        _say("interrupted; nothing half-written is left behind")
        return EXIT_INTERRUPTED
    except OSError as exc:
        if args.traceback:
            traceback.print_exc()
        _say(f"{_where(exc)}: error: {exc.strerror or exc}; the build stopped")
        return EXIT_ENVIRONMENT
    except Exception as exc:  # the boundary: anything else is a bug, said in one line
        if args.traceback:
            traceback.print_exc()
        _say(f"build_deck.py: internal error: {type(exc).__name__}: {exc} (run with --traceback "
             "to see where, and please report it)")  # fmt: skip
        return EXIT_INTERNAL


def run() -> None:
    """Console-script entry point (`build-deck`)."""
    sys.exit(main())
