"""The ``sim`` command line: thin typer commands over the library.

Exit codes: 0 success, 1 a run failed (contradictory claims, unwritable results),
2 bad input (usage or scenario); bad input never shows a traceback.

At module level this imports typer and light modules only (no NumPy, SciPy, rich or
matplotlib): ``sim --help`` pays for nothing else, and each command imports what it uses.

Why one module: it is the command line's one table of commands, thin typer bodies that parse options, call the
library and print; every option shared by several commands is defined once here, and typer needs the commands
registered on one app.
"""

from __future__ import annotations

import functools
import json
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from sim._version import __version__
from sim.defaults import ANALYSIS_DRAWS, GRID_LIMIT, RESERVOIR_KEPT, RESERVOIR_SIZE, SOBOL_N
from sim.processes import EXIT_INTERRUPTED, Interrupted, InterruptHandler, stop_children
from sim.storage import write_atomic

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from sim.config import Scenario
    from sim.pipeline import RequestError

__all__ = ["app", "main"]

app = typer.Typer(
    name="sim",
    help="Monte Carlo casualty-uncertainty simulator: from priors over deployments, fatality rates "
    "and reporting bias to the distribution of the true toll, and how each published claim sits "
    "against it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: brackets ([dask], [simulation]) print as written, wrapped at the width
)


@functools.cache
def _console(*, stderr: bool = False) -> Console:
    """The rich console of stdout or stderr, made (and rich imported) on first use.

    Its width is the terminal's (or ``COLUMNS``; 80 when piped): :mod:`sim.display` prints a table
    only where it fits whole, and one block per row otherwise.
    """
    from rich.console import Console

    return Console(stderr=stderr)


def _out() -> Console:
    return _console()


def _err() -> Console:
    return _console(stderr=True)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


class Executor(StrEnum):
    """Where the chunks of a run are computed."""

    processes = "processes"
    dask = "dask"


def _fail(message: str, code: int) -> NoReturn:
    handler = InterruptHandler.installed()
    interrupted = handler.interruption() if handler is not None else None
    if interrupted is not None:
        raise interrupted  # the error followed a signal: report the interruption, not what it broke
    _err().print(f"[bold red]error:[/bold red] {_escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _load(config: Path) -> Scenario:
    from sim.config import ConfigError, load_scenario

    try:
        return load_scenario(config)
    except ConfigError as error:
        _fail(str(error), 2)


_SET_HELP = "PATH=VALUE: set a number, a list (lo;hi) or pin a prior, e.g. forces.combat.size=14000 (repeatable)."


# The options several commands share, defined once: the same name, help and (sim.pipeline.check_request) limits.
ScenarioArgument = Annotated[
    Path, typer.Argument(help="Scenario TOML file, e.g. configs/kursk.toml.", readable=False)
]  # readable=False: sim says why a file cannot be read (exit 2), not click
SeedOption = Annotated[int | None, typer.Option(help="Random seed (default: the scenario's). Same seed, same numbers.")]
WorkersOption = Annotated[
    int | None, typer.Option(help="Worker processes (default: all cores). Results do not depend on it.")
]
ConditionOption = Annotated[
    str | None,
    typer.Option(
        help="Condition on claims: 'all', 'none', or claim ids separated by commas "
        "(default: the scenario's [inference] condition_on)."
    ),
]
SetOption = Annotated[list[str] | None, typer.Option("--set", help=_SET_HELP)]
ResultsOption = Annotated[Path, typer.Option(help="Root folder for results: results/<scenario>/...")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result's JSON to stdout instead of tables.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the path of what was written.")]


def _settings(texts: list[str] | None) -> tuple[tuple[str, Any], ...]:
    """``--set PATH=VALUE`` options as ``(path, value)`` pairs; bad syntax exits 2."""
    from sim.sensitivity import SensitivityError, parse_setting

    try:
        return tuple(parse_setting(text) for text in texts or [])
    except SensitivityError as error:
        _fail(str(error), 2)


def _edited(scenario: Scenario, texts: list[str] | None) -> Scenario:
    """``scenario`` with the ``--set`` options applied (:func:`sim.keypaths.with_settings`); exit 2 on a bad path."""
    from sim.config import ConfigError
    from sim.keypaths import with_settings

    try:
        return with_settings(scenario, _settings(texts))
    except ConfigError as error:
        _fail(str(error), 2)


def _version(value: bool) -> None:
    if value:
        _out().print(f"sim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Monte Carlo casualty-uncertainty simulator."""


BAR_WIDTH = 24
"""Characters of a progress bar: with its text (``1,000,000/1,000,000 draws 0:00:03``) it fits 80 columns, so the
bar, drawn on one line, is erased whole when it ends (a line the terminal wrapped would be left behind)."""


def _option_message(error: RequestError) -> str:
    """A :class:`sim.pipeline.RequestError` as the command line names it: ``--draws must be ...``."""
    return f"--{error.option.replace('_', '-')}{error.detail}"


def _check(**options: int | None) -> None:
    """Check the shared options against their one set of limits (:func:`sim.pipeline.check_request`); exit 2."""
    from sim.pipeline import RequestError, check_request

    try:
        check_request(**options)
    except RequestError as error:
        _fail(_option_message(error), 2)


def _interruptible(command: Callable[..., None]) -> Callable[..., None]:
    """Run ``command`` so that Ctrl-C (SIGINT) or SIGTERM prints one line and exits 130 or 143.

    The handler is :mod:`sim.launch`'s when run as ``sim`` (it ends the process itself, removing
    what was being written); otherwise (tests, embedding) one is installed for the command and the
    previous actions restored after it, and its exception unwinds the run: the engine stops its
    worker processes and a run folder being written is removed (results are staged and renamed
    into place only when complete).
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        handler = InterruptHandler.installed()
        previous: dict[int, Any] = {}
        if handler is None:
            handler = InterruptHandler()
            previous = handler.install()
        handler.message = "interrupted: no results written"
        try:
            command(*args, **kwargs)
        except BaseException as error:
            interrupted = error if isinstance(error, Interrupted) else handler.interruption()
            if interrupted is None:
                raise
            stop_children()
            _err().print(str(interrupted), highlight=False, soft_wrap=True, markup=False)
            raise typer.Exit(EXIT_INTERRUPTED[interrupted.signum]) from None
        finally:
            if previous:  # installed here (not by sim.launch): the process goes on after the command
                handler.disarm()
            for signum, action in previous.items():
                if action is not None:
                    signal.signal(signum, action)

    return wrapper


def _on_interrupt(message: str) -> None:
    """What an interruption from now on reports (once the run folder is in place, it is kept)."""
    handler = InterruptHandler.installed()
    if handler is not None:
        handler.message = message


def _on_written(message: Callable[[Path], str]) -> None:
    """What an interruption reports once the results are renamed into place (said in the same step)."""
    handler = InterruptHandler.installed()
    if handler is not None:
        handler.on_written = message


@app.command()
@_interruptible
def run(
    config: ScenarioArgument,
    draws: Annotated[
        int | None, typer.Option(help="Monte Carlo draws (default: the scenario's [simulation] draws).")
    ] = None,
    seed: SeedOption = None,
    condition: ConditionOption = None,
    workers: WorkersOption = None,
    chunk_size: Annotated[
        int | None, typer.Option(help="Draws per chunk (changes the random stream; default 65,536).")
    ] = None,
    executor: Annotated[
        Executor,
        typer.Option(help="Where chunks run: local worker processes, or a Dask cluster (pip install 'sim[dask]')."),
    ] = Executor.processes,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local Dask cluster)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Run folder to write (default: results/<scenario>/<UTC time>).")
    ] = None,
    results: ResultsOption = Path("results"),
    force: Annotated[bool, typer.Option(help="Replace --out if it exists and is a run folder sim made.")] = False,
    save_samples: Annotated[
        bool, typer.Option(help="Also write samples.csv: the reservoir's draws, every input and outcome.")
    ] = False,
    full_reservoir: Annotated[
        bool,
        typer.Option(
            help=f"Keep the engine's whole reservoir ({RESERVOIR_SIZE:,} draws) in reservoir.npz, "
            f"not the first {RESERVOIR_KEPT:,}."
        ),
    ] = False,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
    plots: Annotated[
        bool, typer.Option("--plots/--no-plots", help="Draw the figures (PNG and SVG) into the run folder's figures/.")
    ] = True,
    report: Annotated[
        bool, typer.Option("--report", help="Also write report.md and report.html (one self-contained page).")
    ] = False,
    set_: SetOption = None,
) -> None:
    """Simulate a scenario: the toll's distribution, credible intervals and the claim table.

    Prints the tables, writes summary.json, summary.csv, manifest.json, a copy of the scenario
    and the figures (and with --report the report, whose path it prints) into the run folder,
    and prints the folder's path last.
    """
    from sim import pipeline
    from sim.display import print_summary
    from sim.engine import ExecutorError
    from sim.results import ResultsError

    scenario = _edited(_load(config), set_)
    total = draws or scenario.simulation.draws
    bar = _ProgressBar(total, enabled=not quiet and not json_output and _err().is_terminal)
    with _exits(bar, (pipeline.RequestError,), message=_option_message, config=config):
        done = pipeline.run(
            scenario,
            draws=draws,
            seed=seed,
            condition=condition,
            workers=workers,
            chunk_size=chunk_size,
            executor=executor.value,
            scheduler=scheduler,
            progress=bar,
        )
    summary, result = done.summary, done.result
    _on_written(lambda folder: f"interrupted: the run was already written to {folder}")
    try:
        written = done.write(
            out,
            results=results,
            force=force,
            save_samples=save_samples,
            full_reservoir=full_reservoir,
            figures=plots,
            report=report,
            command=["sim", *sys.argv[1:]],
        )
    except (ResultsError, ExecutorError) as error:
        _fail(str(error), 1)
    if json_output:
        sys.stdout.write(summary.to_json())
        return
    if not quiet:
        print_summary(summary, _out(), scenario=scenario)
        _out().print(f"{total:,} draws in {result.elapsed:.2f} s with {result.workers} worker(s).")
        if report:
            _out().print(f"report: {written / 'report.html'}", highlight=False, soft_wrap=True, markup=False)
    _out().print(str(written), highlight=False, soft_wrap=True, markup=False)


@app.command("report")
@_interruptible
def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder, e.g. results/kursk/latest.")],
    plots: Annotated[
        bool, typer.Option("--plots/--no-plots", help="Redraw the figures (--no-plots keeps the ones there).")
    ] = True,
) -> None:
    """(Re)write a run folder's figures, report.md and report.html; print the report's path.

    Reads the saved run (nothing is simulated again); each file is replaced atomically.
    """
    from sim.engine import ExecutorError
    from sim.report import render_run
    from sim.results import ResultsError

    _on_interrupt(f"interrupted: some files in {run_dir} may be rewritten, the others not (each file is whole)")
    try:
        written = render_run(run_dir, figures=plots, report=True)
    except ResultsError as error:
        _fail(str(error), 2)
    except ExecutorError as error:
        _fail(str(error), 1)
    except OSError as error:
        _fail(f"cannot write {run_dir}: {error.strerror or error}", 1)
    _out().print(str(written[-1]), highlight=False, soft_wrap=True, markup=False)


def _scenario_dir(scenario: str, results: Path) -> Path:
    """``results/<name>`` for a scenario name or file, or the folder itself when given one."""
    given = Path(scenario)
    if given.is_dir():
        return given
    if given.is_file():
        return results / _load(given).name
    if not scenario or "/" in scenario or scenario.startswith("."):
        _fail(f"{scenario}: not a scenario name, scenario file or folder of runs", 2)
    return results / scenario


_SCENARIO_ARGUMENT = typer.Argument(help="A scenario name (kursk), its file (configs/kursk.toml) or results/<name>.")


@app.command("runs")
def runs_command(
    scenario: Annotated[str, _SCENARIO_ARGUMENT],
    results: ResultsOption = Path("results"),
    json_output: JsonOption = False,
) -> None:
    """List a scenario's run folders (the ones sim made), oldest first, with their size."""
    from sim.display import print_runs
    from sim.results import list_runs

    folder = _scenario_dir(scenario, results)
    runs = list_runs(folder)
    if json_output:
        rows = [
            {"path": str(r.path), "started_utc": r.started, "draws": r.draws, "bytes": r.size, "latest": r.latest}
            for r in runs
        ]
        print(json.dumps(rows, indent=2))
        return
    if not runs:
        _out().print(f"no runs under {_escape(str(folder))}", highlight=False)
        return
    print_runs(_out(), folder, runs)


@app.command("clean")
def clean_command(
    scenario: Annotated[str, _SCENARIO_ARGUMENT],
    keep: Annotated[int, typer.Option(min=0, help="How many of the newest runs to keep (latest is always kept).")],
    results: ResultsOption = Path("results"),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be removed; remove nothing.")] = False,
) -> None:
    """Remove a scenario's older run folders, keeping the newest --keep; only folders sim made are touched."""
    from sim.results import prune_runs
    from sim.text import format_bytes

    folder = _scenario_dir(scenario, results)
    try:
        removed = prune_runs(folder, keep=keep, dry_run=dry_run)
    except OSError as error:
        _fail(f"cannot remove runs under {folder}: {error.strerror or error}", 1)
    verb = "would remove" if dry_run else "removed"
    for run in removed:
        _out().print(f"{verb} {_escape(str(run.path))}  {format_bytes(run.size)}", highlight=False, soft_wrap=True)
    _out().print(f"{verb} {len(removed)} run(s), {format_bytes(sum(r.size for r in removed))}", highlight=False)


@app.command()
def check(
    config: Annotated[Path, typer.Argument(help="Scenario TOML file to validate.", readable=False)],
) -> None:
    """Validate a scenario and print each prior's median and 90% interval.

    Lists every problem of the file at once (exit code 2), so an analyst sees what they
    wrote before running it.
    """
    from sim.display import print_priors

    scenario = _load(config)
    print_priors(scenario, _out())
    _out().print(f"[green]ok[/green]: {_escape(str(config))}")


@app.command()
@_interruptible
def compare(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Two or more scenario files (each is simulated) or run folders (each is read back).", readable=False
        ),
    ],
    out: Annotated[
        Path, typer.Option(help="Folder for table.md, table.csv, table.json, toll.png and toll.svg.")
    ] = Path("results/compare"),
    draws: Annotated[int | None, typer.Option(help="Draws for each scenario file (default: its own).")] = None,
    seed: SeedOption = None,
    workers: WorkersOption = None,
    readme: Annotated[
        Path | None,
        typer.Option(help="Also put table.md between the lines <!-- compare:start --> and <!-- compare:end --> here."),
    ] = None,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
    set_: SetOption = None,
) -> None:
    """Set scenarios side by side: each one's total killed, and the claims they share.

    One table (median and credible intervals of the total killed, prior and posterior; each
    claim made by two or more scenarios with its percentile and probability in each; the
    other claims, per scenario) and one figure (the distributions on a log axis, the claims
    marked), written into --out.
    """
    from sim.compare import (
        CompareError,
        compare_paths,
        print_comparison,
        splice_markdown,
        to_json,
        to_markdown,
        write_comparison,
    )
    from sim.engine import ExecutorError
    from sim.inference import ConditioningError

    _check(draws=draws, seed=seed, workers=workers)
    if readme is not None:
        try:
            splice_markdown(readme.read_text(encoding="utf-8"), "")  # fail before simulating, not after
        except (OSError, UnicodeDecodeError, CompareError) as error:
            _fail(f"--readme {readme}: {error}", 2)
    try:
        comparison = compare_paths(inputs, draws=draws, seed=seed, workers=workers, settings=_settings(set_))
    except CompareError as error:
        _fail(str(error), 2)
    except (ConditioningError, ExecutorError) as error:
        _fail(str(error), 1)
    from sim.plots_compare import write_comparison_figure  # matplotlib only when a figure is drawn

    if not quiet and not json_output:
        print_comparison(comparison, _out())
    _on_interrupt(f"interrupted while writing {out}: its files may be incomplete")
    try:
        written = [*write_comparison(comparison, out), *write_comparison_figure(comparison, out)]
    except OSError as error:
        _fail(f"cannot write {error.filename or out}: {error.strerror or error}", 1)
    if readme is not None:
        try:
            document = readme.read_text(encoding="utf-8")  # re-read: it may have changed while simulating
            written.append(write_atomic(readme, splice_markdown(document, to_markdown(comparison)).encode()))
        except (OSError, UnicodeDecodeError) as error:
            _fail(f"cannot write --readme {readme}: {getattr(error, 'strerror', None) or error}", 1)
        except CompareError as error:
            _fail(f"--readme {readme}: {error}", 2)
    if json_output:
        sys.stdout.write(to_json(comparison))
        return
    for path in written:
        _out().print(str(path), highlight=False, soft_wrap=True)


class _StepBar:
    """A progress bar on stderr for ``(what, done, total)`` reports, shown once work has taken a second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.perf_counter()
        self.bar: Progress | None = None
        self.tasks: dict[str, object] = {}

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self.enabled or (self.bar is None and (time.perf_counter() - self.started <= 1.0 or done >= total)):
            return
        if self.bar is None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=BAR_WIDTH),
                TextColumn("{task.completed:,}/{task.total:,}"),
                TimeRemainingColumn(),
                console=_err(),
                transient=True,
            )
            self.bar.start()
        if what not in self.tasks:
            self.tasks[what] = self.bar.add_task(what, total=total)
        self.bar.update(self.tasks[what], completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


class _ProgressBar(_StepBar):
    """The simulation's bar: the draws of finished chunks, reported one chunk at a time."""

    def __init__(self, total: int, enabled: bool) -> None:
        super().__init__(enabled)
        self.total, self.done = total, 0

    def __call__(self, draws: int) -> None:  # type: ignore[override]
        self.done += draws
        super().__call__("simulating draws", self.done, self.total)


def _condition(scenario: Scenario, condition: str | None) -> tuple[str, ...] | None:
    from sim.pipeline import RequestError, resolve

    try:
        return resolve(scenario, condition)
    except RequestError as error:
        _fail(_option_message(error), 2)


def _analyse(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a sensitivity analysis with a progress bar; bad input exits 2 with one message."""
    from sim.config import ConfigError
    from sim.sensitivity import SensitivityError

    bar = _StepBar(enabled=_err().is_terminal)
    with _exits(bar, (ConfigError, SensitivityError)):
        return function(*args, progress=bar, **kwargs)


@contextmanager
def _exits(
    bar: Any,
    bad_input: tuple[type[Exception], ...],
    *,
    message: Callable[[Any], str] = str,
    config: Path | None = None,
) -> Iterator[None]:
    """Run a command's work with its progress bar (closed at the end): ``bad_input`` exits 2 with ``message(error)``,
    a failed worker exits 1, and so does a condition no draw can meet where ``config`` names the scenario's file."""
    from sim.engine import ExecutorError
    from sim.inference import ConditioningError

    conditioning = (ConditioningError,) if config is not None else ()
    try:
        yield
    except bad_input as error:
        _fail(message(error), 2)
    except conditioning as error:
        _fail(f"{config}: cannot condition: {error}", 1)
    except ExecutorError as error:
        _fail(str(error), 1)
    finally:
        bar.close()


def _write_analysis(
    result: Any,
    folder: Path,
    started: datetime,
    clock: float,
    *,
    json_output: bool,
    write_figures: Callable[[Any, Path], Any] | None = None,
    show: Callable[[], None] | None = None,
) -> None:
    """Write tables, figures and manifest.json into ``folder`` atomically; print the path, or the JSON with --json.

    ``show`` prints the result's tables before the path (sim robust); sweep, tornado and Sobol' print none, so
    ``--quiet`` (accepted as by every command) changes nothing for them. The figures default to the sensitivity
    figures.
    """
    from sim import sensitivity

    if write_figures is None:
        from sim.plots_sensitivity import write_figures

    data = sensitivity.manifest(
        result.provenance, command=["sim", *sys.argv[1:]], started=started, elapsed=time.perf_counter() - clock
    )
    files = {**result.files(), "manifest.json": (json.dumps(data, indent=2) + "\n").encode()}
    try:
        written = sensitivity.write_atomically(folder, files, figures=lambda staging: write_figures(result, staging))
    except OSError as error:
        _fail(f"cannot write {folder}: {error.strerror or error}", 1)
    for warning in getattr(result, "warnings", ()):
        _err().print(f"[yellow]warning:[/yellow] {_escape(warning)}", highlight=False, soft_wrap=True)
    if json_output:
        sys.stdout.write(result.to_json())
        return
    if show is not None:
        show()
    _out().print(str(written), highlight=False, soft_wrap=True, markup=False)


_DRAWS_HELP = f"Draws per point (default {ANALYSIS_DRAWS:,}; simulation.draws as a --param overrides it)."


@app.command()
@_interruptible
def sweep(
    config: ScenarioArgument,
    param: Annotated[
        list[str] | None,
        typer.Option(
            help="Key path to sweep: a prior's parameter (forces.combat.size.high, forces.combat.fatality_rate.ci90), "
            "a whole prior pinned to each value (forces.combat.fatality_rate), or simulation.draws. Repeat for a grid."
        ),
    ] = None,
    values: Annotated[
        list[str] | None,
        typer.Option(
            "--values",
            "--range",
            help="One per --param, in order: values a,b,c (a list parameter's elements joined by ';': "
            "'0.02;0.1,0.05;0.2') or a range LOW:HIGH:STEPS, both ends included.",
        ),
    ] = None,
    log: Annotated[bool, typer.Option(help="Space every --range geometrically.")] = False,
    output: Annotated[str, typer.Option(help="Quantity drawn with its bands in the figure.")] = "killed",
    draws: Annotated[int, typer.Option(help=_DRAWS_HELP)] = ANALYSIS_DRAWS,
    seed: SeedOption = None,
    condition: ConditionOption = None,
    set_: SetOption = None,
    workers: WorkersOption = None,
    yes: Annotated[bool, typer.Option("--yes", help=f"Run grids over {GRID_LIMIT:,} points.")] = False,
    results: ResultsOption = Path("results"),
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run the scenario at each value of one or more parameters (common random numbers).

    Writes sweep.csv, sweep.json, the figure and manifest.json into
    results/<scenario>/sensitivity/sweep-<param>/ and prints its path.
    """
    from sim import sensitivity

    started, clock = datetime.now(UTC), time.perf_counter()
    scenario = _load(config)
    _check(draws=draws, seed=seed, workers=workers)
    params, specs = param or [], values or []
    if not params or len(params) != len(specs):
        _fail(f"give one --values or --range for each --param (got {len(params)} --param, {len(specs)} lists)", 2)
    try:
        axes = [sensitivity.parse_axis(p, v, log=log) for p, v in zip(params, specs, strict=True)]
    except sensitivity.SensitivityError as error:
        _fail(str(error), 2)
    result = _analyse(
        sensitivity.sweep,
        scenario,
        axes,
        settings=_settings(set_),
        draws=draws,
        seed=seed,
        condition_on=_condition(scenario, condition),
        output=output,
        workers=workers,
        yes=yes,
    )
    folder = sensitivity.output_folder(results, scenario.name, "sweep", "+".join(params))
    _write_analysis(result, folder, started, clock, json_output=json_output)


@app.command()
@_interruptible
def tornado(
    config: ScenarioArgument,
    output: Annotated[
        str, typer.Option(help="killed, another quantity (killed[combat], casualties, ...) or claim:<id>.")
    ] = "killed",
    low: Annotated[float, typer.Option(help="Low quantile at which each input is pinned.")] = 0.05,
    high: Annotated[float, typer.Option(help="High quantile at which each input is pinned.")] = 0.95,
    draws: Annotated[int, typer.Option(help="Draws per run.")] = ANALYSIS_DRAWS,
    seed: SeedOption = None,
    condition: ConditionOption = None,
    set_: SetOption = None,
    workers: WorkersOption = None,
    results: ResultsOption = Path("results"),
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Pin each uncertain input at its prior's low and high quantile: which one moves the output most?

    The output is a quantity's median or a claim's probability, on the posterior when the run
    conditions on claims. Writes tornado.csv, the figure and manifest.json into
    results/<scenario>/sensitivity/tornado-<output>/ and prints its path.
    """
    from sim import sensitivity

    started, clock = datetime.now(UTC), time.perf_counter()
    scenario = _load(config)
    _check(draws=draws, seed=seed, workers=workers)
    result = _analyse(
        sensitivity.tornado,
        scenario,
        output=output,
        low=low,
        high=high,
        settings=_settings(set_),
        draws=draws,
        seed=seed,
        condition_on=_condition(scenario, condition),
        workers=workers,
    )
    folder = sensitivity.output_folder(results, scenario.name, "tornado", output)
    _write_analysis(result, folder, started, clock, json_output=json_output)


@app.command()
@_interruptible
def sobol(
    config: ScenarioArgument,
    n: Annotated[
        int, typer.Option("--n", help="Base sample size, a power of 2; the model runs n·(inputs + 2) times.")
    ] = SOBOL_N,
    seed: SeedOption = None,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples for the intervals.")] = 1000,
    confidence: Annotated[float, typer.Option(help="Level of the bootstrap intervals.")] = 0.95,
    results: ResultsOption = Path("results"),
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Sobol' indices (first-order and total) of every uncertain input, binomial noise included.

    Outputs: total killed, each claim's truth over its scope, each sourced claim's report.
    Writes sobol.csv, sobol.json, one figure per output and manifest.json into
    results/<scenario>/sensitivity/sobol/ and prints its path.
    """
    from sim import sensitivity

    started, clock = datetime.now(UTC), time.perf_counter()
    scenario = _load(config)
    _check(seed=seed, resamples=resamples, n=n)
    result = _analyse(sensitivity.sobol, scenario, n=n, seed=seed, resamples=resamples, confidence=confidence)
    folder = sensitivity.output_folder(results, scenario.name, "sobol")
    _write_analysis(result, folder, started, clock, json_output=json_output)


@app.command()
@_interruptible
def robust(
    config: ScenarioArgument,
    draws: Annotated[int, typer.Option(help="Draws per variant.")] = ANALYSIS_DRAWS,
    seed: SeedOption = None,
    condition: ConditionOption = None,
    workers: WorkersOption = None,
    results: ResultsOption = Path("results"),
    json_output: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Refit every prior given by an interval in the other families that suit it: how much do the claims move?

    Runs the scenario as written, with each interval prior refitted in each other family of its
    support (beta, logit-normal, PERT for fractions; gamma, lognormal, PERT for positive
    quantities), and with every interval prior refitted at once, all with the same seed. Prints
    each claim's probability and percentile as written and their range across the variants, and
    writes robust.json, robust.csv, the figure and manifest.json into results/<scenario>/robust/.
    """
    from sim.display_robust import print_robustness  # rich tables and matplotlib only when this command runs
    from sim.plots_robust import write_figures
    from sim.robust import RobustError, robustness

    started, clock = datetime.now(UTC), time.perf_counter()
    scenario = _load(config)
    _check(draws=draws, seed=seed, workers=workers)
    bar = _StepBar(enabled=_err().is_terminal and not quiet and not json_output)
    with _exits(bar, (RobustError,), config=config):
        result = robustness(
            scenario,
            draws=draws,
            seed=seed,
            condition_on=_condition(scenario, condition),
            workers=workers,
            progress=bar,
        )
    _write_analysis(
        result,
        results / scenario.name / "robust",
        started,
        clock,
        json_output=json_output,
        write_figures=write_figures,
        show=None if quiet else lambda: print_robustness(result, _out(), scenario=scenario),
    )


def _usage_error_types() -> tuple[type[Exception], tuple[type[Exception], ...]]:
    """Click's exception for bad usage, and the one for a command given no arguments (if it has one).

    typer 0.29 and later carry click inside as ``typer._click``; earlier ones use the click package,
    whose versions before 8.2 print the help for a bare command without raising.
    """
    try:
        from typer._click import exceptions
    except ImportError:
        from click import exceptions
    no_arguments = getattr(exceptions, "NoArgsIsHelpError", None)
    return exceptions.UsageError, (no_arguments,) if no_arguments is not None else ()


def main(args: list[str] | None = None, *, prog_name: str | None = None) -> None:
    """Run the command line (the ``sim`` command enters through :func:`sim.launch.main`).

    ``args`` defaults to the process's arguments and ``prog_name`` to how it was started
    (``sim``, ``python -m sim``).

    Bad usage (an unknown command or option, a missing argument, a value of the wrong type)
    prints one line naming the command and exits 2, like every other bad input; ``sim`` alone
    prints the help.
    """
    usage_error, no_arguments = _usage_error_types()
    try:
        code = app(args=args, prog_name=prog_name, standalone_mode=False)
    except no_arguments as error:
        typer.echo(error.format_message())  # the help
        raise SystemExit(2) from None
    except usage_error as error:
        context = getattr(error, "ctx", None)
        command = context.command_path if context is not None else "sim"
        message = " ".join(error.format_message().split()).rstrip(".")
        line = f"{command}: {message}; see '{command} --help'"
        _err().print(f"[bold red]error:[/bold red] {_escape(line)}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    except typer.Abort:
        _err().print("aborted", highlight=False)
        raise SystemExit(1) from None
    if isinstance(code, int) and code:
        raise SystemExit(code)
