"""The corpus of bad scenarios: every one exits 2 with a message naming the file, the key path and the problem.

Each file in ``tests/bad_configs/`` starts with ``# expect: <fragment of the message>`` and,
unless the problem is in the TOML syntax itself, ``# path: <key path>``. The fragment must
appear on the message line of that key path. Problems with the file itself (missing, a
directory, unreadable, not UTF-8, empty) are made here, in ``tmp_path``.
"""

from __future__ import annotations

import functools
import json
import os
import pwd
import shutil
import tempfile
from pathlib import Path

import pytest
import typer.testing
from typer.testing import CliRunner, Result

from sim.cli import app

CORPUS = Path(__file__).resolve().parent / "bad_configs"
FILES = sorted(CORPUS.glob("*.toml"))
runner = CliRunner()
_command_once = functools.cache(typer.testing._get_command)


@pytest.fixture(autouse=True)
def _build_the_command_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """typer rebuilds the click command at every invoke (~20 ms); the corpus invokes it over 200 times."""
    monkeypatch.setattr(typer.testing, "_get_command", _command_once)


def header(path: Path) -> tuple[str, str | None]:
    """The expected message fragment and key path written at the top of a corpus file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    expect = lines[0].removeprefix("# expect: ")
    key_path = lines[1].removeprefix("# path: ") if lines[1].startswith("# path: ") else None
    return expect, key_path


def invoke(command: str, config: Path, tmp_path: Path) -> Result:
    args = [command, str(config)]
    if command == "run":
        args += ["--results", str(tmp_path / "results"), "--workers", "1", "--quiet"]
    return runner.invoke(app, args)


def assert_bad_input(result: Result, config: Path) -> None:
    """Exit code 2, no traceback, and the message starts by naming the file."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert f"error: {config}: " in result.output


def test_the_corpus_is_large_and_every_file_says_what_it_expects():
    assert len(FILES) >= 50
    for path in FILES:
        expect, _ = header(path)
        assert path.read_text(encoding="utf-8").startswith("# expect: ") and expect, path.name


@pytest.mark.parametrize("command", ["check", "run"])
@pytest.mark.parametrize("config", FILES, ids=[path.stem for path in FILES])
def test_bad_config_exits_2_naming_file_key_and_problem(config: Path, command: str, tmp_path: Path):
    expect, key_path = header(config)
    result = invoke(command, config, tmp_path)
    assert_bad_input(result, config)
    lines = [line for line in result.output.splitlines() if f"{config}: " in line]
    if key_path is not None:
        lines = [line for line in lines if f"{config}: {key_path}: " in line]
        assert lines, f"no message for {key_path} in:\n{result.output}"
    assert any(expect in line for line in lines), f"{expect!r} not in:\n{result.output}"
    assert not (tmp_path / "results").exists()


def test_check_reports_every_problem_of_a_file_at_once(tmp_path: Path):
    config = CORPUS / "many_errors.toml"
    result = invoke("check", config, tmp_path)
    assert_bad_input(result, config)
    paths = [
        "simulation.draws",
        "simulation.seed",
        "forces.combat.size",
        "forces.combat.fatality_rate.dist",
        "forces.engineers.fatality_rate.sd",
        "claims[0] (nine).value",
        "claims[0] (nine).relation",
        "claims[0] (nine).source",
    ]
    for key_path in paths:
        assert f"{config}: {key_path}: " in result.output, key_path
    assert result.output.count(f"{config}: ") == len(paths)


FILE_PROBLEMS = {
    "missing": "no such file",
    "directory": "is a directory, not a scenario file",
    "unreadable": "cannot be read: Permission denied",
    "parent is a file": "cannot be read: Not a directory",
    "name too long": "cannot be read: File name too long",
    "not UTF-8": "is not UTF-8 text (byte 0xe9 at line 2, column 13); save it as UTF-8",
    "empty": "is empty",
    "blank": "is empty",
}


def make_file_problem(problem: str, tmp_path: Path) -> Path:
    """Create the path of a scenario file with ``problem`` (a key of FILE_PROBLEMS)."""
    if problem == "missing":
        return tmp_path / "nope.toml"
    if problem == "directory":
        return tmp_path
    if problem == "unreadable":
        path = tmp_path / "locked.toml"
        path.write_text("[forces.a]\nsize = 1\nfatality_rate = 0.1\n", encoding="utf-8")
        path.chmod(0)
        return path
    if problem == "parent is a file":
        (tmp_path / "plain.toml").write_text("", encoding="utf-8")
        return tmp_path / "plain.toml" / "child.toml"
    if problem == "name too long":
        return tmp_path / ("x" * 300 + ".toml")
    path = tmp_path / f"{problem.replace(' ', '_')}.toml"
    contents = {"not UTF-8": "# Latin-1\ntitle = 'caf\xe9'\n".encode("latin-1"), "empty": b"", "blank": b" \n\t\n"}
    path.write_bytes(contents[problem])
    return path


@pytest.mark.parametrize("command", ["check", "run"])
@pytest.mark.parametrize("problem", [problem for problem in FILE_PROBLEMS if problem != "unreadable"])
def test_file_problems_exit_2_naming_the_file(problem: str, command: str, tmp_path: Path):
    config = make_file_problem(problem, tmp_path)
    result = invoke(command, config, tmp_path)
    assert_bad_input(result, config)
    assert FILE_PROBLEMS[problem] in result.output


def _invoke_without_root(command: str, config: Path, tmp_path: Path) -> tuple[int, str, bool]:
    """``invoke`` in a forked child that drops root for ``nobody`` first (as is: when not root).

    Root reads files whatever their mode; the child gives up root for good before it runs the command,
    so a mode-0 file really denies it. Not exec'd: the interpreter may live where ``nobody`` cannot go.
    Returns the exit code, the output and whether the exception was a SystemExit.
    """
    invoke(command, tmp_path / "missing.toml", tmp_path)  # import what the command imports while still root
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        try:
            if os.geteuid() == 0:
                user = pwd.getpwnam("nobody")
                os.setgroups([])
                os.setgid(user.pw_gid)
                os.setuid(user.pw_uid)
            result = invoke(command, config, tmp_path)
            message = json.dumps([result.exit_code, result.output, isinstance(result.exception, SystemExit)])
            os.write(write, message.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    os.waitpid(child, 0)
    exit_code, output, system_exit = json.loads(data)
    return exit_code, output, system_exit


@pytest.mark.parametrize("command", ["check", "run", "robust"])
def test_an_unreadable_file_exits_2_naming_it(command: str):
    folder = Path(tempfile.mkdtemp())  # not under pytest's tmp_path, whose parents only root may enter
    try:
        folder.chmod(0o755)  # nobody may enter the folder, but not read the file
        config = make_file_problem("unreadable", folder)
        exit_code, output, system_exit = _invoke_without_root(command, config, folder)
    finally:
        shutil.rmtree(folder)
    assert exit_code == 2, output
    assert system_exit
    assert "Traceback" not in output
    assert f"error: {config}: {FILE_PROBLEMS['unreadable']}" in output


def test_brackets_in_user_text_are_printed_not_taken_as_markup(tmp_path: Path):
    config = tmp_path / "markup.toml"
    config.write_text('[forces."[/x]"]\nsize = 1\nfatality_rate = 0.1\n', encoding="utf-8")
    result = invoke("check", config, tmp_path)
    assert_bad_input(result, config)
    assert "forces.[/x]: ids must start" in result.output


@pytest.mark.parametrize(
    ("option", "expect"),
    [
        (["--draws", "0"], "--draws must be at least 1, got 0"),
        (["--draws", "100000000000"], "--draws must be at most 10,000,000,000"),
        (["--workers", "0"], "--workers must be at least 1, got 0"),
        (["--workers", "100000"], "--workers must be at most"),
        (["--chunk-size", "-5"], "--chunk-size must be at least 1, got -5"),
        (["--chunk-size", str(2**25)], "--chunk-size must be at most 16,777,216"),
        (["--seed", "-1"], "--seed must be in 0..2**128 - 1"),
        (["--seed", str(2**128)], "--seed must be in 0..2**128 - 1"),
        (["--condition", "nien"], "--condition: unknown claim 'nien'; did you mean 'nine'?"),
        (["--draws", "many"], "Invalid value for '--draws'"),
    ],
)
def test_bad_run_options_exit_2(option: list[str], expect: str, tmp_path: Path):
    config = tmp_path / "good.toml"
    config.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(app, ["run", str(config), *option, "--results", str(tmp_path / "results")])
    assert result.exit_code == 2, result.output
    assert expect in result.output and "Traceback" not in result.output
    assert not (tmp_path / "results").exists()


GOOD = """
[scenario]
title = "Brackets [sic] and [/closing] tags stay text"
[simulation]
draws = 500
[forces.combat]
label = "Combat [11th Corps]"
size = 1_000
fatality_rate = { dist = "beta", mean = 0.1, sd = 0.03, units = "[fraction]", source = "[/b] report" }
[forces.engineers]
size = 100
fatality_rate = 0.01
[[claims]]
id = "nine"
label = "Nine [acknowledged]"
value = 9
scope = ["engineers"]
"""


@pytest.mark.parametrize("command", ["check", "run"])
def test_brackets_in_labels_and_quantities_are_printed_as_written(command: str, tmp_path: Path, staging_hook):
    staging_hook(None)
    config = tmp_path / "good.toml"
    config.write_text(GOOD, encoding="utf-8")
    args = ["--results", str(tmp_path / "results"), "--workers", "1"] if command == "run" else []
    result = runner.invoke(app, [command, str(config), *args])
    assert result.exit_code == 0, result.output
    assert "Brackets [sic] and [/closing] tags stay text" in result.output
    if command == "check":
        assert "[fraction]" in result.output and "[/b] report" in result.output
    else:
        assert "Combat [11th Corps]" in result.output
        assert "Nine [acknowledged]" in result.output and "Killed, engineers" in result.output  # labels, not keys


OTHER_COMMANDS = {
    "sweep": ["sweep", "{config}", "--param", "forces.combat.size", "--values", "1000,2000"],
    "tornado": ["tornado", "{config}"],
    "sobol": ["sobol", "{config}"],
    "compare": ["compare", "{config}", str(CORPUS.parent.parent / "configs" / "kursk.toml")],
}


@pytest.mark.parametrize("command", OTHER_COMMANDS)
def test_every_other_command_rejects_the_corpus_the_same_way(command: str, tmp_path: Path):
    output = ["--out", str(tmp_path / "out")] if command == "compare" else ["--results", str(tmp_path / "out")]
    for config in FILES:
        args = [str(config) if arg == "{config}" else arg for arg in OTHER_COMMANDS[command]]
        result = runner.invoke(app, [*args, *output])
        assert_bad_input(result, config)
        assert header(config)[0] in result.output, config.name
    assert not (tmp_path / "out").exists()
