"""The README's harmony-critic tables say what the committed results say.

Both tables are copied by hand from a benchmark run; once the harmony-critic table kept a column
from an older run for a release. These tests read each row beside its JSON, to the two decimals shown.
"""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# README row label -> the rule or metric name in the JSON
CRITIC_ROWS = {
    "parallel fifths": "parallel_fifths",
    "parallel octaves or unisons": "parallel_octaves",
    "fifths or octaves by contrary motion": "contrary_fifths_octaves",
    "hidden 5ths/8ves, outer voices": "hidden_fifths_octaves",
    "unexplained non-chord tone": "unexplained_nonchord_tone",
    "unexplained semitone/major-7th clash": "clash",
    "simultaneous cross-relation": "cross_relation",
    "augmented or diminished melodic interval": "augmented_diminished_interval",
    "melodic leap of a seventh": "seventh_leap",
    "melodic leap beyond an octave": "leap_beyond_octave",
    "leading tone doubled in a dominant chord": "doubled_leading_tone",
    "leading tone not rising at V-I (outer voice)": "unresolved_leading_tone",
    "spacing over an octave (S-A, A-T)": "spacing",
    "voice crossing": "voice_crossing",
    "voice overlap": "voice_overlap",
    "note outside the voice's range": "out_of_range",
    "last chord is not a root-position tonic": "ending_not_tonic",
    "a voice moves after the last melody note": "ending_not_held",
}
HARMONIZER_ROWS = {
    **CRITIC_ROWS,
    "cadence: authentic": "cadence_authentic",
    "cadence: half": "cadence_half",
    "cadence: plagal": "cadence_plagal",
    "cadence: deceptive": "cadence_deceptive",
    "cadence: Phrygian": "cadence_phrygian",
    "cadence: none": "cadence_none",
    "phrase ends with a cadential bass": "cadential_bass_share",
    "ends V-I on a root-position tonic": "ends_authentic_on_tonic",
    "phrase ends per piece": "phrase ends per piece",
    "opens on a root-position tonic": "opens on a root-position tonic",
    "opens so, in the key the harmonizer reads from the soprano":
        "opens so, in the key the harmonizer reads from the soprano",
    "two-sample accuracy vs Bach": "two-sample accuracy vs Bach",
}
HARMONIZER_COLUMNS = ("Bach train", "Bach test", "test sopranos, joint (default)", "test sopranos, greedy",
                      "test sopranos, sample", "test sopranos, triad baseline", "folk, joint (default)",
                      "folk, triad baseline", "chorale Transformer")


def readme_table(header_start: str) -> dict[str, list[str]]:
    """The rows of the README table whose header line starts with ``header_start``: label -> cells."""
    lines = (ROOT / "README.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def shown(value) -> str:
    return "" if value in (None, "") else f"{value:.2f}"


def test_the_bach_rates_table_is_the_committed_calibration():
    rates = json.loads((ROOT / "midistyle/music/bach_critic_rates.json").read_text())
    table = readme_table("| rule | Bach train | Bach valid | Bach test |")
    assert set(table) == set(CRITIC_ROWS)
    for label, rule in CRITIC_ROWS.items():
        assert table[label] == [shown(rates[split]["rates"][rule]) for split in ("train", "valid", "test")], label


@pytest.mark.parametrize("label", sorted(HARMONIZER_ROWS))
def test_the_harmonizer_against_the_critic_table_is_the_last_benchmark_run(label):
    results = json.loads((ROOT / "benchmarks/results/harmony_critic.json").read_text())
    rows = {row["metric"]: row for row in results["rows"]}
    table = readme_table("| per 100 quarter beats, or share | Bach train | Bach test |")
    row = rows[HARMONIZER_ROWS[label]]
    assert table[label] == [shown(row.get(column)) for column in HARMONIZER_COLUMNS]
