"""Deck names: a note's subdeck below the deck's own, and the decks a package holds.

A subdeck is written as Anki writes deck paths, `Keras::Layers`, relative to the deck named
in `[tool.build-deck]`. Its ID is derived from the namespace and the subdeck path, so the
same folder or front matter always gives the same deck.
"""

from __future__ import annotations

import unicodedata

SEPARATOR = "::"


def deck_parts(deck: str) -> list[str]:
    return [part.strip() for part in deck.split(SEPARATOR)]


def deck_problem(deck: str) -> str | None:
    """Why `deck` is not a usable subdeck path, or None."""
    parts = deck_parts(deck)
    if any(not part for part in parts):
        return f"{deck!r} has an empty level: write levels as Parent::Child"
    for part in parts:
        if any(unicodedata.category(char) in ("Cc", "Cf") for char in part):
            return f"{deck!r} contains a control character"
        if len(part) > 100:
            return f"has a level of {len(part)} characters (at most 100)"
    return None


def normal_deck(deck: str) -> str:
    """The subdeck path as Anki stores it: levels trimmed, NFC, joined by `::`."""
    return SEPARATOR.join(unicodedata.normalize("NFC", part) for part in deck_parts(deck))


def full_name(root: str, deck: str) -> str:
    return f"{root}{SEPARATOR}{deck}" if deck else root


def with_parents(decks: set[str]) -> list[str]:
    """Every subdeck and each of its parents, parents first: Anki needs them all."""
    found: set[str] = set()
    for deck in decks:
        parts = deck.split(SEPARATOR) if deck else []
        found.update(SEPARATOR.join(parts[:depth]) for depth in range(1, len(parts) + 1))
    return sorted(found, key=lambda name: (name.count(SEPARATOR), name))


def spelling_conflicts(decks: dict[str, str]) -> list[tuple[str, str, str]]:
    """(subdeck, the spelling seen first, where this one is) for every subdeck written with
    other capitals elsewhere: Anki matches deck names ignoring case, so they are one deck.

    `decks` maps each spelling to the place it is first used, in reading order.
    """
    first: dict[str, str] = {}
    found = []
    for deck, where in decks.items():
        seen = first.setdefault(deck.casefold(), deck)
        if seen != deck:
            found.append((deck, seen, where))
    return found
