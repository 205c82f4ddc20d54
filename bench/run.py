"""Benchmark: build-deck against the floor (the libraries alone) and the other tools.

    python bench/run.py [--sizes 1000,10000,100000] [--runs 3] [--no-tools] [--work DIR]

For each size it times, as the median of --runs runs, the default command `build_deck.py`
(package and preview) as a child process: a cold build (no output, ledger or cache), a rebuild
with no change, and a rebuild after editing one note; then a cold build with --no-preview, an
edit saved while `--watch` runs (until the package is written), and the preview page opening
in Chromium (until its first card is drawn); plus peak memory. Then the floor (bench/floor.py)
and the other tools (bench/tools.py) on the same notes. Prints Markdown tables and writes
every number to WORK/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # bench/ is a folder of scripts, not a package
import live
import tools
from measure import CommandFailed, Sample, median, run_timed

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
WATCH_UP_TO = 10_000  # `--watch` and the page are timed up to this size


@dataclass(frozen=True)
class Ours:
    notes: int
    cold: Sample
    no_change: Sample
    one_edit: Sample
    package_bytes: int
    cold_no_preview: Sample
    watch_edit: float | None  # seconds from the save to the package written
    page_open: float | None  # seconds from opening the preview to its first card
    preview_bytes: int

    @property
    def builds(self) -> tuple[Sample, Sample, Sample]:
        return self.cold, self.no_change, self.one_edit


@dataclass(frozen=True)
class Floor:
    notes: int
    markdown_pygments: float
    pygments: float
    genanki: float

    @property
    def total(self) -> float:
        return self.markdown_pygments + self.genanki


@dataclass(frozen=True)
class Other:
    tool: str
    notes: int
    cold: Sample | None
    package_bytes: int
    package_notes: int
    why_not: str
    remarks: tuple[str, ...]


# --- our build ----------------------------------------------------------------------------


class Workspace:
    """One size's corpus and the paths a build of it reads and writes."""

    def __init__(self, root: Path, count: int, project: Path = ROOT) -> None:
        self.root, self.count, self.project = root, count, project
        self.content, self.out = root / "content", root / "out"
        self.ledger, self.cache = root / "ledger.json", root / ".cache"
        self.parts = root / "parts.jsonl"

    def create(self) -> list[corpus.BenchNote]:
        shutil.rmtree(self.root, ignore_errors=True)
        notes = corpus.make_notes(self.count)
        for form in corpus.FORMATS:
            corpus.write_corpus(notes, self.root / form, form)
        (self.root / "ours").rename(self.content)
        corpus.write_parts(notes, self.parts)
        (self.root / "pyproject.toml").write_text("[tool.build-deck]\n", encoding="utf-8")
        return notes

    def build_command(self, preview: bool = False) -> list[str]:
        command = [
            sys.executable,
            str(self.project / "build_deck.py"),
            "--content",
            str(self.content),
            "--templates",
            str(self.project / "templates"),
            "--out",
            str(self.out),
            "--config",
            str(self.root / "pyproject.toml"),
            "--ledger",
            str(self.ledger),
        ]
        return command if preview else [*command, "--no-preview"]

    def reset(self) -> None:
        """Nothing built yet: no package, no ledger, no cache."""
        shutil.rmtree(self.out, ignore_errors=True)
        shutil.rmtree(self.cache, ignore_errors=True)
        self.ledger.unlink(missing_ok=True)

    def build(self, preview: bool = False) -> Sample:
        log = self.root / "build.log"
        return run_timed(self.build_command(preview), cwd=self.root, log=log)


def _edit_one_note(workspace: Workspace, run: int) -> Callable[[], None]:
    """Change one note's answer; returns how to undo it."""
    target = corpus.edit_target(workspace.content, workspace.count)
    original = target.read_text(encoding="utf-8")
    first = (workspace.count // corpus.NOTES_PER_FILE // 2) * corpus.NOTES_PER_FILE
    marker = f"`f_{first}()`"
    assert marker in original
    target.write_text(original.replace(marker, f"{marker} (edit {run})", 1), encoding="utf-8")

    def undo() -> None:
        target.write_text(original, encoding="utf-8")

    return undo


def measure_ours(workspace: Workspace, runs: int, live_too: bool) -> Ours:
    cold, same, edit, bare = [], [], [], []
    for run in range(runs):
        workspace.reset()
        cold.append(workspace.build(preview=True))
        same.append(workspace.build(preview=True))
        undo = _edit_one_note(workspace, run)
        try:
            edit.append(workspace.build(preview=True))
        finally:
            undo()
    size = tools.package_bytes(workspace.out)
    page = workspace.out / "preview.html"
    preview_size = page.stat().st_size
    opened = live.preview_open(page, runs) if live_too else None
    for _ in range(runs):
        workspace.reset()
        bare.append(workspace.build())
    watched = None
    if live_too:
        workspace.reset()
        edit_one = partial(_edit_one_note, workspace)
        watched = live.watch_edits(workspace.build_command(True), workspace.root, edit_one, runs)
    return Ours(workspace.count, median(cold), median(same), median(edit), size, median(bare),
                watched, opened, preview_size)  # fmt: skip


# --- the floor and the other tools --------------------------------------------------------


def measure_floor(workspace: Workspace, runs: int) -> Floor:
    samples = []
    for _ in range(runs):
        target = workspace.root / "floor.apkg"
        command = [sys.executable, str(BENCH / "floor.py"), str(workspace.parts), str(target)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        samples.append(json.loads(done.stdout))
    pick = {key: statistics.median(s[key] for s in samples) for key in samples[0]}
    return Floor(workspace.count, pick["markdown_pygments"], pick["pygments"], pick["genanki"])


def measure_tool(tool: tools.Tool, workspace: Workspace, runs: int) -> Other:
    why, remarks = tools.install(tool)
    if why:
        return Other(tool.name, workspace.count, None, 0, 0, why, tuple(remarks))
    inputs = sorted((workspace.root / tool.form).glob("*.md"))
    out = workspace.root / f"out-{tool.name}"
    samples = []
    try:
        for _ in range(runs):
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            command = tool.command(tool.venv / "bin", inputs, out)
            log = workspace.root / f"{tool.name}.log"
            samples.append(run_timed(command, cwd=out, log=log))
    except CommandFailed as failure:
        lines = str(failure).strip().splitlines()
        return Other(tool.name, workspace.count, None, 0, 0, f"fails: {lines[-1][:200]}", ())
    size = tools.package_bytes(out)
    if size == 0:
        return Other(tool.name, workspace.count, None, 0, 0, "wrote no .apkg", tuple(remarks))
    count = tools.package_notes(out)
    return Other(tool.name, workspace.count, median(samples), size, count, "", tuple(remarks))


# --- report -------------------------------------------------------------------------------


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def _kb(size: int) -> str:
    return f"{size / 1024:,.0f} KB" if size < 10 * 1024 * 1024 else f"{size / 2**20:,.1f} MB"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _share(part: float | None, whole: float) -> str:
    return "" if part is None else f"{_s(part)} ({part / whole:.0%})"


def report(ours: list[Ours], floors: list[Floor], others: list[Other]) -> str:
    header = ["notes", "cold (CPU)", "no change", "one edit", "--watch: one edit",
              "cold, --no-preview", "preview opens", "peak RSS", "peak PSS", "package",
              "preview"]  # fmt: skip
    rows = [
        [
            f"{o.notes:,}",
            f"{_s(o.cold.seconds)} ({_s(o.cold.cpu_seconds)})",
            _share(o.no_change.seconds, o.cold.seconds),
            _share(o.one_edit.seconds, o.cold.seconds),
            _share(o.watch_edit, o.cold.seconds),
            _s(o.cold_no_preview.seconds),
            "" if o.page_open is None else _s(o.page_open),
            f"{max(b.maxrss_mb for b in (*o.builds, o.cold_no_preview)):.0f} MB",
            f"{max(b.total_mb for b in (*o.builds, o.cold_no_preview)):.0f} MB",
            _kb(o.package_bytes),
            _kb(o.preview_bytes),
        ]
        for o in ours
    ]
    parts = [
        "### build-deck: the default command, package and preview (median; percentages of the "
        "cold build; memory: the worst build)",
        table(header, rows),
    ]
    if floors:
        by_size = {o.notes: o for o in ours}
        parts += [
            "\n### the floor: the libraries alone, one process, no interpreter start-up",
            table(
                [
                    "notes",
                    "markdown-it + Pygments",
                    "Pygments alone",
                    "genanki write",
                    "floor (md-it + Pygments + genanki)",
                    "our cold --no-preview / floor",
                ],
                [
                    [
                        f"{f.notes:,}",
                        _s(f.markdown_pygments),
                        _s(f.pygments),
                        _s(f.genanki),
                        _s(f.total),
                        f"{by_size[f.notes].cold_no_preview.seconds / f.total:.2f}x",
                    ]
                    for f in floors
                ],
            ),
        ]
    if others:
        by_size = {o.notes: o for o in ours}
        rows = []
        for other in others:
            mine = by_size[other.notes]
            if other.cold is None:
                rows.append([f"{other.notes:,}", other.tool, other.why_not, "", "", "", ""])
                continue
            rows.append(
                [
                    f"{other.notes:,}",
                    other.tool,
                    _s(other.cold.seconds),
                    f"{mine.cold.seconds / other.cold.seconds:.2f}x",
                    _kb(other.package_bytes),
                    f"{mine.package_bytes / other.package_bytes:.2f}x",
                    f"{other.package_notes:,}",
                ]
            )
        parts += [
            "\n### other tools (cold build, median; they have no incremental mode)",
            table(
                [
                    "notes",
                    "tool",
                    "cold",
                    "our cold / theirs",
                    "package",
                    "our package / theirs",
                    "notes in it",
                ],
                rows,
            ),
        ]
        remarks = dict.fromkeys(r for other in others for r in other.remarks)
        parts += [f"- {remark}" for remark in remarks]
    return "\n".join(parts)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="note counts, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--no-tools", action="store_true", help="skip the other tools")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor")
    parser.add_argument(
        "--tools-up-to",
        type=int,
        default=10_000,
        metavar="N",
        help="time the other tools only up to N notes (some take minutes beyond)",
    )
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: tmp)")
    parser.add_argument(
        "--project",
        type=Path,
        default=ROOT,
        help="checkout whose build_deck.py is timed (default: this one); a copy keeps edits "
        "made while the benchmark runs out of it",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    before = os.getloadavg()
    speed_before = cpu_probe()
    work = args.work or Path(tempfile.gettempdir()) / "build-deck-bench"
    ours: list[Ours] = []
    floors: list[Floor] = []
    others: list[Other] = []
    for count in sizes:
        workspace = Workspace(work / str(count), count, args.project.resolve())
        workspace.create()
        print(f"{count:,} notes: build-deck ...", file=sys.stderr, flush=True)
        ours.append(measure_ours(workspace, args.runs, live_too=count <= WATCH_UP_TO))
        if not args.no_floor:
            print(f"{count:,} notes: floor ...", file=sys.stderr, flush=True)
            floors.append(measure_floor(workspace, args.runs))
        if not args.no_tools and count <= args.tools_up_to:
            for tool in tools.TOOLS:
                print(f"{count:,} notes: {tool.name} ...", file=sys.stderr, flush=True)
                others.append(measure_tool(tool, workspace, args.runs))
    load = os.getloadavg()
    results = {"ours": ours, "floor": floors, "others": others, "load_after": load}
    (work / "results.json").write_text(json.dumps(_plain(results), indent=1))
    print(report(ours, floors, others))
    # Other work on the machine slows the parallel cold build first: say how busy it was.
    print(f"\nload average before: {before[0]:.2f}, after: {load[0]:.2f} ({os.cpu_count()} cores)")
    # A shared VM's cores can run several times slower for a while: times from a slow
    # stretch are not comparable with another run's, so say how fast the machine was.
    print(
        f"machine speed (seconds for a fixed Python loop): {speed_before:.2f} before, "
        f"{cpu_probe():.2f} after"
    )
    return 0


def cpu_probe() -> float:
    """Seconds one core takes for ten million additions in Python (0.6 s on a quiet EPYC)."""
    started = time.perf_counter()
    total = 0
    for number in range(10_000_000):
        total += number
    return time.perf_counter() - started


def _plain(value: object) -> object:
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value


if __name__ == "__main__":
    sys.exit(main())
