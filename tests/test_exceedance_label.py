"""The exceedance figure quotes one tail per claim, the same for the prior and the posterior."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from sim.config import load_scenario
from sim.engine import simulate
from sim.plots import _exceedance_label
from sim.summary import Probability, summarize

ROOT = Path(__file__).resolve().parent.parent


def test_an_eq_claims_posterior_is_quoted_for_the_tail_its_label_names():
    # Prigozhin's 20,000 sits in the prior's upper tail (≈ 88th percentile) but in the posterior's lower
    # tail (≈ 20th): the label says "≥ 20,000", so the posterior figure must be P(T ≥ 20,000) > 1/2.
    summary = summarize(simulate(load_scenario(ROOT / "configs" / "bakhmut.toml"), draws=20_000, workers=1))
    prior = next(c for c in summary.prior.claims if c.id == "prigozhin_20000")
    posterior = next(c for c in summary.posterior.claims if c.id == "prigozhin_20000")
    assert prior.above.value < prior.below.value and posterior.below.value < posterior.above.value
    label = _exceedance_label(prior, posterior, "killed")
    assert label.startswith("P(killed ≥ 20,000) = ")
    quoted = float(re.search(r"posterior (\S+)", label).group(1))
    assert quoted > 0.5 and abs(quoted - posterior.above.value) < 0.01
    bound = replace(prior, relation="ge", above=Probability(0.0, 3e-6, "bound"))
    assert _exceedance_label(bound, None, "killed") == "P(killed ≥ 20,000) < 3e-06 (below resolution)"
