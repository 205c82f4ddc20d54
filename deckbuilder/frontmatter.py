"""A file's front matter: its topic, extra tags, subdeck and default card kind."""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml
from markdown_it.token import Token

from .cards import CardSpec, read_card_classes
from .decks import deck_problem, normal_deck
from .diagnostics import Diagnostic, error, warning

FRONT_MATTER_KEYS = ("topic", "tags", "deck", "cards")
# The opening line the front matter plugin accepts; without a closing line it is silently
# read as a rule and paragraphs, so the YAML would end up on cards.
FRONT_MATTER_OPEN = re.compile(r"^-{3,}[ \t]*(?:\n|$)")


@dataclass(frozen=True, slots=True)
class FrontMatter:
    topic: str | None = None
    tags: tuple[str, ...] = ()
    deck: str | None = None  # subdeck below the deck's own, `::` between levels
    cards: CardSpec | None = None  # the file's default card kind
    diagnostics: tuple[Diagnostic, ...] = ()


def _key_line(token: Token, key: str) -> int:
    """The 1-based file line where `key:` is written, so messages point at it."""
    found = re.search(rf"^{re.escape(key)}[ \t]*:", token.content, re.MULTILINE)
    return 2 + token.content.count("\n", 0, found.start()) if found else 1


def _load_yaml(token: Token, display: str) -> object:
    """The front matter's data, or a located reason it is not YAML."""
    try:
        return yaml.safe_load(token.content) if token.content.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + mark.line if mark is not None else 1
        return error(
            display, line, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}"
        )
    except RecursionError:  # PyYAML recurses once per nesting level: `[[[[...` is hostile
        return error(display, 1, "front matter nests too deeply")


def _is_text_value(value: object) -> bool:
    # `yes`, `true` and dates are YAML types of their own: as a topic they are a typo.
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _words(value: object) -> list[str] | None:
    """A list of text values, or one text of words; None when it is neither."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list) and all(_is_text_value(item) for item in value):
        return [str(item) for item in value]
    return None


def _topic(data: dict[object, object], token: Token, display: str) -> str | Diagnostic | None:
    topic = data.get("topic")
    if topic is not None and not (_is_text_value(topic) and str(topic).strip()):
        message = "front matter `topic:` must be a single, non-empty text value"
        return error(display, _key_line(token, "topic"), message)
    return None if topic is None else str(topic)


def _deck(data: dict[object, object], token: Token, display: str) -> str | Diagnostic | None:
    if "deck" not in data:
        return None
    deck, line = data["deck"], _key_line(token, "deck")
    if not (_is_text_value(deck) and str(deck).strip()):
        return error(display, line, "front matter `deck:` must be one subdeck name, like Keras")
    problem = deck_problem(str(deck))
    if problem:
        return error(display, line, f"front matter `deck:` {problem}")
    return normal_deck(str(deck))


def _cards(data: dict[object, object], token: Token, display: str) -> CardSpec | Diagnostic | None:
    if "cards" not in data:
        return None
    line = _key_line(token, "cards")
    words = _words(data["cards"])
    if not words:
        return error(display, line, "front matter `cards:` must list card kinds, like [reverse]")
    spec = read_card_classes(words)
    return error(display, line, f"front matter `cards:` {spec}") if isinstance(spec, str) else spec


def read_front_matter(token: Token, display: str) -> FrontMatter | Diagnostic:
    data = _load_yaml(token, display)
    if isinstance(data, Diagnostic):
        return data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return error(display, 1, "front matter must be a mapping of keys (topic:, tags:)")
    tags = _words(data.get("tags", []))
    if tags is None:
        message = "front matter `tags:` must be a list of text values"
        return error(display, _key_line(token, "tags"), message)
    topic = _topic(data, token, display)
    deck = _deck(data, token, display)
    cards = _cards(data, token, display)
    if isinstance(topic, Diagnostic):
        return topic
    if isinstance(deck, Diagnostic):
        return deck
    if isinstance(cards, Diagnostic):
        return cards
    return FrontMatter(topic, tuple(tags), deck, cards, _unknown_keys(data, display))


def _unknown_keys(data: dict[object, object], display: str) -> tuple[Diagnostic, ...]:
    # A typo (`tag:`) would otherwise be ignored without a word; other tools' keys
    # (`aliases:`) are harmless, hence a warning rather than an error.
    known = ", ".join(f"{key}:" for key in FRONT_MATTER_KEYS)
    return tuple(
        warning(display, 1, f"unknown front matter key {str(key)!r} ignored (known: {known})")
        for key in data
        if key not in FRONT_MATTER_KEYS
    )
