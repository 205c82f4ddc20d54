"""A typed codec for cache entries: frozen dataclasses, tuples and paths as compact JSON.

JSON, never pickle: a cache file planted in a content repository cannot run code. Only the
classes a codec is made with can come back; anything else decodes to nothing (a cache miss).
"""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

_T = TypeVar("_T")


@lru_cache(maxsize=1024)
def _path(text: str) -> Path:
    return Path(text)  # shared, as when parsed: a file's notes all hold one Path


class Codec:
    def __init__(self, *classes: type) -> None:
        self._classes = {cls.__name__: cls for cls in classes}

    def _encode(self, value: Any) -> Any:
        if value is None or isinstance(value, str | int | float):
            return value
        if isinstance(value, tuple):
            return {"t": [self._encode(item) for item in value]}
        if isinstance(value, list):
            return [self._encode(item) for item in value]
        if isinstance(value, Path):
            return {"p": str(value)}
        if isinstance(value, dict):
            return {"m": {str(key): self._encode(item) for key, item in value.items()}}
        if is_dataclass(value) and self._classes.get(type(value).__name__) is type(value):
            # Values in field order, names once: the field list is part of the code version.
            return {
                "d": type(value).__name__,
                "f": [self._encode(getattr(value, f.name)) for f in fields(value)],
            }
        raise TypeError(f"cannot encode a {type(value).__name__}")

    def _decode(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._decode(item) for item in value]
        if not isinstance(value, dict):
            return value
        if "t" in value:
            return tuple(self._decode(item) for item in value["t"])
        if "p" in value:
            return _path(value["p"])
        if "m" in value:
            return {key: self._decode(item) for key, item in value["m"].items()}
        # Most values are text: decoded inline, as recursing for each would double the cost.
        items = [i if type(i) is str else self._decode(i) for i in value["f"]]
        return self._classes[value["d"]](*items)

    def dumps(self, value: Any) -> bytes | None:
        """The entry as JSON, or None when it holds something this codec does not know."""
        try:
            return json.dumps(
                self._encode(value), ensure_ascii=False, separators=(",", ":")
            ).encode()
        except (TypeError, ValueError):
            return None

    def loads(self, data: bytes | None, expected: type[_T]) -> _T | None:
        """A decoded entry of the expected type, or None for a missing or unreadable one."""
        if data is None:
            return None
        try:
            entry = self._decode(json.loads(data))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return None  # damaged, or written for classes that have changed since: a miss
        return entry if isinstance(entry, expected) else None
