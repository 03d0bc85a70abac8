"""The generated README section "What the Kursk scenarios say" (sim.findings, ``make findings``).

Fast: each change of the 2026 review that the section measures is undone as described, on a copy of
``configs/kursk.toml`` that still loads; the section is written between its own markers only. Slow: the
whole section regenerates byte for byte.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest

from sim.compare import MARKERS as COMPARE_MARKERS
from sim.compare import CompareError, splice_markdown
from sim.config import scenario_from_dict
from sim.findings import CHANGES, MARKERS, _load, compute, main, to_markdown

ROOT = Path(__file__).resolve().parent.parent
KURSK = ROOT / "configs" / "kursk.toml"


def _force(scenario, force_id):
    return next(f for f in scenario.forces if f.id == force_id)


def _reading(scenario, claim_id):
    claim = next(c for c in scenario.claims if c.id == claim_id)
    return claim.low, claim.high


def _undone(name: str):
    document = _load(KURSK)
    change = next(change for label, _, change, _ in CHANGES if label == name)
    change(document)
    return scenario_from_dict(copy.deepcopy(document), file=str(KURSK))


def test_the_shipped_scenario_has_every_change():
    shipped = scenario_from_dict(_load(KURSK), file=str(KURSK))
    assert shipped.source("nis").derives_from == "ukr_intel" == shipped.source("uk_di").derives_from
    assert shipped.source("press").derives_from == "uk_di"
    assert _force(shipped, "combat").phases and shipped.died_of_wounds is not None
    assert _reading(shipped, "uk_di_casualties") == (6_000, 6_999)
    assert _reading(shipped, "nis_2000") == (2_000, 2_499)
    assert "uk_di_casualties_mar2025" in shipped.condition_on


def test_each_change_is_undone_as_the_table_says():
    readings = _undone("Readings")
    assert _reading(readings, "uk_di_casualties") == (6_000, None)
    assert _reading(readings, "uk_di_casualties_mar2025") == (5_000, None)
    assert _reading(readings, "nis_2000") == (1_750, 2_249)
    dependence = _undone("Dependence")
    assert all(source.derives_from is None for source in dependence.sources)
    assert _undone("Died of wounds").died_of_wounds is None
    assert "uk_di_casualties_mar2025" not in _undone("UK DI's March count").condition_on
    for name, rate in (("Phases", (0.05, 0.23)), ("Phases and base rates", (0.043, 0.214))):
        one = _undone(name)
        combat = _force(one, "combat")
        assert not combat.phases and "uk_di_casualties_mar2025" not in one.condition_on
        assert combat.fatality_rate.distribution.ppf([0.05, 0.95]) == pytest.approx(rate, rel=1e-9)


def test_the_section_goes_between_its_own_markers_only():
    document = f"intro\n{MARKERS[0]}\nold\n{MARKERS[1]}\nmiddle\n{COMPARE_MARKERS[0]}\nkept\n{COMPARE_MARKERS[1]}\n"
    spliced = splice_markdown(document, "new\n", markers=MARKERS)
    assert spliced == document.replace("\nold\n", "\nnew\n")
    with pytest.raises(CompareError, match="findings:start"):
        splice_markdown("no markers\n", "new\n", markers=MARKERS)


@pytest.mark.slow
def test_the_section_regenerates_byte_for_byte(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# t\n\n{MARKERS[0]}\n{MARKERS[1]}\n", encoding="utf-8")
    assert main(["--readme", str(readme), "--root", str(ROOT), "--draws", "5000"]) == 0
    first = readme.read_bytes()
    assert main(["--readme", str(readme), "--root", str(ROOT), "--draws", "5000"]) == 0
    assert readme.read_bytes() == first
    text = first.decode()
    assert text.index('"Nine"') < text.index("What the toll covers") and "5,000 draws per run" in text
    assert not math.isnan(float(text.split("log BF = ")[1].split()[0]))
    assert to_markdown(compute(ROOT, draws=5000)) in text
