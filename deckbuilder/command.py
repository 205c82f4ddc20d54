"""A build in full (parse, render, reconcile, write) and `--watch`, as the command runs them."""

from __future__ import annotations

import os
from pathlib import Path

from .build import BuildPlan, plan_build
from .console import (
    EXIT_CONTENT,
    EXIT_ENVIRONMENT,
    EXIT_OK,
    HEARD,
    Run,
    failed,
    report,
    say,
    summary_line,
)
from .discover import display_path
from .fingerprint import file_digest
from .memory import Memory
from .messages import change_lines
from .progress import Progress
from .replay import Replay, record
from .request import PREVIEW_NAME
from .reuse import keep_between_builds
from .stages import make_stages
from .store import Store
from .workers import Workers
from .write import write_outputs


def full_build(run: Run, store: Store, memory: Memory | None = None) -> int:
    """Parse, render, reconcile and write; `memory` with `--watch` (see memory.py)."""
    args = run.args
    progress = Progress()
    with Workers() as workers:
        stages = make_stages(store, workers, progress, memory)
        plan = plan_build(run.request, stages, progress)
    progress.clear()
    store.save()  # even a failed build keeps what it rendered: the fix rebuilds fast
    errors = report(plan.diagnostics, args.strict)
    if errors or plan.package is None or plan.ledger is None or plan.report is None:
        return failed(errors)
    for line in change_lines(plan.report, run.config.name):
        say(line)
    if args.frozen and plan.ledger_changed:
        say(
            f"{display_path(run.targets.ledger)}: error: the ledger would change (--frozen); "
            "build without --frozen and commit the ledger; nothing written"
        )
        return EXIT_CONTENT
    counts = _counts(plan)
    if args.check:
        say(summary_line("check passed", *counts, len(plan.diagnostics)))
        return EXIT_OK
    ledger = plan.ledger if plan.ledger_changed else None
    written = write_outputs(plan.package, ledger, run.targets, store, run.config.name, progress,
                            stored=memory is not None)  # fmt: skip
    if memory is not None:
        memory.wrote_ledger(run.targets.ledger, plan.ledger)
    if run.targets.preview is not None:
        shown = display_path(run.targets.preview)
        say(f"wrote {shown}: {written.preview_cards} cards" if written.preview
             else f"{shown} unchanged: {written.preview_cards} cards")  # fmt: skip
    replay = Replay(plan.diagnostics, *counts, written.fingerprint, _images(plan))
    if plan.repeatable and len(replay.images) == len(plan.package.media):
        record(store, run.request, plan.inputs, run.targets.package, replay)
        store.save()
    done = ("wrote " + display_path(run.targets.package) if written.package
            else display_path(run.targets.package) + " unchanged")  # fmt: skip
    say(summary_line(done, *counts, len(plan.diagnostics)))
    return EXIT_OK


def _counts(plan: BuildPlan) -> tuple[int, int, int, int]:
    """Notes with cards, cards, tags and media files of the planned package."""
    assert plan.package is not None
    studied = [note for note in plan.package.notes if note.cards]
    tags = {tag for note in studied for tag in note.tags}
    cards = sum(len(note.cards) for note in studied)
    return len(studied), cards, len(tags), len(plan.package.media)


def _images(plan: BuildPlan) -> tuple[tuple[str, str], ...]:

    assert plan.package is not None
    found = ((str(m.source), file_digest(m.source)) for m in plan.package.media)
    return tuple((path, digest) for path, digest in found if digest is not None)


def watch(run: Run, store: Store) -> int:
    """`--watch`: every save builds again in this process (see watch.py)."""
    from .watch import watch_loop

    memory = Memory()
    keep_between_builds()
    content = run.request.content_dir.resolve()

    def build_again(changed: set[Path]) -> tuple[bool, list[str]]:
        if any(content in path.resolve().parents and path.suffix != ".md" for path in changed):
            memory.forget_renders()  # an image changed: renders that show one may differ
        heard: list[str] = []
        HEARD.append(heard)
        try:
            code = full_build(run, store, memory)
        except OSError as exc:  # the environment failed this build: said, and the watch goes on
            say(f"{where(exc)}: error: {exc.strerror or exc}")
            code = EXIT_ENVIRONMENT
        finally:
            HEARD.remove(heard)
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


def where(exc: OSError) -> str:
    """The file or folder an environment failure is about, as a message names it."""
    name = exc.filename if exc.filename is not None else exc.filename2
    return display_path(Path(os.fsdecode(name))) if name is not None else "build_deck.py"
