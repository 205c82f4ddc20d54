"""Values made from objects, found again when the very same objects come back.

A watching build hands the same unchanged objects (a note's fields, a ledger entry) to each
build; what was made of them last time (a JSON row, a hash) is reused instead of made again.
Each pass keeps only what it asked for, so nothing grows. Off unless a watching process
turns it on: a single build would only hold every row in memory at once for nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

_Key = TypeVar("_Key")
_Value = TypeVar("_Value")


_ON = [False]


def keep_between_builds() -> None:
    """From now on, what each pass made is kept for the next (`--watch`)."""
    _ON[0] = True


class Reuse(Generic[_Key, _Value]):
    def __init__(self) -> None:
        self._last: dict[int, tuple[_Key, _Value]] = {}
        self._now: dict[int, tuple[_Key, _Value]] = {}

    def get(self, key: _Key, make: Callable[[_Key], _Value]) -> _Value:
        if not _ON[0]:
            return make(key)
        found = self._last.get(id(key))
        value = found[1] if found is not None and found[0] is key else make(key)
        self._now[id(key)] = (key, value)  # holds `key`: its id stays its own
        return value

    def done(self) -> None:
        """End of a pass: what it did not ask for is let go."""
        self._last, self._now = self._now, {}
