"""The note type: its fields (fixed for good), its templates and its CSS."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Diagnostic, error
from .discover import decode_source, display_path
from .render import code_css

# Changing this list forces every user into a one-way full sync: append only, never reorder.
FIELDS = ("Question", "Detail", "Answer", "Topic", "Source", "Key")
TEMPLATE_FILES = ("front.html", "back.html", "style.css")
LIGHT_CODE_STYLE = "xcode"  # every token colour >= 4.5:1 on its background (WCAG AA)
NIGHT_CODE_STYLE = "monokai"


@dataclass(frozen=True, slots=True)
class NoteType:
    name: str
    front: str
    back: str
    css: str


def load_note_type(templates_dir: Path, name: str) -> NoteType | list[Diagnostic]:
    """Read front, back and CSS; the Pygments colours for both modes are appended to the CSS."""
    texts: dict[str, str] = {}
    problems: list[Diagnostic] = []
    for filename in TEMPLATE_FILES:
        path = templates_dir / filename
        display = display_path(path)
        try:
            text = decode_source(path.read_bytes(), display)
        except OSError as exc:
            problems.append(error(display, None, f"cannot read template: {exc.strerror or exc}"))
            continue
        if isinstance(text, Diagnostic):
            problems.append(text)
        else:
            texts[filename] = text
    if problems:
        return problems
    css = texts["style.css"] + "\n" + code_css(LIGHT_CODE_STYLE, NIGHT_CODE_STYLE)
    return NoteType(name, texts["front.html"], texts["back.html"], css)
