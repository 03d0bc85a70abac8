"""sim from Python: run the Kursk scenario, read its numbers and draws, draw a figure, write the run folder.

Run it from the repository's root: ``python docs/examples/api_example.py [FOLDER] [DRAWS]``
(default: a temporary folder and 100,000 draws). CI runs it (tests/test_pipeline.py).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

import sim


def main(folder: Path, draws: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    # Load, validate, simulate and summarise: what `sim run configs/kursk.toml --draws ... --seed 7` does.
    run = sim.run("configs/kursk.toml", draws=draws, seed=7, condition="all", workers=1)

    # The typed summary: prior predictive and posterior, each quantity's median and intervals.
    for name, side in run.summary.sides():
        killed = side.quantity("killed")  # side.claim("<id>") finds a claim the same way
        interval = next(i for i in killed.eti if i.level == 0.95)
        print(f"{name:9s} killed: median {killed.median.value:,.0f}, 95% {interval.low:,.0f}-{interval.high:,.0f}")

    # Each claim against the posterior (or the prior when nothing is conditioned on).
    side = run.summary.posterior or run.summary.prior
    for claim in side.claims:
        p = claim.probability
        # No draw in the claim's range: the value is 0 and mcse holds its 95% upper limit (never print 0).
        said = f"< {p.mcse:.2g} (95% upper limit)" if p.method == "bound" else f"{p.value:.3g} ± {p.mcse:.1g}"
        print(f"claim {claim.id}: P(true) {said}")

    # The reservoir: the first draws of every input and outcome, as NumPy arrays.
    killed = run.draws["killed"]
    print(f"reservoir: {killed.size:,} draws of killed, mean {np.mean(killed):,.0f} (unweighted, as drawn)")

    # A figure, as a matplotlib Figure (matplotlib is imported only now).
    figure = run.figure("toll")
    figure.savefig(folder / "toll.png", dpi=80)

    # The run folder `sim run` writes: summary.json, summary.csv, manifest.json, scenario.toml, arrays.
    written = run.write(folder / "run", figures=False)
    print(f"written: {written}")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="sim-api-"))
    main(target, int(sys.argv[2]) if len(sys.argv) > 2 else 100_000)
