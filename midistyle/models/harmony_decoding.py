"""From the harmonizer's per-step pitch distributions to notes of alto, tenor and bass.

The network says, for every step, voice and pitch, how likely that pitch sounds (``sustain``, a
distribution over pitch) and how likely a note starts there (``onset``). Decoding applies the rules
the network is not trusted with — every decoder here guarantees them:

* each voice sounds exactly while the melody sounds, one pitch at a time (monophonic);
* each voice stays inside its SATB range and never above the voice written over it; where the
  melody dips under a voice's range, the voice goes under its range (by up to
  ``BELOW_RANGE_SEMITONES``) rather than over the melody.

Three decoders:

* ``greedy`` — voice by voice, the most likely allowed pitch, held until the model puts an onset;
* ``sample`` — the same, but each pitch is drawn from the network's own distribution over the
  allowed pitches (at the given temperature, 1 by default) — the network's variety, no rules added;
* ``joint`` (default) — the same rhythm decisions, but the voices that start a note at a step are
  chosen *together* among each voice's 6 most likely pitches, scoring the sum of their log
  probabilities plus a bonus when the sounding pitch classes form a chord, and penalties for
  parallel fifths/octaves (against the previous step and the previous beat; after a rest of the
  melody, where the voices rest with it, against the chord before the rest, which the critic reads
  as the one before, unless a written voice starts a note in the rest), for spacing wider
  than an octave, for dissonances against the bass (more when a dissonant voice leaves by leap),
  for a new note a semitone or major seventh from any other voice when not reached by step, for
  cross-relations, and for melodic leaps (a little per semitone, a lot past an octave, some for a
  sixth in the bass, ``BASS_SIXTH_LEAP_PENALTY``, and for an augmented leap in the bass,
  ``BASS_AUGMENTED_LEAP_PENALTY``); a bonus for a bass moving by step into a
  chord it is consonant with (``BASS_STEP_BONUS``; one for an alto or tenor moving by step,
  ``INNER_STEP_BONUS``, dissonance allowed), both only for a voice that wants a new note (its held pitch no
  longer fits, or the network puts an onset on it or prefers another pitch), never into parallel
  or hidden fifths/octaves nor into a doubled leading tone, and not on a cadence's
  dominant beat or its end, where the cadence's
  bonuses choose (the alto's and tenor's not on the beat before either, nor a semitone from an
  alto, tenor or bass the user wrote); a cost on a voice striking its held pitch again
  (``REPEATED_NOTE_PENALTY``) is built but off.
  New notes start on the eighth-note grid (or with a melody note).
  At phrase ends (``phrase_ends``: the melody's fermatas and its last note) it plans the cadence:
  on the beat before, a dominant (a major triad or dominant seventh, in root position) whose
  resolution a fifth below holds the phrase's last melody note earns a bonus (every voice chooses
  on that beat, and again at the melody's last onset before the end if it falls after the beat,
  steps into the end and belongs to such a dominant: a B4 on the beat and an eighth A4 leading to
  G want D major under the A4, where in a final cadence in C the A4 passes over the G major
  chord); at the phrase end
  every voice chooses again and a root-position triad reached by a bass move of a fourth, a fifth
  or a step earns one, more when it resolves the dominant before it, and the last phrase end
  wants the key's tonic. The first chord wants the key's tonic triad in root position (Bach
  opens most chorales on it). After the last melody onset no voice starts a note: the final chord is held
  (unless a written voice moves under it into a clash, see ``_clashing_with_written``).
  Against voices the user wrote (a given bass; the bars kept around a regenerated span)
  cross-relations count twice, parallels cost what they cost between decoded voices (they counted
  twice when that was 4 nats), and a new note a semitone or major seventh from a written note, not
  reached by step, costs more (``WRITTEN_PAIR_FACTOR``, ``WRITTEN_PARALLEL_FACTOR``,
  ``CLASH_WITH_WRITTEN_PENALTY``). A free stretch's first note is weighed as an interval from the
  written note before it, and its last notes against the written chord after it (parallels at
  ``PARALLEL_PENALTY``, leaps, voices of that chord overlapping them).
  With written voices, or chord symbols (which fix the next chord's tones and often its bass), it
  also looks one chord ahead: a choice after which every chord the decoded voices could take at
  the next onset makes parallels costs those parallels now (``LOOKAHEAD_*``); when that onset is
  a phrase end, a way round the parallels that gives up the cadence's bonuses costs what it gives
  up (the bass's eighth-note E3 between C and a cadence on D under a soprano B4-A4). Under a symbol a
  phrase end's root-position triad is the symbol's chord on its root (a bare A-C over ``F7/A`` is
  no A minor triad).

``greedy`` and ``sample`` add nothing the network did not say beyond the range and no-crossing
rules above; with a generator trained on given voices they are run one voice at a time (see
``fixed`` and ``free`` below and :meth:`midistyle.models.harmonize.Harmonizer.harmonize`).

All return notes in the melody's original key and register. The constants below (weights, the
onset threshold 0.9 and the hold support 0.25) were chosen on the Bach *valid* split's sopranos
(Fréchet distance and note length closest to Bach's there), never on the test split.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from midistyle.models.harmonizer_data import HARMONY_VOICES, LOWEST_PITCH, Placement
from midistyle.music.chord_symbols import symbol_spans
from midistyle.music.keys import is_augmented, is_augmented_or_diminished, letters_in_key
from midistyle.music.metrics import DISSONANT_INTERVAL_CLASSES, chord_name
from midistyle.music.motion import REST, cross_relations, hidden_perfects, leap_rule, perfect_motion
from midistyle.music.score import SATB_RANGES, Key, Note

CANDIDATES_PER_VOICE = 6
CANDIDATES_AT_CADENCE = 10  # more voicings weighed at a phrase end and on the beat before it
CHORD_BONUS = 1.0  # in nats: a chord is worth making a pitch e times less likely
PARALLEL_PENALTY = 8.0  # per pair moving into a 5th/8ve from one, parallel or contrary (was 4: harmonizer_dev)
SPACING_PENALTY = 1.0
DISSONANCE_PENALTY = 1.0  # per upper voice a 2nd, tritone or 7th from the bass
UNRESOLVED_PENALTY = 3.0  # a dissonant voice leaving by leap
LEAP_PENALTY_PER_SEMITONE = 0.1
OVER_OCTAVE_PENALTY = 4.0
BELOW_RANGE_SEMITONES = 12  # how far under its range (or the voice above) a voice may go where a melody dips
HOLD_SUPPORT = 0.25  # a held pitch is given up when under this share of the best pitch's probability
HIDDEN_PENALTY = 3.0  # outer voices into a 5th or 8ve in similar motion, the soprano leaping (harmonizer_dev)
CROSS_RELATION_PENALTY = 4.0  # per pair sounding one letter with two accidentals
# Against voices the user wrote (a given bass, the bars kept around a regenerated span) the network's
# wishes outweigh the rules more often than against the melody (Bach's bass given on the valid split:
# parallel octaves 2.5x Bach's rate, clashes 2.6x, cross-relations 8x). There:
WRITTEN_PAIR_FACTOR = 2.0  # cross-relations between a decoded and a written voice count twice
WRITTEN_PARALLEL_FACTOR = 1.0  # parallels with a written voice: 8 nats, as they were (4, counted twice)
CLASH_WITH_WRITTEN_PENALTY = 4.0  # per decoded note a semitone or major 7th from a written voice, not reached by step
# a leap of a minor or major seventh: Bach takes them, nearly all in the bass (harmonizer_dev: 3, 4.5, 6 nats
# gave the valid sopranos 0.33, 0.14, 0.05 per 100 beats against Bach's 0.67, a parallel octave from 4.5 on, and
# the two-sample test 0.91 at each; its latest run, with the bass ties, 0.93, 0.93, 0.94)
SEVENTH_LEAP_PENALTY = 3.0
# a leap of a minor or major sixth in the bass. harmonizer_dev, with the bass ties, the sixth cost at 0 in every
# row but its own, 0, 1, 2, 4 nats: the valid sopranos' bass sixths 0.037, 0.022, 0.010, 0.004 of its moves
# (Bach 0.010), the two-sample test 0.93, 0.93, 0.91, 0.90, clashes 0.71 -> 0.76 from 1 nat; the Essen
# development tunes' sixths 0.036 -> 0.004 at 2 nats, with sevenths 0.75 -> 1.00 and clashes 1.50 -> 1.62 per
# 100 beats. Charged where a decoded bass moves on from its own note, not into or out of a written stretch
BASS_SIXTH_LEAP_PENALTY = 2.0
# a decoded bass that moves on by a semitone or a whole tone into a chord where no upper voice is a 2nd,
# tritone or 7th from it (so a bass passing into V6/5 or V4/2 earns nothing). Bach's bass steps in 0.64 of its
# moves on the valid split, the decoder's in 0.41. Rewarding every step (a harmonizer_dev run at commit
# 1df868b, JSON not committed; 0, 0.5, 1, 2 nats): the two-sample test 0.91, 0.84, 0.84, 0.80, but clashes
# 0.76, 1.05, 1.24, 2.28 per 100 beats (Bach 1.00) and a hidden fifth or octave again in two folk test tunes:
# the bass stepped into dissonances. Rewarding only consonant steps, and (as INNER_STEP_BONUS) none
# into parallel or hidden fifths/octaves, nor for a voice that would rather hold (``_wants_new_note``), nor
# on a cadence's dominant beat or its end: harmonizer_dev's rows "bass step bonus" and "inner step bonus"
# (benchmarks/results/harmonizer_dev.json). Nor into a doubled leading tone: under Bach's valid lead sheets
# the bass stepped onto the leading tone the soprano held (doubled leading tones 0.05 -> 0.19 per 100 beats
# with the reward, 0.10 with it withheld from any chord that doubles the leading tone, Bach 0.10;
# benchmarks leadsheet)
BASS_STEP_BONUS = 1.0
# an alto or tenor that moves on by a semitone or a whole tone: the bass's conditions but dissonance
# allowed (an inner voice's passing note), except a semitone, major 7th or minor 9th from an alto, tenor
# or bass the user wrote (which cannot move to resolve it: under Bach's bass given, valid[21] bar 10's
# tenor stepped to A3 over his Bb2), and also not on the beat before a cadence's dominant (folk_02's
# tenor stepped A3-B3 there, the bass followed G3-F3 into V4/2 of IV, and the tune ended with no
# cadence). Bach's alto, tenor and bass move by a semitone in 0.27 of their moves on the valid split, the
# decoder's without this bonus, after figuration, in 0.20 (harmonizer_dev's column "lower voices moving by
# a semitone"). Paid into any chord, 0.5 nat doubled the leading tone on the valid sopranos (0.05 -> 0.19
# per 100 beats, Bach 0.10; benchmarks leadsheet, column "lead sheets, ignored", at commit 2cc7a4e) and
# 1 nat raised the valid sopranos' seventh leaps 0.33 -> 0.43 (the committed JSON of
# commit 2e69316). As shipped, harmonizer_dev's "inner step bonus" rows (0, 0.5, 1, 1.5 nats): the valid
# sopranos' semitone moves 0.203, 0.209, 0.215, 0.223 (Bach 0.267), the two-sample test 0.85, 0.85, 0.81,
# 0.79, clashes 0.76, 1.00, 0.95, 1.00 (Bach 1.00), sevenths 0.33, 0.33, 0.33, 0.43 per 100 beats, no rule
# above Bach at any; the Essen development tunes' hidden fifths/octaves 0.62, 0.50, 0.50, 0.44 and
# augmented/diminished intervals 1.87, 1.62, 1.56, 1.69. 1.5 nats is a piece from 1 on the two-sample test
# and writes more sevenths, the rule nearest its bound on the test sopranos
INNER_STEP_BONUS = 1.0
# per new note a semitone or major 7th from the melody or another decoded voice, not reached by step (the
# dissonance penalty sees only the bass); on valid 0, 1, 2, 4 gave 25, 19, 19, 16 clashes and nothing else worse
INNER_CLASH_PENALTY = 4.0
# a decoded voice striking again the pitch it holds (where the network puts an onset on it; holding it costs
# nothing). After the figuration the lower voices of the valid sopranos' harmonizations repeat a pitch in
# 0.21 of their moves (0.35 as decoded), Bach's in 0.12. harmonizer_dev (its latest run, with the bass ties),
# 0, 1, 2, 4 nats: repeats 0.21, 0.17, 0.12, 0.05, clashes 0.71, 0.90, 1.28, 2.04 per 100 beats (Bach 1.0),
# the two-sample test 0.93, 0.90, 0.93, 0.98 (the run before: 0.91, 0.93, 0.91, 0.98). Off: the voices kept
# from repeating move into clashes, and the test does not improve beyond a piece or two.
REPEATED_NOTE_PENALTY = 0.0
DOUBLED_LEADING_TONE_PENALTY = 2.0  # the third of the major chord on the dominant, doubled
CADENCE_TRIAD_BONUS = 4.0  # a root-position triad at a phrase end
CADENTIAL_BASS_BONUS = 2.0  # ... reached by a bass move of a fourth, a fifth or a step
AUTHENTIC_BONUS = 6.0  # ... resolving the dominant before it
DOMINANT_BONUS = 5.0  # on the beat before a phrase end: a root-position dominant of a triad holding its melody note
# the last phrase end on the key's tonic: where the melody holds the tonic through the beat before the end,
# no dominant fits and the network may want another chord (Binnorie ended on E-flat major in G minor). On
# the Essen development tunes 4, 8, 16 nats left 0.25, 0.19, 0.12 endings off the tonic per 100 beats, on the
# valid sopranos 0.19, 0.19, 0.14 (Bach 0.33 in the same keys), the two-sample test 0.91 at each (harmonizer_dev;
# its latest run, with the bass ties, 0.93 at each)
FINAL_TONIC_BONUS = 16.0
# the first chord a root-position tonic triad, as Bach opens most chorales (valid sopranos, in the run where
# it was chosen: 0.59 of the harmonizations opened so with no bonus, 0.65 with 1, 0.74 with 2 or 4; Bach's own
# settings 0.74 in his files' keys, 0.71 in the keys the harmonizer read then; python -m benchmarks
# harmonizer_dev, whose latest run reads 0.50, 0.65, 0.74, 0.76, and Bach 0.74 and 0.82)
OPENING_TONIC_BONUS = 2.0
ROOT_POSITION_BONUS = 1.0  # under a chord symbol without a slash bass: its root in the bass
COMPLETE_CHORD_BONUS = 1.0  # under a chord symbol: its root and its third (or 4th/2nd of a sus chord) sound
# a decoded bass leaping an augmented interval (a rising C-F#, not a falling F-B; no chord symbol: under one
# AWKWARD_INTERVAL_PENALTY applies). harmonizer_dev, 0, 1, 2, 4 nats: the valid sopranos' bass leaps one in
# 0.008, 0.003, 0.002, 0 of its moves (Bach 0.002), augmented/diminished intervals 1.95, 1.43, 1.33, 1.19 per
# 100 beats (Bach 2.33), the two-sample test 0.87, 0.87, 0.85, 0.85
BASS_AUGMENTED_LEAP_PENALTY = 2.0
AWKWARD_INTERVAL_PENALTY = 2.0  # under a chord symbol: a voice moving by an augmented or diminished interval
NETWORK_WEIGHT_UNDER_CHORD = 0.25  # under a chord symbol the network's log probabilities count a quarter: it
# did not choose that chord, so its preferences among the chord's tones matter less than the rules (valid split)
SPELL_IN_KEY = True  # cross-relations spelled in the result's key, as the critic spells them (else C major / A minor)
SEAM_STEPS = 4  # a free stretch that ends within this many steps looks at the written chord after it
SEAM_OVERLAP_PENALTY = 2.0  # ... and at voices of that chord overlapping the notes before them
# With voices the user wrote (a given bass, the bars around a regenerated span) the joint decoder looks one
# chord ahead: a choice after which every next chord has parallels (a written voice cannot move out of
# their way) costs those parallels now. Of the two parallel octaves with Bach's bass given on the test split,
# one (bwv177.5) came one step after such a choice; the other was the decoder's preference, not a dead end.
# Scoring the whole next chord instead (its likelihood and every rule) was tried on valid and not kept:
# clashes rose from 1.14 to 1.62 per 100 beats.
# With chord symbols, on Bach's test lead sheets, one of the three parallel octaves left came after such a
# choice (bwv354 bar 12: the E-flat minor chord's third in the bass, before a D-flat/F).
LOOKAHEAD_WHEN_STEERED = True  # the default of decode_harmony(lookahead=None), with written voices or chord symbols
LOOKAHEAD_CHOICES = 8  # the best candidates at a step that are read ahead (the others keep their score)
LOOKAHEAD_STEPS = 8  # the next chord: the next melody or written onset, or chord symbol, within a half note
LOOKAHEAD_DEAD_END_PENALTY = 20.0  # a candidate after which no next chord keeps the voices in order


@dataclass(frozen=True)
class ChordPlan:
    """Chord symbols as the decoder follows them, in the model's pitch rows.

    Attributes
    ----------
    tones : np.ndarray, shape=(T, 12), bool
        The pitch classes (of model rows) allowed at each step; a row of False = no symbol there.
    bass : np.ndarray, shape=(T,), int
        The bass's pitch class where a slash symbol fixes it, else -1.
    root : np.ndarray, shape=(T,), int
        The symbol's root, -1 where there is none.
    starts : frozenset of int
        Steps where a symbol begins: every voice chooses again there.
    """

    tones: np.ndarray
    bass: np.ndarray
    root: np.ndarray
    starts: frozenset

    @classmethod
    def from_symbols(cls, symbols, placement: Placement, num_steps: int) -> ChordPlan:
        """Symbols (:class:`midistyle.music.chord_symbols.ChordSymbol`, in the melody's key) -> a plan."""
        shift = placement.total_shift - LOWEST_PITCH
        tones, bass, root = np.zeros((num_steps, 12), bool), np.full(num_steps, -1), np.full(num_steps, -1)
        starts = set()
        for symbol, start, end in symbol_spans(tuple(symbols), num_steps):
            tones[start:end, [(pc + shift) % 12 for pc in symbol.pitch_classes]] = True
            root[start:end] = (symbol.root + shift) % 12
            if symbol.slash:
                bass[start:end] = (symbol.bass + shift) % 12
            starts.add(start)
        return cls(tones, bass, root, frozenset(starts))


def decode_harmony(
    sustain: np.ndarray,
    onset: np.ndarray,
    condition: np.ndarray,
    placement: Placement,
    *,
    method: str = "joint",
    temperature: float = 0.0,
    rng: np.random.Generator | None = None,
    onset_threshold: float = 0.9,
    fixed: dict[int, list[Note]] | None = None,
    free: tuple[int, ...] = (0, 1, 2),
    given_steps: np.ndarray | None = None,
    model_space: bool = False,
    phrase_ends: tuple[int, ...] = (),
    chords: ChordPlan | None = None,
    spelling_key: Key | None = None,
    lookahead: bool | None = None,
) -> list[list[Note]]:
    """Notes of alto, tenor and bass.

    Parameters
    ----------
    sustain : np.ndarray, shape=(T, P, 3)
        Per voice, a distribution over pitch rows at each step (need not be normalized).
    onset : np.ndarray, shape=(T, P, 3)
        Per voice and pitch, the probability that a note starts there (given that it sounds).
    condition : np.ndarray, shape=(T, P, CONDITION_CHANNELS)
        The melody planes the model was given.
    placement : Placement
    method : {"joint", "greedy", "sample"}, keyword-only
    temperature : float, keyword-only
        0 takes the best choice; > 0 samples with probabilities ``exp(score / temperature)``.
    fixed : dict of voice index -> notes, keyword-only
        Voices already written (in the model's pitch rows): they are kept as they are, and a voice
        decoded above one of them stays above it.
    free : tuple of int, keyword-only
        The voices to decode (0 alto, 1 tenor, 2 bass); voices neither free nor fixed are left empty
        and constrain nothing.
    given_steps : np.ndarray, shape=(T, 3), bool, keyword-only
        Where each voice is taken from ``fixed`` (default: everywhere for the voices in ``fixed``).
        A voice both in ``fixed`` and ``free`` is kept where this is True and decoded elsewhere:
        that is how a span is regenerated. A free stretch that ends where the written notes resume
        is decoded looking at the chord it leads into (parallels and leaps into it cost the same as
        within the stretch).
    model_space : bool, keyword-only
        Return notes in the model's pitch rows instead of the melody's key and register.
    phrase_ends : tuple of int, keyword-only
        Steps of the melody notes that end phrases (fermatas); the joint decoder plans a cadence at
        each and at the melody's last note, and holds its final chord.
    chords : ChordPlan or None, keyword-only
        Chord symbols to follow: under a symbol every decoded voice takes a tone of its chord (the
        bass the slash bass when there is one), and every voice chooses again where a symbol
        begins. Where no voicing of chord tones fits the ranges, the network's pitches are used.
    spelling_key : Key or None, keyword-only
        The key the result is written in, which the harmony critic spells its notes in (for the
        cross-relation check); default ``placement.key``.
    lookahead : bool or None, keyword-only
        The joint decoder takes from its best candidates at a step the parallels that every chord
        it could choose at the next onset would make (``LOOKAHEAD_*``); None (default):
        ``LOOKAHEAD_WHEN_STEERED`` where some voice is written (``given_steps``) or chord symbols
        are followed (``chords``), and the decoder does not sample (temperature 0).
    """
    if method not in ("joint", "greedy", "sample"):
        raise ValueError(f"method={method!r} must be 'joint', 'greedy' or 'sample'")
    rng = rng or np.random.default_rng(0)
    melody = np.where(condition[:, :, 1].any(axis=1), condition[:, :, 1].argmax(axis=1), -1)
    melody_onsets = condition[:, :, 0].any(axis=1)
    beats = condition[:, 0, 2] > 0
    ranges = [
        (max(low + placement.total_shift - LOWEST_PITCH, 0), min(high + placement.total_shift - LOWEST_PITCH,
                                                                  sustain.shape[1] - 1))
        for low, high in SATB_RANGES[1 : 1 + HARMONY_VOICES]
    ]
    log_p = np.log(np.maximum(sustain, 1e-9))
    fixed_rows = np.full((len(sustain), HARMONY_VOICES), -1)
    fixed_onsets = np.zeros((len(sustain), HARMONY_VOICES), bool)
    for v, notes in (fixed or {}).items():
        for n in notes:
            fixed_rows[n.onset_step : n.end_step, v] = n.pitch
            fixed_onsets[n.onset_step, v] = True
    if given_steps is None:
        given_steps = np.zeros((len(sustain), HARMONY_VOICES), bool)
        given_steps[:, list(fixed or {})] = True
    state = _Decoder(log_p, onset, melody, melody_onsets, beats, ranges, temperature, rng, onset_threshold, method,
                     fixed_rows, fixed_onsets, np.asarray(given_steps, bool), tuple(free), placement.minor, chords)
    state.tonic_row_class = ((9 if placement.minor else 0) - LOWEST_PITCH) % 12  # A or C in the model's rows
    if SPELL_IN_KEY:
        state.spell_as(spelling_key or placement.key, placement)
    if lookahead is None:  # sampling, as reharmonize does, it changed no regenerated span and took 2.8x the time
        lookahead = LOOKAHEAD_WHEN_STEERED and temperature <= 0 and (
            bool(np.asarray(given_steps, bool).any()) or chords is not None)
    state.lookahead = method == "joint" and lookahead
    if method == "joint":
        state.plan_cadences(phrase_ends)
    rows = state.run()
    return rows if model_space else to_melody_space(rows, placement)


def to_melody_space(voices: list[list[Note]], placement: Placement) -> list[list[Note]]:
    """Notes in the model's pitch rows -> notes in the melody's key and register."""
    return [[dataclasses.replace(n, pitch=n.pitch + LOWEST_PITCH - placement.total_shift) for n in v] for v in voices]


class _Decoder:
    """Step-by-step decoding state: the pitch row each voice holds and where its note began."""

    def __init__(self, log_p, onset, melody, melody_onsets, beats, ranges, temperature, rng, threshold, method,
                 fixed_rows, fixed_onsets, given, free, minor=False, chords=None):
        self.log_p, self.onset, self.melody, self.melody_onsets = log_p, onset, melody, melody_onsets
        self.beats = beats
        self.last_beat = np.full(1 + HARMONY_VOICES, -1)  # soprano..bass sounding at the latest beat
        self.ranges, self.temperature, self.rng, self.threshold, self.method = (
            ranges, temperature, rng, threshold, method)
        self.current = [-1] * HARMONY_VOICES
        self.starts = [0] * HARMONY_VOICES
        self.notes: list[list[Note]] = [[] for _ in range(HARMONY_VOICES)]
        self.given: np.ndarray = given  # (T, 3): where a voice is written already (rows in fixed_rows)
        self.free: tuple[int, ...] = free  # voices decoded now (where not given)
        self.fixed_rows, self.fixed_onsets = fixed_rows, fixed_onsets  # (T, 3): row (-1 silent), note starts
        self.chords: ChordPlan | None = chords
        self.resume = _resume_steps(given, free)  # (T,): where a free stretch meets written notes again, or -1
        self.cadences: dict[int, bool] = {}  # phrase-end step -> whether it is the last
        self.dominants: dict[int, int] = {}  # step on the beat before a phrase end -> that phrase end
        self.dominant_beats: set[int] = set()  # the first of those steps, and the melody's last onset among them
        # when it steps into the end and a dominant holds it: every voice chooses again there
        self.pre_dominant_steps: set[int] = set()  # steps of the beat before a dominant's beat
        self.tonic_row_class = -1  # pitch class of the key's tonic in model rows
        self.letters = letters_in_key(0, "minor" if minor else "major")  # the model's C major / A minor
        self.row_to_pitch = LOWEST_PITCH  # what a row is spelled as (see spell_as)
        self.minor = minor
        self.last_onset = len(log_p)
        self.first_onset = -1  # the melody's first onset, where the opening chord is chosen (see plan_cadences)
        self.previous = np.full(1 + HARMONY_VOICES, -1)  # soprano..bass sounding just before the current step
        # (after a rest of the melody: before the rest)
        self.before_rest: np.ndarray | None = None  # soprano..bass sounding before the latest rest of the melody
        self.written_before = [-1] * HARMONY_VOICES  # the written note a free stretch follows, until its first choice
        self.lookahead = False  # the joint decoder looks one chord ahead (see decode_harmony)

    def spell_as(self, key: Key, placement: Placement) -> None:
        """Spell pitches for the cross-relation check in the result's key and register, as the
        harmony critic will: it spells each degree as Bach does but avoids double sharps and flats
        outside the scale, so in keys far from C (C# minor writes G where A minor writes D#) its
        letters are not the model's C major / A minor ones moved."""
        self.letters = letters_in_key(key.sharps, key.mode)
        self.row_to_pitch = LOWEST_PITCH - placement.total_shift

    def plan_cadences(self, phrase_ends: tuple[int, ...]) -> None:
        """Mark the phrase ends (the melody's fermatas and last onset) and the beat before each, and
        the melody's first onset, where the opening chord is chosen."""
        onsets = np.nonzero(self.melody_onsets)[0]
        if not len(onsets):
            return
        self.last_onset = int(onsets[-1])
        self.first_onset = int(onsets[0])
        ends = sorted({int(t) for t in phrase_ends if 0 <= t < len(self.log_p) and self.melody_onsets[t]}
                      | {self.last_onset})
        beat_starts = np.nonzero(self.beats)[0]
        for end in ends:
            self.cadences[end] = end == self.last_onset
            before = beat_starts[beat_starts < end]
            if len(before) and self.melody[int(before[-1])] >= 0:
                beat = int(before[-1])
                self.dominant_beats.add(beat)
                last = int(onsets[onsets < end][-1])
                steps_in = 1 <= abs(int(self.melody[end]) - int(self.melody[last])) <= 2
                if last > beat and steps_in and self._in_a_dominant(int(self.melody[last]), end):
                    self.dominant_beats.add(last)  # an off-beat note steps into the end (B4 A4 | G): choose there too
                for t in range(beat, end):
                    self.dominants.setdefault(t, end)
                if len(before) >= 2:
                    self.pre_dominant_steps.update(range(int(before[-2]), beat))

    def _resolving(self, roots: np.ndarray, end: int) -> np.ndarray:
        """Whether a dominant on each root (a pitch class, -1 for none) is one the cadence at ``end``
        may resolve: its resolution a fifth below holds the phrase's last melody note, and is the
        key's tonic at the last phrase end, shape like ``roots``, bool."""
        goal = int(self.melody[end]) % 12
        resolves = (roots >= 0) & np.isin((goal - roots - 5) % 12, (0, 3, 4, 7))  # goal in the triad a 5th below
        if self.cadences[end]:
            resolves &= (roots + 5) % 12 == self.tonic_row_class
        return resolves

    def _in_a_dominant(self, row: int, end: int) -> bool:
        """Whether a melody note (a pitch row) belongs to a dominant (major triad or dominant seventh)
        that the cadence at ``end`` may resolve (:meth:`_resolving`). In a final cadence in C, a
        passing A4 between the dominant's B4 and the tonic's G4 belongs to none: the chord on the
        beat stays."""
        roots = np.arange(12)
        holds_it = np.isin((row - roots) % 12, (0, 4, 7, 10))
        return bool((self._resolving(roots, end) & holds_it).any())

    def run(self) -> list[list[Note]]:
        for t in range(len(self.log_p)):
            if self.melody[t] < 0:
                if t and self.melody[t - 1] >= 0:
                    self.before_rest = np.array([self.melody[t - 1], *self.current])
                if (self.fixed_onsets[t] & self.given[t]).any():
                    self.before_rest = None  # a written voice moves in the rest: the next chord follows that
                for v in range(HARMONY_VOICES):
                    self._end(v, t)
                continue
            if t and self.beats[t - 1]:
                self.last_beat = np.array([self.melody[t - 1], *self.current])
            decoded = [v for v in self.free if not self.given[t, v]]
            self.previous = np.array([self.melody[t - 1] if t else -1, *self.current])  # before written voices move
            if t and self.melody[t - 1] < 0 and self.before_rest is not None:
                self.previous = self.before_rest  # either side of a rest: consecutive chords, as the critic reads them
            for v in range(HARMONY_VOICES):  # written voices first: the free ones are placed against them
                if not self.given[t, v]:
                    if t and self.given[t - 1, v]:
                        self.written_before[v] = self.current[v]  # its first note moves on from this one
                        self._end(v, t)  # a free stretch begins: the written note before it ends here
                    continue
                row = int(self.fixed_rows[t, v])
                if row != self.current[v] or self.fixed_onsets[t, v]:
                    self._end(v, t)
                    self.current[v], self.starts[v] = row, t
            starters = self._starters(t, decoded)
            if starters:
                chosen = self._choose_joint(t, starters) if self.method == "joint" else self._choose_greedy(t, starters)
                for v, row in zip(starters, chosen):
                    self.written_before[v] = -1
                    if row != self.current[v] or self.onset[t, row, v] >= self.threshold:
                        self._end(v, t)
                        self.current[v], self.starts[v] = row, t
        for v in range(HARMONY_VOICES):
            self._end(v, len(self.log_p))
        return self.notes

    def _starters(self, t: int, decoded: list[int]) -> list[int]:
        """The decoded voices that choose a pitch at step t (the others hold theirs)."""
        chord_start = self.chords is not None and t in self.chords.starts
        dipping = self.melody_onsets[t] and any(self.melody[t] < self.ranges[v][0] for v in decoded)
        if t in self.cadences or t in self.dominant_beats or chord_start or dipping:
            # every voice chooses the cadence chord and the one before, at a chord symbol, and where
            # the melody dips under a voice's range (a held note under the voice above may leave no room)
            return decoded
        if t > self.last_onset:
            starters = [v for v in decoded if self.current[v] < 0]  # the final chord is held ...
        else:
            starters = [v for v in decoded if self._wants_new_note(v, t)]
        if self.method == "joint":  # ... unless a written voice moving under it clashes with it
            starters = sorted(set(starters) | self._clashing_with_written(t, decoded))
        return starters

    def _end(self, v: int, t: int) -> None:
        if self.current[v] >= 0 and t > self.starts[v]:
            self.notes[v].append(Note(self.starts[v], self.current[v], t - self.starts[v]))
        self.current[v] = -1

    def _bounds(self, v: int, t: int, pitches: list[int]) -> tuple[int, int]:
        """(lowest, highest) allowed row for voice v: its range, under the nearest sounding voice above
        it (among the melody, the free and the fixed voices), over the nearest fixed voice below it.
        Where the voice above lies under the range, up to ``BELOW_RANGE_SEMITONES`` under that voice
        (over the fixed voice below, if it leaves room, else crossing only it)."""
        low, high = self.ranges[v]
        above = next((pitches[u] for u in range(v - 1, -1, -1) if pitches[u] >= 0 and
                      (u in self.free or self.given[t, u])), self.melody[t])
        below = next((pitches[u] for u in range(v + 1, HARMONY_VOICES) if pitches[u] >= 0 and self.given[t, u]), -1)
        high = min(high, above) if above >= 0 else high
        low = max(low, below)
        if low <= high:
            return low, high
        if below < 0 or below <= high:  # the voice above lies under the range: go under it rather than cross
            return max(below, high - BELOW_RANGE_SEMITONES, 0), high
        return max(high - BELOW_RANGE_SEMITONES, 0), high  # last resort: cross the fixed voice, not the one above

    def _clashing_with_written(self, t: int, decoded: list[int]) -> set[int]:
        """Decoded voices holding a note that a written voice's new note makes a 2nd, tritone or 7th:
        they choose again (holding is one of their choices when the held pitch is among the network's
        likeliest for the step, see ``_candidates``)."""
        arriving = [int(self.fixed_rows[t, u]) for u in range(HARMONY_VOICES)
                    if self.given[t, u] and self.fixed_onsets[t, u] and self.fixed_rows[t, u] >= 0]
        return {v for v in decoded if self.current[v] >= 0 and any(
            (self.current[v] - row) % 12 in DISSONANT_INTERVAL_CLASSES for row in arriving)}

    def _wants_new_note(self, v: int, t: int) -> bool:
        held = self.current[v]
        low, high = self._bounds(v, t, self.current)
        if held < 0 or not low <= held <= high or not self._fits_chord(v, t, np.array([held]))[0]:
            return True
        on_grid = t % 2 == 0 or self.melody_onsets[t] or self.method != "joint"
        best = low + int(np.argmax(self.log_p[t, low : max(high, low) + 1, v]))
        lost_support = self.log_p[t, held, v] < self.log_p[t, best, v] + np.log(HOLD_SUPPORT)
        return on_grid and (self.onset[t, best, v] >= self.threshold or lost_support)

    def _floor(self, v: int, below_range: bool) -> int | None:
        """The lowest row voice v may take: its range's (None), or ``BELOW_RANGE_SEMITONES`` under it."""
        return max(self.ranges[v][0] - BELOW_RANGE_SEMITONES, 0) if below_range else None

    def _candidates(self, v: int, t: int, ceiling: int, floor: int | None = None) -> np.ndarray:
        low = self.ranges[v][0] if floor is None else floor
        rows = np.arange(low, max(ceiling, low) + 1)
        if self.method == "sample":  # the network's whole distribution over the allowed pitches
            return rows
        fits = self._fits_chord(v, t, rows)
        if fits.any():
            rows = rows[fits]
        order = np.argsort(-self.log_p[t, rows, v], kind="stable")
        count = CANDIDATES_AT_CADENCE if t in self.cadences or t in self.dominants else CANDIDATES_PER_VOICE
        return rows[order[:count]]

    def _fits_chord(self, v: int, t: int, rows: np.ndarray) -> np.ndarray:
        """Whether each row is allowed by the chord symbol at t (all True where there is none), shape=(N,)."""
        if self.chords is None or not self.chords.tones[t].any():
            return np.ones(len(rows), bool)
        if v == HARMONY_VOICES - 1 and self.chords.bass[t] >= 0:
            return rows % 12 == self.chords.bass[t]
        return self.chords.tones[t, rows % 12]

    def _choose_greedy(self, t: int, starters: list[int]) -> list[int]:
        pending = list(self.current)  # pitches as they will be, for the next voice's bounds
        for v in starters:
            low, high = self._bounds(v, t, pending)
            rows = self._candidates(v, t, high, low)
            pending[v] = int(self._pick(rows, self.log_p[t, rows, v]))
        return [pending[v] for v in starters]

    def _choose_joint(self, t: int, starters: list[int]) -> list[int]:
        scored = self._joint_scores(t, starters)
        if scored is None:  # the melody (or a written voice) leaves no room in the ranges: go under them
            scored = self._joint_scores(t, starters, below_ranges=True)
        if scored is None:
            return self._choose_greedy(t, starters)
        combos, score, _, _ = scored
        if self.lookahead:
            combos, score = self._looking_ahead(t, starters, combos, score)
        best = self._pick(np.arange(len(combos)), score)
        return [int(combos[best, v]) for v in starters]

    def _looking_ahead(self, t: int, starters: list[int], combos: np.ndarray, score: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
        """The candidates at step t, the ``LOOKAHEAD_CHOICES`` best of them less the parallels each
        leaves no way around at the next step where the melody or a written voice moves, a chord
        symbol begins or the beat before a phrase end falls (within ``LOOKAHEAD_STEPS``): the
        cheapest parallel cost among the chords the decoded voices could choose there, as
        :meth:`run` would choose them (``LOOKAHEAD_DEAD_END_PENALTY`` when no chord keeps the voices
        in order).

        Only a dead end costs: a candidate with a parallel-free way on keeps its score, so the
        choice changes only where a likely one leads into parallels that written voices leave no
        way around. At temperature 0 the best are read in order and the reading stops once no
        later one can win (its score is already below the best found): the same choice, fewer next
        chords scored. Sampling (temperature > 0), each of the best is read.

        Returns
        -------
        (np.ndarray, np.ndarray)
            ``combos`` unchanged, shape=(N, 3), and the scores with those costs, shape=(N,).
        """
        following = next((u for u in range(t + 1, min(t + 1 + LOOKAHEAD_STEPS, len(self.log_p)))
                          if self.melody[u] >= 0
                          and (self.melody_onsets[u] or (self.fixed_onsets[u] & self.given[u]).any()
                               or u in self.dominant_beats  # where every voice chooses, as at a symbol
                               or (self.chords is not None and u in self.chords.starts))), None)
        if following is None or self.melody[following - 1] < 0:
            return combos, score
        decoded = [v for v in self.free if not self.given[following, v]]
        if not decoded:
            return combos, score
        score = score.copy()
        best_so_far = -np.inf
        for index in np.argsort(-score, kind="stable")[:LOOKAHEAD_CHOICES]:
            if self.temperature <= 0 and score[index] <= best_so_far:  # read best first: none later can win
                break
            score[index] -= self._dead_end_cost(t, following, combos[index], decoded)
            best_so_far = max(best_so_far, score[index])
        return combos, score

    def _dead_end_cost(self, t: int, following: int, combo: np.ndarray, decoded: list[int]) -> float:
        """The cheapest parallel cost at step ``following`` after the decoded voices take ``combo``
        (alto, tenor, bass rows) at step t and hold it until then, with the decoder's state as
        :meth:`run` will have it there; the state is left as it was. At a phrase end each next chord
        also costs the cadence bonus it has below the best one's (a way round the parallels that is
        no cadence is no way round)."""
        saved = (self.current, self.previous, self.last_beat, self.written_before)
        before = [int(row) for row in combo]  # what sounds just before the next step ...
        for v in range(HARMONY_VOICES):
            if self.given[following - 1, v]:  # ... written voices as written there
                before[v] = int(self.fixed_rows[following - 1, v])
        self.previous = np.array([self.melody[following - 1], *before])
        passed = [u for u in range(t, following) if self.beats[u]]
        if passed:  # a beat passed: the chord sounding on it is this one, written voices as written there
            self.last_beat = np.array([self.melody[passed[-1]], *(
                int(self.fixed_rows[passed[-1], v]) if self.given[passed[-1], v] else int(combo[v])
                for v in range(HARMONY_VOICES))])
        self.current, self.written_before = [], [-1] * HARMONY_VOICES
        for v in range(HARMONY_VOICES):
            if self.given[following, v]:
                self.current.append(int(self.fixed_rows[following, v]))
            elif self.given[following - 1, v]:  # a free stretch starts: its first note follows the written one
                self.current.append(-1)
                self.written_before[v] = before[v]
            else:
                self.current.append(before[v])
        try:
            starters = self._starters(following, decoded)
            ahead = self._joint_scores(following, starters)
            if ahead is None:  # as _choose_joint: under the ranges before it is a dead end
                ahead = self._joint_scores(following, starters, below_ranges=True)
        finally:
            self.current, self.previous, self.last_beat, self.written_before = saved
        if ahead is None:
            return LOOKAHEAD_DEAD_END_PENALTY
        _, _, parallels, cadence = ahead
        if following in self.cadences:  # a phrase end: avoiding the parallels may cost the cadence
            return float((parallels + cadence.max() - cadence).min())
        return float(parallels.min())

    def _joint_scores(self, t: int, starters: list[int], below_ranges: bool = False
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """Every allowed candidate tuple at step t, its score, the part of that score that is
        parallels (a cost, >= 0) and the part that is the cadence's bonuses (>= 0), shape=(N, 3),
        (N,), (N,) and (N,); None when no tuple keeps the voices in order. With ``below_ranges``
        the starting voices may also take pitches up to ``BELOW_RANGE_SEMITONES`` under their
        ranges (a melody that dips under the alto's range)."""
        # Candidate tuples over the starting voices; held voices keep their pitch.
        options = [
            self._candidates(v, t, self.ranges[v][1], self._floor(v, below_ranges)) if v in starters
            else np.array([self.current[v]])
            for v in range(HARMONY_VOICES)
        ]
        combos = np.array(list(itertools.product(*options)))  # (N, 3) rows of alto, tenor, bass
        pitches = np.column_stack([np.full(len(combos), self.melody[t]), combos])  # (N, 4) with soprano
        ordered = _ordered(pitches)  # no crossing: S >= A >= T >= B among the voices that sound
        if not ordered.any():
            return None
        combos, pitches = combos[ordered], pitches[ordered]
        under_chord = self.chords is not None and self.chords.root[t] >= 0
        weight = NETWORK_WEIGHT_UNDER_CHORD if under_chord else 1.0
        score = weight * sum(self.log_p[t, combos[:, v], v] for v in starters)
        score = score + CHORD_BONUS * _is_chord(pitches)
        sounding = pitches >= 0  # (N, 4): a written voice may rest where the others sound
        score = score - SPACING_PENALTY * ((pitches[:, 0] - pitches[:, 1] > 12) & sounding[:, 1]).astype(float) \
            - SPACING_PENALTY * ((pitches[:, 1] - pitches[:, 2] > 12) & sounding[:, 1] & sounding[:, 2])
        previous = self.previous
        parallel_weight = self._pair_weights(t, PARALLEL_PENALTY, WRITTEN_PARALLEL_FACTOR)  # (4, 4)
        parallel_cost = np.zeros(len(combos))
        for before in (previous, self.last_beat):
            if np.all(before >= 0):
                parallel_cost += ((perfect_motion(before, pitches) > 0) * parallel_weight).sum(axis=(1, 2))
        score = score - parallel_cost
        hidden = hidden_perfects(previous, pitches) if np.all(previous >= 0) else np.zeros(len(combos), bool)
        score = score - HIDDEN_PENALTY * hidden
        spelled = np.where(pitches >= 0, pitches + self.row_to_pitch, REST)  # a resting written voice stays a rest
        crossed = cross_relations(spelled, self.letters)
        score = score - (crossed * self._pair_weights(t, CROSS_RELATION_PENALTY)).sum(axis=(1, 2))
        doubled_leading_tone = _doubled_third_of_dominant(pitches, self.tonic_row_class)
        score = score - DOUBLED_LEADING_TONE_PENALTY * doubled_leading_tone
        dissonant = np.isin((pitches[:, :3] - pitches[:, 3:]) % 12, DISSONANT_INTERVAL_CLASSES) \
            & sounding[:, :3] & sounding[:, 3:]  # (N, 3)
        score = score - DISSONANCE_PENALTY * dissonant.sum(axis=1)
        score = score - CLASH_WITH_WRITTEN_PENALTY * self._written_clash_count(t, combos, starters)
        score = score - INNER_CLASH_PENALTY * self._inner_clash_count(t, combos, pitches, starters)
        for v in starters:
            if self.current[v] < 0 and self.written_before[v] >= 0:  # the first note after a written stretch
                score = score - _leap_penalty(self.written_before[v], combos[:, v]) \
                    - AWKWARD_INTERVAL_PENALTY * _awkward(self.written_before[v], combos[:, v], self.minor)
            if self.current[v] >= 0:
                if self.onset[t, self.current[v], v] >= self.threshold:  # the same pitch would be struck again
                    score = score - REPEATED_NOTE_PENALTY * (combos[:, v] == self.current[v])
                leap = np.abs(combos[:, v] - self.current[v])
                score = score - _leap_penalty(self.current[v], combos[:, v])
                if v == HARMONY_VOICES - 1:
                    score = score - BASS_SIXTH_LEAP_PENALTY * np.isin(leap, (8, 9))
                    if not under_chord:  # under a symbol every voice pays AWKWARD_INTERVAL_PENALTY below
                        score = score - BASS_AUGMENTED_LEAP_PENALTY * _augmented(self.current[v], combos[:, v],
                                                                                 self.minor)
                # how a voice moves when it moves: no reward for stepping where it would hold (a cadence's
                # chord, chosen by every voice, keeps its common tones), nor in a cadence's approach or at
                # its end, where the cadence's bonuses choose the bass (folk_02's bass had stepped G-F-Eb
                # under the dominant's beat and the tune ended with no cadence); nor, for an alto or
                # tenor, on the beat before (folk_02's tenor stepped A3-B3 there, the bass followed G3-F3
                # into V4/2 of IV, and the tune ended with no cadence again)
                step_reward_allowed = t not in self.dominants and t not in self.cadences and (
                    v == HARMONY_VOICES - 1 or t not in self.pre_dominant_steps)
                if self._wants_new_note(v, t) and step_reward_allowed:  # and no reward into a fault:
                    step = np.isin(leap, (1, 2)) & ~hidden & (parallel_cost == 0) & ~doubled_leading_tone
                    if v == HARMONY_VOICES - 1:
                        score = score + BASS_STEP_BONUS * (step & ~dissonant.any(axis=1))
                    else:
                        score = score + INNER_STEP_BONUS * (step & ~self._semitone_from_written(t, combos[:, v]))
                was_dissonant = v < 2 and previous[3] >= 0 and (
                    (self.current[v] - previous[3]) % 12 in DISSONANT_INTERVAL_CLASSES)
                if was_dissonant:
                    score = score - UNRESOLVED_PENALTY * (leap > 2)
                if self.chords is not None and self.chords.root[t] >= 0:  # chord tones only: leaps it would not choose
                    score = score - AWKWARD_INTERVAL_PENALTY * _awkward(self.current[v], combos[:, v], self.minor)
        cadence = self._cadence_score(t, pitches)
        score = score + cadence + self._chord_score(t, pitches) + self._seam_score(t, pitches, starters)
        if t == self.first_onset and (self.chords is None or self.chords.root[t] < 0):  # a symbol chooses for itself
            score = score + OPENING_TONIC_BONUS * (_triad_roots(pitches) == self.tonic_row_class)
        return combos, score, parallel_cost, cadence

    def _pair_weights(self, t: int, penalty: float, written_factor: float | None = None) -> np.ndarray:
        """A rule's penalty for each pair of voices (soprano..bass), shape=(4, 4): ``penalty``, times
        ``written_factor`` (default ``WRITTEN_PAIR_FACTOR``, read at each call) where one voice of
        the pair is written by the user and the other decoded."""
        written_factor = WRITTEN_PAIR_FACTOR if written_factor is None else written_factor
        weights = np.full((1 + HARMONY_VOICES, 1 + HARMONY_VOICES), penalty)
        decoded = [1 + v for v in range(HARMONY_VOICES) if not self.given[t, v]]
        written = [1 + u for u in range(HARMONY_VOICES) if self.given[t, u]]
        weights[np.ix_(decoded, written)] *= written_factor
        weights[np.ix_(written, decoded)] *= written_factor
        return weights

    def _written_clash_count(self, t: int, combos: np.ndarray, starters: list[int]) -> np.ndarray:
        """Per candidate, how many (decoded voice, written voice) pairs a decoded voice's choice (a new
        note, or the note it holds) puts a semitone apart, or a major seventh or minor ninth, when that
        note is not reached by step, shape=(N,).

        The harmony critic marks such a clash unless a step explains it; the decoder cannot see the
        step after, so a note reached by step (a passing or neighbour note in the making) goes free.
        A free stretch's first note is reached from the written note before it.
        """
        written = self._written_rows(t)
        count = np.zeros(len(combos))
        for v in starters:
            if not written:
                break
            leapt = ~self._reached_by_step(v, combos[:, v])
            for row in written:
                count += _semitone_apart(combos[:, v], row) & leapt
        return count

    def _written_rows(self, t: int) -> list[int]:
        """The rows that the written (given) alto, tenor and bass sound at step t (a resting one left out)."""
        return [int(self.fixed_rows[t, u]) for u in range(HARMONY_VOICES)
                if self.given[t, u] and self.fixed_rows[t, u] >= 0]

    def _inner_clash_count(self, t: int, combos: np.ndarray, pitches: np.ndarray, starters: list[int]) -> np.ndarray:
        """Per candidate, the pairs of a new decoded note not reached by step and a sounding voice other
        than a given alto, tenor or bass (the melody, another decoded voice; the given ones are
        :meth:`_written_clash_count`'s) a semitone, major seventh or minor ninth apart, shape=(N,)."""
        count = np.zeros(len(combos))
        for v in starters:
            leapt = ~self._reached_by_step(v, combos[:, v])
            for u in range(1 + HARMONY_VOICES):  # soprano, alto, tenor, bass in pitches' columns
                if u == 1 + v or (u >= 1 and self.given[t, u - 1]) or (u >= 1 and u - 1 in starters and u - 1 < v):
                    continue  # itself; a given voice (counted apart); a pair of new notes counted once
                other = pitches[:, u]
                count += leapt & (other >= 0) & _semitone_apart(combos[:, v], other)
        return count

    def _semitone_from_written(self, t: int, rows: np.ndarray) -> np.ndarray:
        """Whether each of ``rows`` lies a semitone, major seventh or minor ninth from a note a written
        alto, tenor or bass sounds at t (one that cannot move to resolve it), shape=(N,), bool."""
        near = np.zeros(len(rows), bool)
        for row in self._written_rows(t):
            near |= _semitone_apart(rows, row)
        return near

    def _reached_by_step(self, v: int, rows: np.ndarray) -> np.ndarray:
        """Whether voice v moving to each of ``rows`` moves by a step (1 or 2 semitones) from the note it
        holds, or from the written note a free stretch follows, shape=(N,), bool."""
        origin = self.current[v] if self.current[v] >= 0 else self.written_before[v]
        move = np.abs(rows - origin)
        return (origin >= 0) & (move >= 1) & (move <= 2)

    def _cadence_score(self, t: int, pitches: np.ndarray) -> np.ndarray:
        """Bonuses that plan a cadence (see the module docstring), shape=(N,); zeros elsewhere."""
        bonus = np.zeros(len(pitches))
        if t in self.cadences:
            roots = _triad_roots(pitches)  # -1 where no root-position triad
            if self.chords is not None and self.chords.root[t] >= 0:  # under a symbol, only its own chord is
                roots = np.where(roots == self.chords.root[t], roots, -1)  # (a bare third over F7/A is no A minor)
            bass_move = (pitches[:, 3] - self.previous[3]) % 12 if self.previous[3] >= 0 else np.full(len(pitches), -1)
            triad = roots >= 0
            bonus += CADENCE_TRIAD_BONUS * triad
            bonus += CADENTIAL_BASS_BONUS * (triad & np.isin(bass_move, (1, 2, 5, 7, 10, 11)))
            before = self.previous
            dominant_root = _dominant_root(before)
            if dominant_root >= 0:
                bonus += AUTHENTIC_BONUS * (roots == (dominant_root + 5) % 12)
            if self.cadences[t]:
                bonus += FINAL_TONIC_BONUS * (roots == self.tonic_row_class)
        elif t in self.dominants:
            roots = np.array([_dominant_root(p) for p in pitches])
            bonus += DOMINANT_BONUS * self._resolving(roots, self.dominants[t])
        return bonus

    def _chord_score(self, t: int, pitches: np.ndarray) -> np.ndarray:
        """Under a chord symbol: bonuses for its root in the bass (no slash) and its root and third
        (or the suspended note) sounding, shape=(N,); zeros elsewhere."""
        if self.chords is None or self.chords.root[t] < 0:
            return np.zeros(len(pitches))
        root = self.chords.root[t]
        classes = (pitches - root) % 12
        bonus = COMPLETE_CHORD_BONUS * ((classes == 0).any(axis=1) & np.isin(classes, (2, 3, 4, 5)).any(axis=1))
        if self.chords.bass[t] < 0:
            bonus = bonus + ROOT_POSITION_BONUS * (classes[:, 3] == 0)
        return bonus

    def _seam_score(self, t: int, pitches: np.ndarray, starters: list[int]) -> np.ndarray:
        """Near the end of a free stretch: penalties for parallels into the written chord that follows,
        for the decoded voices' leaps into their written notes and for voices of that chord that would
        overlap the decoded notes before them, shape=(N,)."""
        end = int(self.resume[t])
        if end < 0 or end - t > SEAM_STEPS or self.melody[end] < 0:
            return np.zeros(len(pitches))
        after = np.array([self.melody[end], *self.fixed_rows[end]])
        if np.any(after < 0):
            return np.zeros(len(pitches))
        penalty = PARALLEL_PENALTY * (perfect_motion(after, pitches) > 0).sum(axis=(1, 2))  # the same both ways
        columns = {1 + v for v in starters}  # pitch columns: soprano 0, alto 1, tenor 2, bass 3
        for upper in range(HARMONY_VOICES):  # the written chord overlapping the notes it follows
            lower = upper + 1
            if upper in columns or lower in columns:
                penalty = penalty + SEAM_OVERLAP_PENALTY * ((after[lower] > pitches[:, upper])
                                                            | (after[upper] < pitches[:, lower]))
        for v in starters:
            penalty = penalty + _leap_penalty(after[1 + v], pitches[:, 1 + v])  # the same both ways
        return -penalty

    def _pick(self, items: np.ndarray, score: np.ndarray):
        if self.temperature <= 0:
            return items[int(np.argmax(score))]
        p = np.exp((score - score.max()) / self.temperature)
        return items[self.rng.choice(len(items), p=p / p.sum())]


def _semitone_apart(rows: np.ndarray, other) -> np.ndarray:
    """Whether each of ``rows`` lies a semitone, major seventh or minor ninth (any octave) from
    ``other`` (a row, or one per candidate), shape=(N,), bool."""
    return np.isin((rows - other) % 12, (1, 11))


def _leap_penalty(origin: int, rows: np.ndarray) -> np.ndarray:
    """What moving from ``origin`` to each of ``rows`` costs: a little per semitone, more for a
    seventh or beyond an octave (the critic's leap rules), shape=(N,)."""
    rule = leap_rule(origin, rows)
    return LEAP_PENALTY_PER_SEMITONE * np.abs(rows - origin) + OVER_OCTAVE_PENALTY * (rule == 2) \
        + SEVENTH_LEAP_PENALTY * (rule == 1)


def _awkward(previous_row: int, rows: np.ndarray, minor: bool) -> np.ndarray:
    """Whether moving from ``previous_row`` to each of ``rows`` is an augmented or diminished interval
    as the harmony critic spells it in the model's C major or A minor, shape=(N,), bool."""
    return _interval_kinds(int(previous_row), minor)[0][rows]


def _augmented(previous_row: int, rows: np.ndarray, minor: bool) -> np.ndarray:
    """Whether moving from ``previous_row`` to each of ``rows`` is an augmented interval (not a
    diminished one) as the harmony critic spells it in the model's C major or A minor, shape=(N,), bool."""
    return _interval_kinds(int(previous_row), minor)[1][rows]


@lru_cache(maxsize=512)
def _interval_kinds(previous_row: int, minor: bool) -> tuple[np.ndarray, np.ndarray]:
    """From ``previous_row`` to every model row (rows 0.. are MIDI pitches LOWEST_PITCH..127), whether
    the move is augmented or diminished, and whether it is augmented, shape=(128 - LOWEST_PITCH,)
    each, bool, read-only (the cache hands out the same arrays); computed once per row and mode.
    Rows are indices: a negative one would wrap, so callers pass candidate rows (never a rest)."""
    key = Key(0, "minor" if minor else "major")  # no sharps or flats: C major or A minor
    first = previous_row + LOWEST_PITCH
    seconds = range(LOWEST_PITCH, 128)
    awkward = np.array([second != first and is_augmented_or_diminished(first, second, key) for second in seconds])
    augmented = np.array([second != first and is_augmented(first, second, key) for second in seconds])
    awkward.flags.writeable = augmented.flags.writeable = False
    return awkward, augmented


def _resume_steps(given: np.ndarray, free: tuple[int, ...]) -> np.ndarray:
    """For each step inside a stretch where some free voice is decoded, the first later step where
    every free voice is written again (-1 where there is none or the step is not in such a stretch),
    shape=(T,)."""
    columns = list(free)
    written = given[:, columns].all(axis=1) if columns else np.ones(len(given), bool)
    resume = np.full(len(given), -1)
    following = -1
    for t in range(len(given) - 1, -1, -1):
        if written[t]:
            following = t
        else:
            resume[t] = following
    return resume


@lru_cache(maxsize=1)
def _chord_table() -> np.ndarray:
    """For each of the 4096 pitch-class sets (as 12-bit masks), 1.0 if it is a chord, shape=(4096,)."""
    return np.array(
        [chord_name(frozenset(pc for pc in range(12) if mask >> pc & 1)) is not None for mask in range(4096)],
        dtype=float,
    )


def _is_chord(pitches: np.ndarray) -> np.ndarray:
    """For rows of pitch rows (any transposition is fine: only classes matter; -1 rests), whether the
    sounding ones form a chord."""
    classes = np.where(pitches >= 0, 1 << (pitches % 12), 0)
    return _chord_table()[np.bitwise_or.reduce(classes, axis=1)]


def _ordered(pitches: np.ndarray) -> np.ndarray:
    """For rows of pitches (soprano first, -1 rests), whether every sounding voice lies at or below
    every sounding voice above it, shape=(N,), bool."""
    ordered = np.ones(len(pitches), bool)
    for upper, lower in itertools.combinations(range(pitches.shape[1]), 2):
        both = (pitches[:, upper] >= 0) & (pitches[:, lower] >= 0)
        ordered &= ~both | (pitches[:, upper] >= pitches[:, lower])
    return ordered


def _triad_roots(pitches: np.ndarray) -> np.ndarray:
    """Per row of four pitches (bass last), the root's pitch class when they form a major or minor
    triad with the root in the bass, else -1, shape=(N,)."""
    roots = pitches[:, 3] % 12
    classes = (pitches - pitches[:, 3:]) % 12  # intervals above the bass
    has_third = np.isin(classes, (3, 4)).any(axis=1)
    inside = np.all(np.isin(classes, (0, 3, 4, 7)), axis=1)
    one_third = ~(np.isin(classes, 3).any(axis=1) & np.isin(classes, 4).any(axis=1))
    return np.where(inside & has_third & one_third, roots, -1)


def _dominant_root(pitches: np.ndarray) -> int:
    """The root of four pitches (bass last) forming a root-position major triad or dominant seventh
    (incomplete allowed: root and major third), else -1."""
    if np.any(pitches < 0):
        return -1
    classes = set(((pitches - pitches[3]) % 12).tolist())
    return int(pitches[3] % 12) if 4 in classes and classes <= {0, 4, 7, 10} else -1


def _doubled_third_of_dominant(pitches: np.ndarray, tonic_row_class: int) -> np.ndarray:
    # the model's keys are C major and A minor: the tonic row class tells which
    """Per chord of four rows, whether it is a dominant with its third (a leading tone) in two voices,
    shape=(N,), bool: a major triad or dominant seventh (any inversion) on the key's dominant, or
    whose third lies outside the key (a secondary dominant), as the harmony critic counts them."""
    doubled = np.zeros(len(pitches), bool)
    if tonic_row_class < 0:
        return doubled
    steps = (0, 2, 4, 5, 7, 9, 11) if (tonic_row_class + LOWEST_PITCH) % 12 == 0 else (0, 2, 3, 5, 7, 8, 10, 11)
    scale = {(tonic_row_class + step) % 12 for step in steps}  # the key's scale, minor with its raised seventh
    for root in range(12):
        if root != (tonic_row_class + 7) % 12 and (root + 4) % 12 in scale:
            continue
        classes = (pitches - root) % 12
        major = np.all(np.isin(classes, (0, 4, 7, 10)), axis=1) & (classes == 0).any(axis=1)
        doubled |= major & ((classes == 4).sum(axis=1) >= 2)
    return doubled
