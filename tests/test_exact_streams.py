"""Each chunk draws from its own random streams: sim's own stream function and a whole run.

Stream ``name`` of chunk ``i`` is ``SeedSequence(seed, spawn_key=(i, crc32(name)))`` (the README's
contract). Draws of different chunks must be independent: for uniforms ``U, V`` of two chunks,
the sample correlation has standard error ``1/√n``; continuous draws never coincide.
"""

from __future__ import annotations

import itertools
import zlib

import numpy as np

from sim import parse_scenario, simulate
from sim.engine import chunk_streams

Z = 4.5
N = 65_536


def test_stream_is_the_documented_seed_sequence_child():
    """Chunk i's child of SeedSequence(seed).spawn(n_chunks), spawned once more by crc32 of the stream's name."""
    children = np.random.SeedSequence(123).spawn(70_001)
    for index, name in [(0, "forces.a.size"), (3, "binomial:a"), (70_000, "report:c")]:
        assert children[index].spawn_key == (index,)
        sequence = np.random.SeedSequence(123, spawn_key=(*children[index].spawn_key, zlib.crc32(name.encode())))
        expected = np.random.Generator(np.random.PCG64(sequence)).random(8)
        np.testing.assert_array_equal(chunk_streams(123, index)(name).random(8), expected)


def test_chunks_and_names_draw_independent_streams():
    """Chunks 0, 1 and 2 of one stream, and two streams of one chunk: pairwise uncorrelated, never equal."""
    draws = {
        (index, name): chunk_streams(2024, index)(name).random(N)
        for index, name in [(0, "forces.a.size"), (1, "forces.a.size"), (2, "forces.a.size"), (1, "binomial:a")]
    }
    for (key_u, u), (key_v, v) in itertools.combinations(draws.items(), 2):
        assert not np.any(u == v), (key_u, key_v)
        assert abs(np.corrcoef(u, v)[0, 1]) < Z / np.sqrt(N), (key_u, key_v)
    again = chunk_streams(2024, 1)("forces.a.size").random(N)
    np.testing.assert_array_equal(again, draws[(1, "forces.a.size")])  # same chunk, same name: same draws


def test_a_run_draws_each_chunk_afresh():
    """Four chunks of a run (all in the reservoir): each chunk's draws of every input differ from chunk 0's."""
    chunk = 2_000
    text = f"""
[simulation]
draws = {4 * chunk}
seed = 9
chunk_size = {chunk}
[forces.a]
size = {{ dist = "uniform", low = 1000, high = 2000 }}
fatality_rate = {{ dist = "beta", a = 2, b = 8 }}
"""
    reservoir = simulate(parse_scenario(text), workers=1).reservoir
    rate = reservoir["forces.a.fatality_rate"].reshape(4, chunk)
    for index in (1, 2, 3):
        assert not np.any(rate[index] == rate[0]), index
        assert abs(np.corrcoef(rate[index], rate[0])[0, 1]) < Z / np.sqrt(chunk), index
    killed = reservoir["killed"].reshape(4, chunk)
    assert not np.array_equal(killed[1], killed[0])


def test_binomial_streams_name_each_binomial_draw_in_drawing_order():
    """One stream per binomial stage a force has (killed, wounded, died of wounds, non-battle), none for the rest."""
    from sim.model import binomial_streams

    scenario = parse_scenario(
        """
[simulation]
draws = 10
[forces.a]
size = 100
daily_hazard = 0.001
days = 30
wounded_per_killed = 2
died_of_wounds = 0.1
non_battle_hazard = 0.001
[forces.b]
size = 50
fatality_rate = 0.2
"""
    )
    assert binomial_streams(scenario) == (
        "binomial:a",
        "wounded:a",
        "died_of_wounds:a",
        "non_battle:a",
        "binomial:b",
    )
