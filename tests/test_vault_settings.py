"""The plugin's data.json: its keys, its defaults, and located errors when it is broken."""

from __future__ import annotations

from pathlib import Path

import pytest

from deckbuilder.diagnostics import Diagnostic
from deckbuilder.vault import DATA_JSON, VaultSettings, read_settings, settings_from_json

from .conftest import write


def test_no_data_json_gives_the_plugins_defaults(tmp_path: Path) -> None:
    settings = read_settings(tmp_path)
    assert settings == VaultSettings()
    assert isinstance(settings, VaultSettings)
    assert (settings.single_line, settings.single_line_reversed) == ("::", ":::")
    assert (settings.multi_line, settings.multi_line_reversed) == ("?", "??")
    assert settings.flashcard_tags == ("#flashcards",)
    assert (settings.cloze_highlight, settings.cloze_bold, settings.cloze_curly) == (
        True,
        False,
        False,
    )


def test_keys_are_read_and_missing_keys_keep_their_defaults(tmp_path: Path) -> None:
    write(
        tmp_path / DATA_JSON,
        '{"settings": {"singleLineCardSeparator": ";;", "flashcardTags": ["#a", "b"],\n'
        ' "multilineCardEndMarker": "+++", "convertBoldTextToClozes": true,\n'
        ' "noteFoldersToIgnore": ["Private", " "], "flashcardEasyText": "Easy"},\n'
        ' "buryDate": "2024-01-01"}',
    )
    assert read_settings(tmp_path) == VaultSettings(
        single_line=";;",
        flashcard_tags=("#a", "#b"),
        multi_line_end_marker="+++",
        cloze_bold=True,
        ignored_folders=("Private",),
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('{"settings": {\n  "flashcardTags": [\n', 3, "plugin settings are not valid JSON"),
        ("[1, 2]", 1, "plugin settings must be a JSON object"),
        ('{\n"settings": 3}', 2, '"settings" must be a JSON object'),
        (
            '{"settings": {\n"multilineCardSeparator": 1}}',
            2,
            '"multilineCardSeparator" must be a string',
        ),
        (
            '{"settings": {\n\n"flashcardTags": "#x"}}',
            3,
            '"flashcardTags" must be a list of strings',
        ),
        ('{"settings": {"convertHighlightsToClozes": "yes"}}', 1, "must be true or false"),
    ],
)
def test_broken_settings_are_located_errors(text: str, line: int, message: str) -> None:
    result = settings_from_json(text, "vault/data.json")
    assert isinstance(result, Diagnostic)
    assert (result.path, result.line, result.severity) == ("vault/data.json", line, "error")
    assert message in result.message


def test_an_unreadable_data_json_is_an_error(tmp_path: Path) -> None:
    (tmp_path / DATA_JSON).parent.mkdir(parents=True)
    (tmp_path / DATA_JSON).write_bytes(b"\xff\xfe{")
    result = read_settings(tmp_path)
    assert isinstance(result, Diagnostic) and result.severity == "error"


def test_a_blank_separator_turns_that_card_kind_off() -> None:
    # The plugin's parser tests: an empty or whitespace separator finds no cards of that kind.
    settings = settings_from_json('{"settings": {"singleLineReversedCardSeparator": "  "}}', "x")
    assert isinstance(settings, VaultSettings) and settings.single_line_reversed == ""


def test_newer_cloze_patterns_say_which_delimiters_are_on() -> None:
    text = '{"settings": {"convertHighlightsToClozes": true, "clozePatterns": ["{{[123::]answer[::hint]}}"]}}'
    settings = settings_from_json(text, "x")
    assert isinstance(settings, VaultSettings)
    assert (settings.cloze_highlight, settings.cloze_bold, settings.cloze_curly) == (
        False,
        False,
        True,
    )


@pytest.mark.parametrize(
    ("pattern", "path", "ignored"),
    [
        ("Private", "Private/a.md", True),
        ("private/", "Private/Sub/a.md", True),
        ("Private", "Privateer/a.md", False),
        ("**/*.excalidraw.md", "a/b/Drawing.excalidraw.md", True),
        ("**/*.excalidraw.md", "Drawing.excalidraw.md", True),
        ("Templates/*", "Templates/Sub/a.md", False),
        ("Templates/*", "Templates/a.md", True),
    ],
)
def test_ignored_folders_and_patterns(pattern: str, path: str, ignored: bool) -> None:
    assert VaultSettings(ignored_folders=(pattern,)).is_ignored(path) is ignored
