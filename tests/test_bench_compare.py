"""bench/compare.py's table: medians over interleaved rounds, ratios taken within each round."""

from __future__ import annotations

from bench.compare import ROWS, ratio_cell, table


def figures(system: str, build: float, p95: float) -> dict:
    row = {key: 1.0 for _, key, _ in ROWS}
    return {**row, "system": system, "build_derived_pps": build, "query_p95_ms": p95}


def test_ratio_is_the_median_of_per_round_ratios_with_its_range():
    # per round: 2.0, 1.0, 1.5 -- the ratio of the medians (200/100) would be 2.0
    assert ratio_cell([200, 100, 300], [100, 100, 200]) == "1.50x (1.00-2.00)"
    assert ratio_cell([120], [100]) == "1.20x"
    assert ratio_cell([1.0], [0.0]) == "-"


def test_table_gives_medians_per_system_and_ratios_per_round():
    rounds = [
        [figures("crisisbot", 130, 4.0), figures("Chroma", 100, 10.0)],
        [figures("Chroma", 50, 12.0), figures("crisisbot", 80, 5.0)],  # order within a round does not matter
        [figures("crisisbot", 90, 6.0), figures("Chroma", 60, 8.0)],
    ]
    lines = table(rounds).splitlines()
    assert lines[0] == "| measure | crisisbot | Chroma | crisisbot / Chroma |"
    build = next(line for line in lines if line.startswith("| build throughput, derived"))
    assert build == "| build throughput, derived corpus (paragraphs/s) | 90 | 60 | 1.50x (1.30-1.60) |"
    p95 = next(line for line in lines if line.startswith("| query latency p95 (ms)"))
    assert p95 == "| query latency p95 (ms) | 5.0 | 10.0 | 0.42x (0.40-0.75) |"
