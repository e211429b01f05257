"""The harmony critic: what a harmony teacher marks in a four-part score, at every onset.

``critique(score)`` reads a soprano-alto-tenor-bass score through its onset slices
(:mod:`midistyle.music.chords`: every step where any voice starts a note, eighths and sixteenths
included) and returns a :class:`Critique`: a list of :class:`Mark` (rule, bar, beat, voices and
the notes concerned), the :class:`Cadence` at every phrase end, the non-chord tones by kind, and
rates per 100 quarter-note beats. The rules are the textbook's (Aldwell & Schachter; music21's
``voiceLeading``):

* consecutive fifths and octaves (unisons included) between any two voices, in parallel or by
  contrary motion; hidden fifths and octaves between the outer voices with a leap in the soprano;
* non-chord tones classified as passing, neighbour, suspension (prepared, falling by step),
  retardation (rising), appoggiatura, anticipation or escape tone, or held while the harmony
  changes under it; any other is marked;
* semitone and major-seventh clashes that no non-chord tone or seventh chord explains, and
  simultaneous cross-relations (one letter with two accidentals, spelled in the key);
* augmented and diminished melodic intervals (spelled in the key), leaps of a seventh, leaps
  beyond an octave;
* a leading tone doubled in a dominant, or not rising to the tonic in an outer voice at V–I;
* spacing (soprano–alto or alto–tenor over an octave), crossing, overlap, range;
* the ending: a root-position tonic (a major tonic in minor, the Picardy third, is allowed),
  held to the end.

Cadences are named at each fermata and at the end (:mod:`midistyle.music.cadences`). Some marks are
Bach's ordinary practice; the rates in the train chorales are committed beside this module
(``bach_critic_rates.json``, made by ``midistyle data build --critic-rates``) so that a
score is judged against Bach's own, not against zero.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import numpy as np

from midistyle.errors import InputError
from midistyle.music.cadences import CADENCE_KINDS, Cadence, bar_and_beat, find_cadences
from midistyle.music.chords import SEVENTH_QUALITIES, ChordLabels, Slices, label_chords, onset_slices
from midistyle.music.keys import estimate_key, is_augmented_or_diminished, letters_in_key, pitch_name
from midistyle.music.metrics import REST
from midistyle.music.motion import (
    CONTRARY_PERFECTS,
    PARALLEL_FIFTHS,
    PARALLEL_OCTAVES,
    cross_relations,
    hidden_perfects,
    leap_rule,
    perfect_motion,
)
from midistyle.music.score import SATB_RANGES, Key, Score

BACH_RATES_PATH = Path(__file__).with_name("bach_critic_rates.json")

RULES: dict[str, str] = {
    "parallel_fifths": "parallel fifths",
    "parallel_octaves": "parallel octaves or unisons",
    "contrary_fifths_octaves": "fifths or octaves by contrary motion",
    "hidden_fifths_octaves": "hidden fifths or octaves in the outer voices, soprano leaping",
    "unexplained_nonchord_tone": "non-chord tone that is no passing, neighbour, suspension, appoggiatura, "
                                 "anticipation or escape tone",
    "clash": "semitone or major-seventh clash with no stepwise explanation",
    "cross_relation": "simultaneous cross-relation (one letter, two accidentals)",
    "augmented_diminished_interval": "augmented or diminished melodic interval",
    "seventh_leap": "melodic leap of a seventh",
    "leap_beyond_octave": "melodic leap beyond an octave",
    "doubled_leading_tone": "leading tone doubled in a dominant chord",
    "unresolved_leading_tone": "leading tone in an outer voice not rising to the tonic at V-I",
    "spacing": "more than an octave between soprano and alto or alto and tenor",
    "voice_crossing": "voice crossing",
    "voice_overlap": "voice overlap",
    "out_of_range": "note outside the voice's range",
    "ending_not_tonic": "last chord is not a root-position tonic",
    "ending_not_held": "a voice moves after the last melody note",
}
# Short labels written under marked notes on the sheet music.
RULE_CODES: dict[str, str] = {
    "parallel_fifths": "P5", "parallel_octaves": "P8", "contrary_fifths_octaves": "C5/8",
    "hidden_fifths_octaves": "H5/8", "unexplained_nonchord_tone": "NCT", "clash": "clash",
    "cross_relation": "x-rel", "augmented_diminished_interval": "aug/dim", "seventh_leap": "7th",
    "leap_beyond_octave": ">8ve", "doubled_leading_tone": "LT x2", "unresolved_leading_tone": "LT",
    "spacing": "space", "voice_crossing": "cross", "voice_overlap": "overlap", "out_of_range": "range",
    "ending_not_tonic": "end", "ending_not_held": "end",
}
ENDING_RULES = ("ending_not_tonic", "ending_not_held")  # judged at the piece's last melody note
NONCHORD_KINDS = ("passing", "neighbour", "suspension", "retardation", "appoggiatura", "anticipation",
                  "escape tone", "held over a change", "unexplained")
STEPWISE = (1, 2)


@dataclass(frozen=True)
class Mark:
    """One thing a teacher would mark.

    Attributes
    ----------
    rule : str
        A key of :data:`RULES`.
    step : int
        The onset step where it happens (the arrival, for a motion).
    bar : int
        Bar number as printed (a pickup is bar 0).
    beat : float
        Beat in the bar, from 1 (2.5 is the eighth after beat 2).
    voices : tuple of str
        The voices concerned, top first.
    detail : str
        The notes, e.g. ``"D5/G4 -> E5/A4"``.
    notes : tuple of (int, int)
        (voice index, onset step) of each note to colour on the sheet music.
    """

    rule: str
    step: int
    bar: int
    beat: float
    voices: tuple[str, ...]
    detail: str
    notes: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict:
        out = asdict(self)
        out["voices"], out["notes"] = list(self.voices), [list(n) for n in self.notes]
        return out


@dataclass(frozen=True)
class Critique:
    """Everything the critic found in one score.

    Attributes
    ----------
    marks : tuple of Mark
        In score order.
    cadences : tuple of Cadence
        One per phrase end (fermatas, then the end of the piece).
    nonchord_tones : dict
        Count of non-chord tones by kind (:data:`NONCHORD_KINDS`).
    quarters : float
        Length of the piece in quarter notes: rates are per 100 of these.
    key : str
        The key the critic spelled in (the score's, or estimated).
    """

    marks: tuple[Mark, ...]
    cadences: tuple[Cadence, ...]
    nonchord_tones: dict[str, int] = field(default_factory=dict)
    quarters: float = 0.0
    key: str = ""

    def counts(self) -> dict[str, int]:
        """How many marks of each rule (every rule present, 0 when none)."""
        found = Counter(mark.rule for mark in self.marks)
        return {rule: found.get(rule, 0) for rule in RULES}

    def rates(self) -> dict[str, float]:
        """Marks per 100 quarter-note beats, by rule."""
        return {rule: 100.0 * count / self.quarters if self.quarters else 0.0
                for rule, count in self.counts().items()}

    def cadence_shares(self) -> dict[str, float]:
        """Share of phrase ends with each kind of cadence (``none`` included), and how the piece ends."""
        kinds = Counter(c.kind for c in self.cadences)
        total = max(len(self.cadences), 1)
        shares = {f"cadence_{kind}": kinds.get(kind, 0) / total for kind in CADENCE_KINDS}
        shares["cadential_bass_share"] = sum(c.cadential_bass for c in self.cadences) / total
        final = self.cadences[-1] if self.cadences else None
        shares["ends_authentic_on_tonic"] = float(bool(final and final.kind == "authentic" and final.on_tonic
                                                       and final.root_position))
        return shares

    def note_labels(self) -> dict[tuple[int, int], str]:
        """{(voice index, onset step): the codes of the marks on that note, e.g. ``"P5 LT"``}."""
        labels: dict[tuple[int, int], list[str]] = {}
        for mark in self.marks:
            for note in mark.notes:
                codes = labels.setdefault(note, [])
                if RULE_CODES[mark.rule] not in codes:
                    codes.append(RULE_CODES[mark.rule])
        return {note: " ".join(codes) for note, codes in labels.items()}

    def to_dict(self) -> dict:
        return {"key": self.key, "quarters": self.quarters, "marks": [m.to_dict() for m in self.marks],
                "cadences": [c.to_dict() for c in self.cadences], "nonchord_tones": dict(self.nonchord_tones),
                "rates": self.rates(), "cadence_shares": self.cadence_shares()}


# -- the critic -------------------------------------------------------------------------------------
def critique(score: Score) -> Critique:
    """Check a four-voice score (soprano first) at every onset.

    Raises
    ------
    InputError
        When the score does not have exactly four voices.
    """
    if score.num_voices != 4:
        raise InputError(f"the harmony critic reads four voices (soprano, alto, tenor, bass); "
                         f"this score has {score.num_voices}")
    score_key = score.key if score.key is not None else estimate_key(score)
    slices = onset_slices(score)
    chords = label_chords(slices)
    place = _Placer(score, score_key)
    marks: list[Mark] = []
    marks += _consecutive_perfects(slices, place)
    marks += _hidden_perfects(slices, place)
    kinds = _nonchord_kinds(slices, chords)
    marks += [place.mark("unexplained_nonchord_tone", slices.steps[i], [v], [(i, v)], slices)
              for (i, v), kind in sorted(kinds.items()) if kind == "unexplained"]
    marks += _clashes_and_cross_relations(slices, chords, kinds, score_key, place)
    marks += _melodic_intervals(score, score_key, place)
    marks += _leading_tones(slices, chords, score_key, place)
    marks += _spacing_crossing_overlap(slices, place)
    marks += _out_of_range(score, place)
    cadences = find_cadences(score, slices, chords, score_key)
    marks += _ending(score, slices, chords, score_key, place)
    nonchord = Counter(kinds.values())
    return Critique(
        marks=tuple(sorted(marks, key=lambda m: (m.step, m.rule, m.voices))),
        cadences=tuple(cadences),
        nonchord_tones={kind: nonchord.get(kind, 0) for kind in NONCHORD_KINDS},
        quarters=score.num_steps / score.steps_per_quarter,
        key=str(score_key),
    )


class _Placer:
    """Bar, beat and note names of a score, to write marks."""

    def __init__(self, score: Score, score_key: Key):
        self.score, self.key = score, score_key
        self.names = [v.name for v in score.voices]

    def bar_beat(self, step: int) -> tuple[int, float]:
        return bar_and_beat(self.score, step)

    def mark(self, rule: str, step: int, voices: list[int], notes: list[tuple[int, int]], slices: Slices,
             detail: str | None = None) -> Mark:
        """A mark at ``step``; ``notes`` are (slice, voice) pairs, named in ``detail`` unless given."""
        bar, beat = self.bar_beat(int(step))
        if detail is None:
            detail = " ".join(f"{self.names[v][0]}:{pitch_name(int(slices.pitches[i, v]), self.key)}"
                              for i, v in notes)
        note_steps = tuple(sorted({(int(v), int(slices.note_onsets[i, v])) for i, v in notes}))
        return Mark(rule, int(step), bar, round(beat, 3), tuple(self.names[v] for v in sorted(set(voices))),
                    detail, note_steps)


def _consecutive_perfects(slices: Slices, place: _Placer) -> list[Mark]:
    """Fifths or octaves between two voices at two consecutive onsets, both voices moving."""
    marks = []
    p = slices.pitches
    rules = {PARALLEL_FIFTHS: "parallel_fifths", PARALLEL_OCTAVES: "parallel_octaves",
             CONTRARY_PERFECTS: "contrary_fifths_octaves"}
    if len(slices) < 2:
        return marks
    codes = perfect_motion(p[:-1], p[1:])  # (N-1, V, V): the move into slice i + 1
    for move, u, lower in zip(*np.nonzero(codes)):
        i = move + 1
        detail = (f"{pitch_name(int(p[i - 1, u]), place.key)}/{pitch_name(int(p[i - 1, lower]), place.key)} -> "
                  f"{pitch_name(int(p[i, u]), place.key)}/{pitch_name(int(p[i, lower]), place.key)}")
        marks.append(place.mark(rules[int(codes[move, u, lower])], slices.steps[i], [u, lower],
                                [(i - 1, u), (i - 1, lower), (i, u), (i, lower)], slices, detail))
    return marks


def _hidden_perfects(slices: Slices, place: _Placer) -> list[Mark]:
    """Outer voices reaching a fifth or octave in similar motion, the soprano by leap."""
    p = slices.pitches
    bass = p.shape[1] - 1
    if len(slices) < 2:
        return []
    return [place.mark("hidden_fifths_octaves", slices.steps[i], [0, bass], [(i, 0), (i, bass)], slices)
            for i in np.nonzero(hidden_perfects(p[:-1], p[1:]))[0] + 1]


def _nonchord_kinds(slices: Slices, chords: ChordLabels) -> dict[tuple[int, int], str]:
    """The kind of every non-chord tone, keyed by (slice, voice) where it is judged.

    A note is judged where it is attacked, or where it is held into a slice whose chord does not
    contain it after being a chord tone (a suspension's preparation).
    """
    kinds = {}
    p, before, after = slices.pitches, slices.previous, slices.following
    for i, v in zip(*np.nonzero((p != REST) & ~chords.chord_tones)):
        pitch, a, b = int(p[i, v]), int(before[i, v]), int(after[i, v])
        later_chord_tone = _becomes_chord_tone(slices, chords, i, v)
        if not slices.attacks[i, v]:
            if i == 0 or not chords.chord_tones[i - 1, v]:
                continue  # judged where it began
            kinds[(i, v)] = _resolution_kind(pitch, b, later_chord_tone)
            continue
        step_in = a != REST and abs(pitch - a) in STEPWISE
        step_out = b != REST and abs(b - pitch) in STEPWISE
        if a == pitch:  # repeated: prepared like a suspension
            kinds[(i, v)] = _resolution_kind(pitch, b, later_chord_tone)
        elif step_in and step_out:
            kinds[(i, v)] = "passing" if np.sign(pitch - a) == np.sign(b - pitch) else "neighbour"
        elif b == pitch:
            kinds[(i, v)] = "anticipation"
        elif step_out:
            kinds[(i, v)] = "appoggiatura"
        elif step_in and b != REST:
            kinds[(i, v)] = "escape tone"
        elif later_chord_tone:
            kinds[(i, v)] = "held over a change"
        else:
            kinds[(i, v)] = "unexplained"
    return kinds


def _resolution_kind(pitch: int, following: int, later_chord_tone: bool) -> str:
    if following != REST and pitch - following in STEPWISE:
        return "suspension"
    if following != REST and following - pitch in STEPWISE:
        return "retardation"
    return "held over a change" if later_chord_tone else "unexplained"


def _becomes_chord_tone(slices: Slices, chords: ChordLabels, i: int, v: int) -> bool:
    """True when the note sounding at slice ``i`` in voice ``v`` is a chord tone at a later slice."""
    end = slices.note_ends[i, v]
    j = i + 1
    while j < len(slices) and slices.steps[j] < end:
        if chords.chord_tones[j, v]:
            return True
        j += 1
    return False


def _clashes_and_cross_relations(slices: Slices, chords: ChordLabels, kinds: dict, score_key: Key,
                                 place: _Placer) -> list[Mark]:
    """Semitone/major-seventh clashes with no explanation, and simultaneous cross-relations."""
    marks = []
    p = slices.pitches
    letters = letters_in_key(score_key.sharps, score_key.mode)
    explained_notes = _explained_nonchord_notes(slices, kinds)
    crossed_at = cross_relations(p, letters)  # (N, V, V)
    for i in range(len(slices)):
        crossed = crossed_at[i]
        for u, lower in itertools.combinations(range(p.shape[1]), 2):
            a, b = p[i, u], p[i, lower]
            if REST in (a, b) or not (slices.attacks[i, u] or slices.attacks[i, lower]):
                continue
            if (a - b) % 12 not in (1, 11):
                continue
            if crossed[u, lower]:
                marks.append(place.mark("cross_relation", slices.steps[i], [u, lower], [(i, u), (i, lower)], slices))
                continue
            by_chord = chords.chord_tones[i, u] and chords.chord_tones[i, lower] and (
                _treated_seventh(slices, chords, i, u) or _treated_seventh(slices, chords, i, lower))
            by_step = (u, int(slices.note_onsets[i, u])) in explained_notes or \
                (lower, int(slices.note_onsets[i, lower])) in explained_notes
            if not (by_chord or by_step):
                marks.append(place.mark("clash", slices.steps[i], [u, lower], [(i, u), (i, lower)], slices))
    return marks


def _treated_seventh(slices: Slices, chords: ChordLabels, i: int, v: int) -> bool:
    """True when voice ``v`` sounds the seventh of a seventh chord at slice ``i`` and treats it as a
    dissonance: prepared (held or repeated from the note before) or falling by step after it."""
    quality = chords.quality(i)
    if quality not in SEVENTH_QUALITIES:
        return False
    seventh = (chords.roots[i] + (9 if quality == "diminished seventh" else
                                  11 if quality == "major seventh" else 10)) % 12
    pitch = slices.pitches[i, v]
    if pitch % 12 != seventh:
        return False
    prepared = not slices.attacks[i, v] or slices.previous[i, v] == pitch
    falls = slices.following[i, v] != REST and pitch - slices.following[i, v] in STEPWISE
    return bool(prepared or falls)


def _explained_nonchord_notes(slices: Slices, kinds: dict) -> set[tuple[int, int]]:
    """(voice, onset step) of every non-chord tone with a textbook explanation."""
    return {(v, int(slices.note_onsets[i, v])) for (i, v), kind in kinds.items() if kind != "unexplained"}


def _melodic_intervals(score: Score, score_key: Key, place: _Placer) -> list[Mark]:
    """Augmented/diminished intervals, sevenths and leaps beyond an octave between a voice's
    consecutive notes (a rest between them breaks the line)."""
    marks = []
    for v, voice in enumerate(score.voices):
        pitches = np.array([n.pitch for n in voice.notes])
        leap_rules = leap_rule(pitches[:-1], pitches[1:]) if len(pitches) > 1 else np.zeros(0, int)
        for a, b, leap in zip(voice.notes, voice.notes[1:], leap_rules):
            if a.end_step != b.onset_step or a.pitch == b.pitch:
                continue
            rule = {1: "seventh_leap", 2: "leap_beyond_octave"}.get(int(leap))
            if rule is None and is_augmented_or_diminished(a.pitch, b.pitch, score_key):
                rule = "augmented_diminished_interval"
            if rule:
                bar, beat = place.bar_beat(b.onset_step)
                detail = f"{pitch_name(a.pitch, score_key)} -> {pitch_name(b.pitch, score_key)}"
                marks.append(Mark(rule, b.onset_step, bar, round(beat, 3), (voice.name,), detail,
                                  ((v, a.onset_step), (v, b.onset_step))))
    return marks


def _dominant_resolutions(slices: Slices, chords: ChordLabels, score_key: Key) -> list[tuple[int, int]]:
    """(first slice of a dominant, slice of its tonic) for every V(7)-I move.

    A dominant is a dominant seventh, or a major triad on the key's dominant or whose third lies
    outside the key (a secondary dominant), moving to a triad a fifth below.
    """
    scale = {(score_key.tonic_pitch_class + s) % 12 for s in
             ((0, 2, 4, 5, 7, 9, 11) if score_key.mode == "major" else (0, 2, 3, 5, 7, 8, 10, 11))}
    pairs = []
    i = 0
    while i < len(slices):
        j = i
        while j + 1 < len(slices) and chords.roots[j + 1] == chords.roots[i] and \
                chords.qualities[j + 1] == chords.qualities[i]:
            j += 1
        root, quality = chords.roots[i], chords.quality(i)
        dominant = quality == "dominant seventh" or (quality == "major" and (
            root == (score_key.tonic_pitch_class + 7) % 12 or (root + 4) % 12 not in scale))
        if root >= 0 and dominant and j + 1 < len(slices) and chords.roots[j + 1] == (root + 5) % 12 \
                and chords.quality(j + 1) in ("major", "minor"):
            pairs.append((i, j + 1))
        i = j + 1
    return pairs


def _leading_tones(slices: Slices, chords: ChordLabels, score_key: Key, place: _Placer) -> list[Mark]:
    """A doubled leading tone in a dominant, and one in an outer voice that does not rise at V-I."""
    marks = []
    p = slices.pitches
    outer = (0, p.shape[1] - 1)
    for first, tonic in _dominant_resolutions(slices, chords, score_key):
        leading = (chords.roots[first] + 4) % 12
        for i in range(first, tonic):
            holders = [v for v in range(p.shape[1]) if p[i, v] != REST and p[i, v] % 12 == leading]
            if len(holders) >= 2:
                marks.append(place.mark("doubled_leading_tone", slices.steps[i], holders,
                                        [(i, v) for v in holders], slices))
                break
        last = tonic - 1
        for v in outer:
            pitch = p[last, v]
            if pitch == REST or pitch % 12 != leading:
                continue
            arrives = p[tonic, v]
            rises = arrives == pitch + 1 or (arrives == pitch and slices.following[tonic, v] == pitch + 1)
            if not rises:
                marks.append(place.mark("unresolved_leading_tone", slices.steps[tonic], [v],
                                        [(last, v), (tonic, v)] if arrives != REST else [(last, v)], slices))
    return marks


def _spacing_crossing_overlap(slices: Slices, place: _Placer) -> list[Mark]:
    """Wide spacing and crossing where either voice of a pair attacks; overlap of moving voices."""
    marks = []
    p, attacks = slices.pitches, slices.attacks
    for i in range(len(slices)):
        for u in range(p.shape[1] - 1):
            lower = u + 1
            a, b = p[i, u], p[i, lower]
            if REST in (a, b) or not (attacks[i, u] or attacks[i, lower]):
                continue
            if u < 2 and a - b > 12:
                marks.append(place.mark("spacing", slices.steps[i], [u, lower], [(i, u), (i, lower)], slices))
            if b > a:
                marks.append(place.mark("voice_crossing", slices.steps[i], [u, lower], [(i, u), (i, lower)], slices))
            elif i > 0 and REST not in (p[i - 1, u], p[i - 1, lower]) and (
                    (attacks[i, u] and a < p[i - 1, lower]) or (attacks[i, lower] and b > p[i - 1, u])):
                marks.append(place.mark("voice_overlap", slices.steps[i], [u, lower],
                                        [(i - 1, u), (i - 1, lower), (i, u), (i, lower)], slices))
    return marks


def _out_of_range(score: Score, place: _Placer) -> list[Mark]:
    marks = []
    for v, (voice, (low, high)) in enumerate(zip(score.voices, SATB_RANGES)):
        for note in voice.notes:
            if not low <= note.pitch <= high:
                bar, beat = place.bar_beat(note.onset_step)
                marks.append(Mark("out_of_range", note.onset_step, bar, round(beat, 3), (voice.name,),
                                  f"{pitch_name(note.pitch, place.key)} (range {pitch_name(low, place.key)}-"
                                  f"{pitch_name(high, place.key)})", ((v, note.onset_step),)))
    return marks


def _ending(score: Score, slices: Slices, chords: ChordLabels, score_key: Key, place: _Placer) -> list[Mark]:
    """The last melody note's chord: a root-position tonic, and nothing moving after it."""
    melody = score.voices[0].notes
    if not melody or not len(slices):
        return []
    k = int(np.searchsorted(slices.steps, melody[-1].onset_step))
    marks = []
    sounding = [v for v in range(score.num_voices) if slices.pitches[k, v] != REST]
    bass = max(sounding) if sounding else None
    tonic = score_key.tonic_pitch_class
    quality = chords.quality(k)
    good_quality = quality == "major" or (quality == "minor" and score_key.mode == "minor")
    if not (chords.roots[k] == tonic and good_quality and bass is not None
            and slices.pitches[k, bass] % 12 == tonic):
        marks.append(place.mark("ending_not_tonic", slices.steps[k], sounding, [(k, v) for v in sounding], slices,
                                f"{chords.name(k)} over "
                                f"{pitch_name(int(slices.pitches[k, bass]), score_key) if bass is not None else '-'}"
                                f" in {score_key}"))
    if k + 1 < len(slices):
        movers = [v for v in range(score.num_voices) if slices.attacks[k + 1:, v].any()]
        marks.append(place.mark("ending_not_held", slices.steps[k + 1], movers,
                                [(k + 1, v) for v in movers if slices.attacks[k + 1, v]] or [(k + 1, movers[0])],
                                slices))
    return marks


# -- Bach's own rates -------------------------------------------------------------------------------
def pooled_rates(critiques: list[Critique]) -> dict[str, float]:
    """Marks per 100 quarter beats over a set of pieces, pooled (long pieces weigh more), by rule."""
    quarters = sum(c.quarters for c in critiques)
    totals = Counter()
    for c in critiques:
        totals.update(c.counts())
    return {rule: 100.0 * totals.get(rule, 0) / quarters if quarters else 0.0 for rule in RULES}


def pooled_cadence_shares(critiques: list[Critique]) -> dict[str, float]:
    """Cadence kinds over every phrase end of a set of pieces, and the share ending V-I on the tonic."""
    cadences = [c for critique in critiques for c in critique.cadences]
    total = max(len(cadences), 1)
    kinds = Counter(c.kind for c in cadences)
    shares = {f"cadence_{kind}": kinds.get(kind, 0) / total for kind in CADENCE_KINDS}
    shares["cadential_bass_share"] = sum(c.cadential_bass for c in cadences) / total
    shares["ends_authentic_on_tonic"] = (sum(c.cadence_shares()["ends_authentic_on_tonic"] for c in critiques)
                                         / max(len(critiques), 1))
    return shares


def bach_rates() -> dict:
    """The committed calibration: ``{"train": {"rates": …, "cadence_shares": …, …}, "command": …}``."""
    try:
        return json.loads(BACH_RATES_PATH.read_text())
    except FileNotFoundError:
        raise InputError(f"{BACH_RATES_PATH}: no calibration; run `midistyle data build --critic-rates`") from None


ABOVE_BACH_FACTOR = 1.25  # the critic issue's bound: a rule's rate up to 1.25 x Bach's is his practice ...
NEAR_ZERO_RATE_PER_100_QUARTERS = 0.1  # ... plus 0.1 per 100 quarter beats where his own rate is below 0.1


def above_bach(rates: Mapping[str, float], bach: Mapping[str, float]) -> list[str]:
    """The rules whose rate is above Bach's by the critic issue's reading: over ``ABOVE_BACH_FACTOR``
    times his rate, plus ``NEAR_ZERO_RATE_PER_100_QUARTERS`` where his is about 0 (below that). The
    bound jumps where the allowance stops (his 0.09 allows 0.21, his 0.10 allows 0.125), as the
    issue's reading does.

    Parameters
    ----------
    rates, bach : mapping of str to float
        Marks per 100 quarter beats by rule (a rule missing from ``bach`` counts as 0).

    Returns
    -------
    list of str
        Keys of :data:`RULES`, in its order.
    """
    def bound(reference: float) -> float:
        allowance = NEAR_ZERO_RATE_PER_100_QUARTERS if reference < NEAR_ZERO_RATE_PER_100_QUARTERS else 0.0
        return ABOVE_BACH_FACTOR * reference + allowance

    return [rule for rule in RULES if rates.get(rule, 0.0) > bound(bach.get(rule, 0.0)) + 1e-9]


RAREST_RATE_PER_100_QUARTERS = 0.05  # a rule Bach (almost) never breaks weighs as if he did at this rate


@lru_cache(maxsize=1)
def mark_weights() -> Mapping[str, float]:
    """How unlike Bach one mark of each rule is: 1 / his train rate per 100 quarter beats.

    A parallel octave (he writes 0.18 per 100 beats) weighs 5.6, a voice overlap (5.4) 0.19: a
    draw with two overlaps is more like him than one with a parallel octave.
    """
    rates = bach_rates()["train"]["rates"]
    return MappingProxyType({rule: 1.0 / max(rate, RAREST_RATE_PER_100_QUARTERS) for rule, rate in rates.items()})
