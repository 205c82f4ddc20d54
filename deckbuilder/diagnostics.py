"""Located messages about the content: the one currency every stage reports in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem at `path:line`, printed exactly as `path:line: severity: message`."""

    path: str
    line: int | None
    severity: Severity
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.severity}: {self.message}"

    @property
    def sort_key(self) -> tuple[str, int]:
        return (self.path, self.line or 0)


def error(path: str, line: int | None, message: str) -> Diagnostic:
    return Diagnostic(path, line, "error", message)


def warning(path: str, line: int | None, message: str) -> Diagnostic:
    return Diagnostic(path, line, "warning", message)
