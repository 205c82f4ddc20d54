"""Which cards a note asks for: its kind and card options, from heading classes or front matter.

The same words serve both places: `{.cloze}` on a heading, `cards: [cloze]` in front matter.
`reverse` and `type` add to a Q&A note; `cloze` makes a cloze note; `basic` asks for a plain
Q&A note where a file's default says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from .kinds import CLOZE, KINDS, QA, REVERSE, TYPE_IN

BASIC = "basic"
CARD_CLASSES = (BASIC, CLOZE, REVERSE, TYPE_IN)


@dataclass(frozen=True, slots=True)
class CardSpec:
    """A note kind (a key of `kinds.KINDS`) and the card options it adds, sorted."""

    kind: str = QA
    options: tuple[str, ...] = ()


PLAIN = CardSpec()


def _known(prefix: str) -> str:
    return ", ".join(f"{prefix}{name}" for name in CARD_CLASSES)


def read_card_classes(names: list[str], prefix: str = "") -> CardSpec | str:
    """The cards these class names ask for, or why they cannot be read together.

    `prefix` is how the names are written where they come from (`.` on a heading).
    """
    unknown = [name for name in names if name not in CARD_CLASSES]
    if unknown:
        return f"unknown card kind {prefix + unknown[0]!r} (known: {_known(prefix)})"
    chosen = set(names)
    if BASIC in chosen and len(chosen) > 1:
        others = " ".join(f"{prefix}{name}" for name in sorted(chosen - {BASIC}))
        return f"{prefix}{BASIC} asks for a plain Q&A note and cannot be combined with {others}"
    kind = CLOZE if CLOZE in chosen else QA
    options = tuple(sorted(chosen - {BASIC, CLOZE}))
    allowed = KINDS[kind].options
    for option in options:
        if option not in allowed:
            return (
                f"{prefix}{kind} cannot be combined with {prefix}{option}: "
                f"a {KINDS[kind].label} note has no such card"
            )
    return CardSpec(kind, options)
