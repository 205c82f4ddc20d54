"""Timing and peak memory of one command run as a child process."""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class CommandFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Sample:
    seconds: float
    maxrss_mb: float  # the largest single process: the child or any process it waited for
    total_mb: float  # sampled peak of the whole process tree's PSS (workers counted once each)
    cpu_seconds: float = 0.0  # user + system, workers included: wall time shared with others


def _tree(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            text = Path(f"/proc/{current}/task/{current}/children").read_text()
        except OSError:
            continue
        queue.extend(int(child) for child in text.split())
    return found


def _pss_kb(pid: int) -> int:
    # PSS, not RSS: forked workers share the parent's pages, RSS would count them twice.
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_kb = pid, every, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            total = sum(_pss_kb(pid) for pid in _tree(self.pid))
            self.peak_kb = max(self.peak_kb, total)


def run_timed(
    command: Sequence[str], cwd: Path, env: dict[str, str] | None = None, log: Path | None = None
) -> Sample:
    """Run to completion; raise with the command's output when it fails."""
    output = log.open("wb") if log else subprocess.DEVNULL
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=output)
    sampler = _TreeSampler(process.pid)
    sampler.start()
    # wait4 gives this child's own rusage (its maxrss covers the children it waited for too).
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if log:
        output.close()  # type: ignore[union-attr]
    if process.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log else ""
        raise CommandFailed(f"{' '.join(map(str, command))} exited {process.returncode}\n{tail}")
    cpu = usage.ru_utime + usage.ru_stime
    return Sample(seconds, usage.ru_maxrss / 1024, sampler.peak_kb / 1024, cpu)


def median(samples: Sequence[Sample]) -> Sample:
    return Sample(
        statistics.median(s.seconds for s in samples),
        max(s.maxrss_mb for s in samples),
        max(s.total_mb for s in samples),
        statistics.median(s.cpu_seconds for s in samples),
    )
