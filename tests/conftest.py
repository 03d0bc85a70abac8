from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def write_config(tmp_path: Path):
    """Write scenario text to a file in tmp_path and return its path."""

    def write(text: str, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def staging_hook(monkeypatch: pytest.MonkeyPatch):
    """Set what ``sim run`` calls on the staging folder before its rename (by default: draw the figures).

    ``staging_hook(None)`` writes no figures (fast runs); ``staging_hook(f)`` calls ``f(staging)``.
    """
    import sim.pipeline

    write_run = sim.pipeline.write_run

    def set_hook(hook) -> None:
        def write_with_hook(*args, **kwargs):
            return write_run(*args, **{**kwargs, "decorate": hook})

        monkeypatch.setattr(sim.pipeline, "write_run", write_with_hook)

    return set_hook


# CI runs the fuzz tests on a fixed sequence of examples (derandomised, no example database), so a green or red run
# depends on the code only; `make fuzz` explores new random examples with many more of them.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
