"""`make bench`: sim against the bare NumPy script on the same model, in fresh processes.

For each number of draws (10^6, 10^7, 10^8) it runs the bare script (where its memory allows),
`sim` with 1 worker and with all cores, and `sim` on the same force deployed in four dated
phases (phased_model.toml: four binomials per draw instead of one) beside the bare script of the same
four phases (the floor of what four exact binomials and their priors cost), REPEATS times each,
interleaved, and prints the median draws per second, the median wall and CPU times, the peak
RSS, the ratio to the bare script of the same model and, for the four phases, to the single-phase model with as
many workers, measured in the same run (by wall time, and by CPU time in brackets: what a
machine shared with other jobs changes least), as a Markdown table (also written to results/bench/). Also
the peak RSS of `sim run configs/kursk.toml` at 10^8 draws. It asserts nothing about time: it
measures.

Environment: REPEATS (default 3), SIZES (default "1e6,1e7,1e8"), BARE_MAX (largest bare run,
default 1e8: ~4 GB), KURSK (default 1; 0 skips the kursk.toml run), MILLION (default 1; 0 skips the
synthetic million-soldier scenario, tests/million.toml, measured at MILLION_SIZES, default
"1e6,1e8", beside configs/kursk.toml at the first of them, time and memory per force).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODEL = HERE / "bare_model.toml"
PHASED = HERE / "phased_model.toml"
MILLION = ROOT / "tests" / "million.toml"


def _measure(command: list[str]) -> dict[str, float]:
    output = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return json.loads(output.strip().splitlines()[-1])


def _bare(draws: int, phases: int = 1) -> list[str]:
    return [sys.executable, str(HERE / "bare_numpy.py"), str(draws), str(phases)]


def _sim(draws: int, workers: int, config: Path = MODEL) -> list[str]:
    return [sys.executable, str(HERE / "sim_run.py"), str(config), str(draws), str(workers)]


def _million_lines(cores: int) -> str:
    """Time and peak RSS of the synthetic million-soldier scenario beside the Kursk default, per force."""
    from sim import load_scenario

    sizes = [int(float(s)) for s in os.environ.get("MILLION_SIZES", "1e6,1e8").split(",")]
    lines = [
        "",
        "| scenario | forces | draws | wall s | CPU s | peak RSS MB | s per force (CPU) | MB per force "
        "| per force vs Kursk (CPU, MB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    kursk: tuple[float, float] | None = None
    for config, draws_list in ((ROOT / "configs" / "kursk.toml", sizes[:1]), (MILLION, sizes)):
        forces = len(load_scenario(config).forces)
        for draws in draws_list:
            run = _measure(_sim(draws, cores, config))
            peak = run["peak_rss_mb"] + run["worker_peak_rss_mb"]
            per_force = (run["cpu_seconds"] / forces / draws, peak / forces)  # CPU s per force and draw, MB
            kursk = kursk or per_force
            lines.append(
                f"| {config.relative_to(ROOT)} | {forces} | {draws:,} | {run['seconds']:.1f} "
                f"| {run['cpu_seconds']:.1f} | {peak:,.0f} | {run['seconds'] / forces:.2f} "
                f"({run['cpu_seconds'] / forces:.2f}) | {per_force[1]:,.0f} "
                f"| {per_force[0] / kursk[0]:.2f}×, {per_force[1] / kursk[1]:.2f}× |"
            )
    return "\n".join(lines) + (
        f"\n\n(prior only, {cores} workers; tests/million.toml is synthetic; the last column: CPU seconds per "
        f"force and draw, and peak MB per force, over the Kursk default's at {sizes[0]:,} draws.)\n"
    )


def main() -> None:
    repeats = int(os.environ.get("REPEATS", "3"))
    sizes = [int(float(s)) for s in os.environ.get("SIZES", "1e6,1e7,1e8").split(",")]
    bare_max = int(float(os.environ.get("BARE_MAX", "1e8")))
    cores = len(os.sched_getaffinity(0))
    rows = []
    for draws in sizes:
        single = {1: "sim, 1 worker", cores: f"sim, {cores} workers"}
        phased = {1: "sim, 4 phases, 1 worker", cores: f"sim, 4 phases, {cores} workers"}
        runs: dict[str, list[dict[str, float]]] = {
            name: [] for name in ("bare NumPy", "bare NumPy, 4 phases", *single.values(), *phased.values())
        }
        reps = repeats if draws < 10**8 else max(1, repeats - 1)
        for _ in range(reps):
            if draws <= bare_max:
                runs["bare NumPy"].append(_measure(_bare(draws)))
                runs["bare NumPy, 4 phases"].append(_measure(_bare(draws, phases=4)))
            for workers in dict.fromkeys((1, cores)):
                runs[single[workers]].append(_measure(_sim(draws, workers)))
                runs[phased[workers]].append(_measure(_sim(draws, workers, PHASED)))
            print(f"  {draws:.0e} draws: repetition done", file=sys.stderr, flush=True)
        rates = {
            name: draws / statistics.median(r["seconds"] for r in results) for name, results in runs.items() if results
        }
        cpu = {name: statistics.median(r["cpu_seconds"] for r in results) for name, results in runs.items() if results}
        one_phase = {phased[w]: single[w] for w in phased} | {"bare NumPy, 4 phases": "bare NumPy"}
        for name, results in runs.items():
            if not results:
                continue
            rate = rates[name]
            peak = max(r["peak_rss_mb"] + r.get("worker_peak_rss_mb", 0.0) for r in results)
            bare = "bare NumPy, 4 phases" if "4 phases" in name else "bare NumPy"
            ratio = f"{rate / rates[bare]:.2f}×" if bare in rates else "—"
            versus = "—"
            if name in one_phase:
                versus = f"{rate / rates[one_phase[name]]:.2f}× ({cpu[one_phase[name]] / cpu[name]:.2f}×)"
            cells = (f"{rate / 1e6:.2f} M", f"{draws / rate:.2f}", f"{cpu[name]:.2f}", f"{peak:,.0f}", ratio, versus)
            rows.append((f"{draws:,}", name, *cells, len(results)))
    header = (
        "| draws | program | draws/s | wall s (median) | CPU s (median) | peak RSS MB | vs bare (same model) "
        "| vs 1 phase (CPU) "
        "| runs |\n|---|---|---|---|---|---|---|---|---|\n"
    )
    table = header + "".join("| " + " | ".join(str(c) for c in row) + " |\n" for row in rows)
    note = ""
    if os.environ.get("KURSK", "1") != "0":
        kursk = _measure(_sim(10**8, cores, ROOT / "configs" / "kursk.toml"))
        note += (
            f"\n`configs/kursk.toml`, 10^8 draws, {cores} workers (prior only): {kursk['seconds']:.1f} s, peak RSS "
            f"{kursk['peak_rss_mb']:.0f} MB (parent) + {kursk['worker_peak_rss_mb']:.0f} MB (largest worker).\n"
        )
    if os.environ.get("MILLION", "1") != "0":
        note += _million_lines(cores)
    note += (
        f"\nMachine: {platform.processor() or platform.machine()}, {cores} cores, Python {platform.python_version()}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Peak RSS is the parent's plus the largest worker's.\n"
    )
    out = ROOT / "results" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.md"
    path.write_text(table + note)
    print(table + note)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
