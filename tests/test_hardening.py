"""Broken and hostile input: a located, human message and exit 1, never a traceback or a package.

Every case runs the real command line in-process (`build()`) in an empty folder.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from pathlib import Path

import pytest

from .conftest import build, write
from .test_hostile import HOSTILE, _built, unsafe_parts

OK = "## What is fine?\n\nThis.\n"


def _modes_are_enforced() -> bool:
    """Whether a mode-000 file really cannot be read (not so for root, which may bypass it)."""
    with tempfile.TemporaryDirectory() as scratch:
        probe = Path(scratch) / "probe"
        probe.write_bytes(b"x")
        probe.chmod(0)
        try:
            probe.read_bytes()
        except PermissionError:
            return True
        return False


ROOT_READS_EVERYTHING = pytest.mark.skipif(
    not _modes_are_enforced(),
    reason="running as root: files and folders are read whatever their mode",
)


def _packages(folder: Path) -> list[Path]:
    return sorted(folder.glob("**/*.apkg"))


def _fails_with(folder: Path, err: str, message: str) -> None:
    assert message in err, err
    assert "Traceback" not in err
    assert err.rstrip().endswith("nothing written")
    assert _packages(folder) == []


# --- files that cannot be read ----------------------------------------------------------


@ROOT_READS_EVERYTHING
def test_unreadable_file_is_named(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "ok.md", OK)
    secret = write(in_tmp / "content" / "secret.md", "## Q?\n\nA.\n")
    secret.chmod(0)
    try:
        assert build() == 1
    finally:
        secret.chmod(0o644)
    err = capsys.readouterr().err
    _fails_with(in_tmp, err, "content/secret.md: error: cannot read file: Permission denied")


def test_unreadable_file_is_named_even_as_root(
    in_tmp: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root ignores file modes, so the refusal is simulated where the file is read.
    write(in_tmp / "content" / "ok.md", OK)
    secret = write(in_tmp / "content" / "secret.md", "## Q?\n\nA.\n")
    read_bytes = Path.read_bytes

    def refuse(path: Path) -> bytes:
        if path.name == secret.name:
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert build() == 1
    err = capsys.readouterr().err
    _fails_with(in_tmp, err, "content/secret.md: error: cannot read file: Permission denied")


@ROOT_READS_EVERYTHING
def test_unreadable_folder_is_named(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "ok.md", OK)
    locked = in_tmp / "content" / "locked"
    write(locked / "a.md", "## Q?\n\nA.\n")
    locked.chmod(0)
    try:
        assert build() == 1
    finally:
        locked.chmod(0o755)
    err = capsys.readouterr().err
    _fails_with(in_tmp, err, "content/locked: error: cannot read folder: Permission denied")


def test_fifo_named_md_is_refused_without_blocking(in_tmp: Path, capsys) -> None:
    # Opening a FIFO for reading blocks until a writer comes: it must never be opened.
    write(in_tmp / "content" / "ok.md", OK)
    os.mkfifo(in_tmp / "content" / "pipe.md")
    assert build() == 1
    _fails_with(in_tmp, capsys.readouterr().err, "content/pipe.md: error: not a regular file")


def test_folder_named_like_a_source_is_just_a_folder(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "odd.md" / "inner.md", OK)
    assert build("--check") == 0
    assert "check passed: 1 notes" in capsys.readouterr().err


# --- symlinks ---------------------------------------------------------------------------


def test_folder_symlink_loop_is_located_and_ends(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "ok.md", OK)
    (in_tmp / "content" / "a").symlink_to("a")
    assert build() == 1
    _fails_with(in_tmp, capsys.readouterr().err, "content/a: error: symlink loop")


def test_source_symlink_to_itself_is_located(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "ok.md", OK)
    (in_tmp / "content" / "self.md").symlink_to("self.md")
    assert build() == 1
    _fails_with(in_tmp, capsys.readouterr().err, "content/self.md: error: symlink loop")


def test_symlink_cycle_through_folders_ends(in_tmp: Path, capsys) -> None:
    # Links to an ancestor would make a naive walk go round forever.
    write(in_tmp / "content" / "sub" / "ok.md", OK)
    (in_tmp / "content" / "sub" / "again").symlink_to("..")
    (in_tmp / "content" / "here").symlink_to(".")
    assert build("--check") == 0
    assert "check passed: 1 notes" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_symlink_leaving_the_content_folder_is_an_error(in_tmp: Path, capsys, kind: str) -> None:
    write(in_tmp / "content" / "ok.md", OK)
    write(in_tmp / "elsewhere" / "outside.md", "## Who put me here?\n\nSomeone.\n")
    if kind == "file":
        link, target = in_tmp / "content" / "outside.md", "../elsewhere/outside.md"
    else:
        link, target = in_tmp / "content" / "shared", "../elsewhere"
    link.symlink_to(target)
    assert build() == 1
    _fails_with(
        in_tmp,
        capsys.readouterr().err,
        f"content/{link.name}: error: symlink leads outside the content folder ({target})",
    )


def test_dangling_source_symlink_is_an_error(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "ok.md", OK)
    (in_tmp / "content" / "gone.md").symlink_to("nowhere.md")
    assert build() == 1
    _fails_with(in_tmp, capsys.readouterr().err, "content/gone.md: error: symlink target not found")


def test_symlink_inside_the_content_folder_still_works(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "real" / "a.md", OK)
    (in_tmp / "content" / "alias").symlink_to("real")  # folder link: its files are read once
    assert build("--check") == 0
    assert "check passed: 1 notes" in capsys.readouterr().err


# --- unterminated blocks ----------------------------------------------------------------


def test_unclosed_fence_is_a_located_warning(in_tmp: Path, capsys) -> None:
    write(
        in_tmp / "content" / "a.md",
        "## What is first?\n\n```python\nx = 1\n\n## What is swallowed?\n\nThis.\n",
    )
    assert build("--check") == 0
    err = capsys.readouterr().err
    assert "content/a.md:3: warning: code fence never closed" in err
    assert build("--strict") == 1
    _fails_with(in_tmp, capsys.readouterr().err, "content/a.md:3: error: code fence never closed")


def test_closed_fences_in_quotes_and_lists_do_not_warn(in_tmp: Path, capsys) -> None:
    write(
        in_tmp / "content" / "a.md",
        "## What is quoted?\n\n> ```\n> x\n> ```\n\n- ````\n  y\n  `````\n\n~~~\nz\n~~~\n",
    )
    assert build("--check", "--strict") == 0
    assert "warning" not in capsys.readouterr().err


def test_unclosed_front_matter_is_an_error_at_line_one(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "a.md", "---\ntopic: x\n\n## What is this?\n\nThat.\n")
    assert build() == 1
    _fails_with(in_tmp, capsys.readouterr().err, "content/a.md:1: error: front matter never closed")


def test_unclosed_raw_html_block_is_a_located_warning(in_tmp: Path, capsys) -> None:
    write(
        in_tmp / "content" / "a.md",
        "## What is first?\n\nThis.\n\n<!-- a note to self\n\n## What is hidden?\n\nThat.\n",
    )
    write(in_tmp / "content" / "b.md", "## What is open?\n\n<SCRIPT>\nx\n\n## Gone?\n\nYes.\n")
    assert build("--check") == 0
    err = capsys.readouterr().err
    assert "content/a.md:5: warning: raw HTML `<!--` never closed" in err
    assert "content/b.md:3: warning: raw HTML `<script>` never closed" in err


def test_closed_raw_html_blocks_do_not_warn(in_tmp: Path, capsys) -> None:
    write(
        in_tmp / "content" / "a.md",
        "## What is fine?\n\n<!-- a\ncomment -->\n\n<pre>\nx\n</pre>\n\n<div>\n\nok\n",
    )
    assert build("--check", "--strict") == 0


# --- front matter values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("topic: yes", "content/a.md:2: error: front matter `topic:` must be a single, non-empty text value"),
        ("topic: ''", "content/a.md:2: error: front matter `topic:` must be a single, non-empty text value"),
        ("topic: 2024-01-01", "content/a.md:2: error: front matter `topic:`"),
        ("topic: {a: 1}", "content/a.md:2: error: front matter `topic:`"),
        ("tags: {a: 1}", "content/a.md:2: error: front matter `tags:` must be a list of text values"),
        ("tags: [[a]]", "content/a.md:2: error: front matter `tags:` must be a list of text values"),
        ("tags: [true]", "content/a.md:2: error: front matter `tags:` must be a list of text values"),
        ("topic: !!python/object:os.system x", "content/a.md:2: error: front matter is not valid YAML"),
        ("topic: " + "[" * 2000 + "]" * 2000, "content/a.md:1: error: front matter nests too deeply"),
        ("'topic", "content/a.md:2: error: front matter is not valid YAML"),
    ],
)  # fmt: skip
def test_bad_front_matter_value_is_located(in_tmp: Path, capsys, front: str, message: str) -> None:
    write(in_tmp / "content" / "a.md", f"---\n{front}\n---\n\n## What is this?\n\nThat.\n")
    assert build() == 1
    _fails_with(in_tmp, capsys.readouterr().err, message)


def test_unknown_front_matter_key_is_a_warning(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "a.md", "---\ntag: [x]\n---\n\n## What is this?\n\nThat.\n")
    assert build("--check") == 0
    err = capsys.readouterr().err
    assert (
        "content/a.md:1: warning: unknown front matter key 'tag' ignored (known: topic:, tags:, deck:, cards:)"
        in err
    )


# --- images that cannot be packaged -----------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "message"),
    [
        ("![x](loop.png)", "content/a.md:3: error: image 'loop.png' cannot be read: symlink loop"),
        ("![x](a%00.png)", "content/a.md:3: error: image 'a%00.png' is not a valid file name"),
        (f"![x]({'a' * 5000}.png)", "cannot be read: File name too long"),
        ("![x](dir.png)", "content/a.md:3: error: image not found: dir.png"),
        ("![x](%2e%2e/%2e%2e/x.png)", "content/a.md:3: error: image path '%2e%2e/%2e%2e/x.png' leaves the content folder"),
        ("## What is ![x](pixel.png)?", "content/a.md:3: error: image in a question heading"),
    ],
)  # fmt: skip
def test_image_that_cannot_be_packaged_is_located(
    in_tmp: Path, capsys, markdown: str, message: str
) -> None:
    (in_tmp / "content" / "loop.png").symlink_to("loop.png")
    (in_tmp / "content" / "dir.png").mkdir()
    shutil.copy(HOSTILE / "pixel.png", in_tmp / "content")
    write(in_tmp / "content" / "a.md", f"## What is shown?\n\n{markdown}\n\nA: that.\n")
    assert build() == 1
    _fails_with(in_tmp, capsys.readouterr().err, message)


@ROOT_READS_EVERYTHING
def test_unreadable_image_is_located(in_tmp: Path, capsys) -> None:
    image = in_tmp / "content" / "locked.png"
    shutil.copy(HOSTILE / "pixel.png", image)
    write(in_tmp / "content" / "a.md", "## What is shown?\n\n![x](locked.png)\n")
    image.chmod(0)
    try:
        assert build() == 1
    finally:
        image.chmod(0o644)
    _fails_with(
        in_tmp,
        capsys.readouterr().err,
        "content/a.md:3: error: image 'locked.png' cannot be read: Permission denied",
    )


# --- --check as a content linter --------------------------------------------------------


def _lint(in_tmp: Path, capsys, text: str, *args: str) -> tuple[int, list[str]]:
    write(in_tmp / "content" / "a.md", text)
    status = build("--check", *args)
    err = capsys.readouterr().err.splitlines()
    return status, [line for line in err if ": warning: " in line or ": error: " in line]


def test_lint_unknown_language_and_empty_code(in_tmp: Path, capsys) -> None:
    text = (
        "## What is misspelt?\n\n```pyhton\nx = 1\n```\n\n"
        "## What is empty?\n\nNothing:\n\n```python\n\n```\n\n"
        "## What is fine?\n\n```py no-run\nx\n```\n\n```\nno language is fine\n```\n"
    )
    status, lines = _lint(in_tmp, capsys, text)
    assert status == 0
    assert lines == [
        "content/a.md:3: warning: unknown code language 'pyhton' (did you mean 'python'?)",
        "content/a.md:11: warning: empty code block",
    ]
    assert _lint(in_tmp, capsys, text, "--strict")[0] == 1


def test_lint_runs_only_with_check(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "a.md", "## What is misspelt?\n\n```pyhton\nx = 1\n```\n")
    assert build("--strict", "--no-preview") == 0
    assert "unknown code language" not in capsys.readouterr().err


def test_lint_long_answers(in_tmp: Path, capsys) -> None:
    prose = " ".join(["word"] * 240)  # 1,199 characters: just under the limit
    code = "\n".join(f"x{i} = {i}" for i in range(31))
    text = (
        f"## What is just short enough?\n\n{prose}\n\n"
        f"## What is too long?\n\n{prose} more\n\n"
        f"## What has long code?\n\nSee:\n\n```python\n{code}\n```\n"
    )
    status, lines = _lint(in_tmp, capsys, text)
    assert status == 0
    assert lines == [
        "content/a.md:7: warning: answer is long: 1,204 characters of text (over 1,200, about "
        "two phone screens); split the question",
        "content/a.md:13: warning: code block is 31 lines long (over 30, about two phone "
        "screens); shorten it or split the question",
    ]


def test_lint_near_duplicate_questions(in_tmp: Path, capsys) -> None:
    write(in_tmp / "content" / "b.md", "## What is a tensors?\n\nPlural.\n")
    text = (
        "## What is a tensor?\n\nA typed array.\n\n"
        "## What does `tf.reduce_sum` do?\n\nSums.\n\n"
        "## What does `tf.reduce_max` do?\n\nMaximum.\n\n"  # differs in code: not a duplicate
        "## What is broadcasting? {#broadcast-1}\n\nStretching.\n\n"
        "## What's broadcasting? {#broadcast-2}\n\nExplicit keys: told apart on purpose.\n"
    )
    status, lines = _lint(in_tmp, capsys, text)
    assert status == 0
    assert lines == [
        "content/b.md:1: warning: question nearly duplicates content/a.md:1 ('what is a "
        "tensor?'); if they differ on purpose, give both an explicit {#key}"
    ]


def test_lint_large_images(in_tmp: Path, capsys) -> None:
    (in_tmp / "content" / "big.png").write_bytes(b"\x89PNG" + bytes(1_500_000))
    shutil.copy(HOSTILE / "pixel.png", in_tmp / "content")
    text = "## What is big?\n\nThis:\n\n![big](big.png)\n\n## What is small?\n\n![s](pixel.png)\n"
    status, lines = _lint(in_tmp, capsys, text)
    assert status == 0
    assert lines == [
        "content/a.md:5: warning: image 'big.png' is 1.5 MB (over 1 MB); every device syncs "
        "it: shrink it"
    ]


def test_shipped_deck_is_lint_clean(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    from .conftest import ROOT

    monkeypatch.chdir(ROOT)
    assert build("--check", "--strict", "--no-preview") == 0, capsys.readouterr().err
    assert "warning" not in capsys.readouterr().err


def test_near_duplicates_in_a_big_deck(tmp_path: Path) -> None:
    from deckbuilder.lint import near_duplicates
    from deckbuilder.parse import SourceNote

    rng = random.Random(6)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(5, 10))) for _ in range(5000)]
    questions = [f"what does {' '.join(rng.choices(vocabulary, k=4))} do?" for _ in range(20_000)]
    questions[12_345] = questions[345].replace("what does", "what do")  # planted duplicates
    questions[19_999] = questions[7].replace(" do?", " does?")

    def note(index: int, question: str) -> SourceNote:
        return SourceNote(
            key=question,
            question=question,
            detail="",
            answer="x",
            topic="t",
            tags=("t",),
            path=tmp_path / "a.md",
            display="a.md",
            line=index + 1,
            detail_line=index + 2,
            answer_line=index + 2,
        )

    # Only a few sorted neighbours of each question are compared, never all 200 million pairs.
    found = near_duplicates([note(i, q) for i, q in enumerate(questions)])
    assert [(d.line, d.message.split(" (")[0]) for d in found] == [
        (12_346, "question nearly duplicates a.md:346"),
        (20_000, "question nearly duplicates a.md:8"),
    ]


# --- pathological nesting ---------------------------------------------------------------
#
# markdown-it stops nesting at 20 levels (a quote is one, a list item two) and drops what is
# deeper; the build must neither crash nor recurse, and must say that content was dropped.

DEEP = 10_000


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("> " * DEEP + "deep", 3),
        ("- " * DEEP + "deep", 3),
        ("1. " * DEEP + "deep", 3),
        ("> - " * (DEEP // 2) + "deep", 3),
        # A staircase one line per level; the tenth list level is where content goes.
        ("".join("  " * level + "- item\n" for level in range(200)), 12),
    ],
    ids=["quotes", "bullets", "numbers", "quotes-in-lists", "staircase"],
)
def test_deep_nesting_is_dropped_with_a_warning(in_tmp: Path, capsys, body: str, line: int) -> None:
    write(in_tmp / "content" / "a.md", f"## What is deep?\n\n{body}\n")
    assert build("--no-preview") == 0
    err = capsys.readouterr().err
    assert f"content/a.md:{line}: warning: quotes or lists nested too deeply" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "body",
    [
        "*" * DEEP + "x" + "*" * DEEP,
        "[" * DEEP + "x" + "]" * DEEP,
        "[a](" * DEEP + "x" + ")" * DEEP,
        "<div>" * DEEP + "x" + "</div>" * DEEP,
        "`" * DEEP + "x" + "`" * DEEP,
        "$" * DEEP + "x" + "$" * DEEP,
    ],
    ids=["emphasis", "brackets", "links", "html", "backticks", "dollars"],
)
def test_deep_inline_nesting_builds(in_tmp: Path, capsys, body: str) -> None:
    write(in_tmp / "content" / "a.md", f"## What is deep?\n\n{body}\n")
    assert build("--no-preview") == 0
    hostile = _built(in_tmp / "dist" / "markdown-flashcards.apkg")
    (note,) = hostile.notes
    assert unsafe_parts(note["Answer"]) == []


def test_deep_math_delimiters_are_a_located_error(in_tmp: Path, capsys) -> None:
    # `\(` inside a formula is no command of Anki's MathJax, so math may not hold it (tex.py).
    write(in_tmp / "content" / "a.md", "## What is deep?\n\n" + "\\(" * DEEP + "x" + "\\)" * DEEP)
    assert build("--no-preview") == 1
    err = capsys.readouterr().err
    assert "content/a.md:3: error: `\\(` is not a command of Anki's MathJax" in err
    assert "Traceback" not in err
