"""One process pool for a build, and an ordered map over it that streams results."""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from itertools import islice
from multiprocessing import get_context
from typing import TypeVar

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what this process may use, not what the box has
    except AttributeError:
        return os.cpu_count() or 1


class Workers:
    """A process pool, started on first need and shared by parsing and rendering."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def pool(self) -> Executor | None:
        if self._pool is None and cores() > 1:
            # fork: workers start with everything imported, in milliseconds.
            context = get_context("fork") if sys.platform == "linux" else None
            self._pool = ProcessPoolExecutor(cores(), mp_context=context)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _apply(function: Callable[[_Item], _Result], chunk: Sequence[_Item]) -> list[_Result]:
    return [function(item) for item in chunk]


def ordered_map(
    function: Callable[[_Item], _Result],
    items: Iterable[_Item],
    pool: Executor | None,
    chunk: int,
    report: Callable[[int], None],
) -> Iterator[_Result]:
    """`function` over `items`, results in order, in worker processes when a pool is given.

    A generator: the caller stores each result while the workers go on with the next. Each
    item and result is let go once handed on (100,000 notes' worth would otherwise stay).
    """
    if pool is None:
        for done, item in enumerate(items, 1):
            yield function(item)
            report(done)
        return
    items = iter(items)
    futures = deque(
        pool.submit(_apply, function, batch)
        for batch in iter(lambda: list(islice(items, chunk)), [])
    )
    done = 0
    while futures:
        results = futures.popleft().result()
        done += len(results)
        yield from results
        report(done)
