"""The note types: one per kind, with its templates (from the templates folder) and the CSS."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Diagnostic, error
from .discover import decode_source, display_path
from .fingerprint import content_hash
from .highlight import code_css
from .kinds import KINDS, STYLE_FILE, template_files

LIGHT_CODE_STYLE = "xcode"  # every token colour >= 4.5:1 on its background (WCAG AA)
NIGHT_CODE_STYLE = "monokai"

# What a template must say for the cards `kinds.py` expects to be the cards Anki makes.
_REQUIRED = {
    "qa-front.html": ("{{Question}}",),
    "qa-reverse-front.html": ("{{#Reverse}}", "{{Answer}}", "{{/Reverse}}"),
    "cloze-front.html": ("{{cloze:Text}}",),
    "cloze-back.html": ("{{cloze:Text}}",),
}


@dataclass(frozen=True, slots=True)
class CardFaces:
    name: str  # the template's name in Anki: fixed for good
    front: str
    back: str


@dataclass(frozen=True, slots=True)
class NoteType:
    kind: str  # a key of kinds.KINDS
    name: str
    templates: tuple[CardFaces, ...]
    css: str

    @property
    def hash(self) -> str:
        """Of everything Anki stores of it: what the ledger dates changes of."""
        kind = KINDS[self.kind]
        faces = (part for t in self.templates for part in (t.name, t.front, t.back))
        return content_hash(self.name, *kind.fields, *faces, self.css)


def note_type_name(namespace: str, kind: str) -> str:
    return f"{namespace} (build-deck {KINDS[kind].label})"


def _read_templates(templates_dir: Path) -> dict[str, str] | list[Diagnostic]:
    texts: dict[str, str] = {}
    problems: list[Diagnostic] = []
    for filename in template_files():
        path = templates_dir / filename
        display = display_path(path)
        if path.exists() and not path.is_file():  # a FIFO would block the build forever
            problems.append(error(display, None, "cannot read template: not a regular file"))
            continue
        try:
            text = decode_source(path.read_bytes(), display)
        except OSError as exc:
            problems.append(error(display, None, f"cannot read template: {exc.strerror or exc}"))
            continue
        if isinstance(text, Diagnostic):
            problems.append(text)
            continue
        missing = [part for part in _REQUIRED.get(filename, ()) if part not in text]
        if missing:
            message = f"template must contain {', '.join(missing)}: the cards depend on it"
            problems.append(error(display, None, message))
        texts[filename] = text
    return problems or texts


def load_note_types(templates_dir: Path, namespace: str) -> dict[str, NoteType] | list[Diagnostic]:
    """Every kind's note type; the Pygments colours for both modes are appended to the CSS."""
    texts = _read_templates(templates_dir)
    if isinstance(texts, list):
        return texts
    css = texts[STYLE_FILE] + "\n" + code_css(LIGHT_CODE_STYLE, NIGHT_CODE_STYLE)
    return {
        kind.name: NoteType(
            kind=kind.name,
            name=note_type_name(namespace, kind.name),
            templates=tuple(
                CardFaces(t.name, texts[t.front_file], texts[t.back_file]) for t in kind.templates
            ),
            css=css,
        )
        for kind in KINDS.values()
    }
