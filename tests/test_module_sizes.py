"""Module sizes: a module of sim/ over MAX_LINES lines says at its top why it is one module."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sim"
MAX_LINES = 600
REASON = "Why one module:"
"""The phrase that opens the paragraph of a long module's docstring giving the reason."""


def _oversized() -> dict[str, int]:
    sizes = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            sizes[str(path.relative_to(PACKAGE.parent))] = lines
    return sizes


def _states_a_reason(path: Path) -> bool:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    paragraphs = [p.strip() for p in docstring.split("\n\n")]
    return any(p.startswith(REASON) and len(p) > len(REASON) + 40 for p in paragraphs)


def test_the_reason_check_needs_a_paragraph_that_gives_one(tmp_path: Path):
    reason = f"{REASON} the loader reads one document in one pass, each key next to its check."
    stated = tmp_path / "stated.py"
    stated.write_text(f'"""Title.\n\n{reason}"""\n')
    bare = tmp_path / "bare.py"
    bare.write_text(f'"""Title.\n\n{REASON} yes."""\n')
    elsewhere = tmp_path / "elsewhere.py"
    elsewhere.write_text(f'"""Title."""\n\n# {reason}\n')
    assert _states_a_reason(stated)
    assert not _states_a_reason(bare) and not _states_a_reason(elsewhere)


def test_every_long_module_states_why_it_is_one():
    missing = [
        f"{name} ({lines:,} lines)"
        for name, lines in _oversized().items()
        if not _states_a_reason(PACKAGE.parent / name)
    ]
    assert not missing, (
        f"over {MAX_LINES} lines without a '{REASON} ...' paragraph in the module docstring: {', '.join(missing)}; "
        "split the module along the data flow or say why it is one"
    )
