"""The harmony critic's findings as text: every mark, the cadences, and the rates beside Bach's."""

from __future__ import annotations

from midistyle.music.harmony import RULES, Critique, above_bach


def format_critique(critique: Critique, bach: dict) -> str:
    """A report for the terminal.

    Parameters
    ----------
    critique : Critique
    bach : dict
        One split of :func:`midistyle.music.harmony.bach_rates` (``{"rates": …, "cadence_shares": …}``).
    """
    lines = [f"key {critique.key}, {critique.quarters:g} quarter beats, {len(critique.marks)} marks"]
    if critique.marks:
        lines.append("")
        lines.append(f"{'bar':>4} {'beat':>5}  {'rule':<40} {'voices':<16} notes")
        for mark in critique.marks:
            lines.append(f"{mark.bar:>4} {mark.beat:>5g}  {RULES[mark.rule][:40]:<40} "
                         f"{'/'.join(v[:1] for v in mark.voices):<16} {mark.detail}")
    lines.append("")
    lines.append("cadences: " + (", ".join(f"bar {c.bar} {'perfect ' if c.perfect else ''}{c.kind}"
                                          f"{' (fermata)' if c.at_fermata else ''}"
                                          for c in critique.cadences) or "none"))
    lines.append("")
    lines.append(f"{'rule':<44} {'marks':>5} {'per 100 beats':>13} {'Bach':>6}")
    counts, rates = critique.counts(), critique.rates()
    above = above_bach(rates, bach["rates"])
    for rule, label in RULES.items():
        reference = bach["rates"].get(rule, 0.0)
        flag = "  above Bach" if rule in above else ""
        lines.append(f"{label[:44]:<44} {counts[rule]:>5} {rates[rule]:>13.2f} {reference:>6.2f}{flag}")
    shares = critique.cadence_shares()
    lines.append(f"{'phrase ends with a cadential bass (share)':<44} {'':>5} {shares['cadential_bass_share']:>13.2f} "
                 f"{bach['cadence_shares']['cadential_bass_share']:>6.2f}")
    return "\n".join(lines)
