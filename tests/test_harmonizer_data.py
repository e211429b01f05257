"""The harmonizer's arrays and decoding, without TensorFlow."""

import numpy as np
import pytest

from midistyle.errors import InputError
from midistyle.models import harmonizer_data as hd
from midistyle.models.baseline_harmonizer import harmonize_with_triads, triad_for
from midistyle.models.harmony_decoding import decode_harmony
from midistyle.music import metrics
from midistyle.music.score import SATB_RANGES, Key, Note, Score, Voice, make_voices


def melody(pitches, quarters=1, **score_fields):
    steps = int(quarters * 4)
    notes = [Note(i * steps, p, steps) for i, p in enumerate(pitches)]
    return Score(make_voices([notes]), **score_fields)


def flat_network(num_steps: int, placement: hd.Placement) -> np.ndarray:
    """A stand-in for the network: each voice likes the notes of the model's key (C major, or A
    minor with its G#) near the middle of its range, the same at every step, shape=(num_steps,
    NUM_PITCHES, 3) for alto, tenor and bass. Decoded with zero onsets, no voice asks to move."""
    pitch = hd.LOWEST_PITCH + np.arange(hd.NUM_PITCHES)  # as the model's rows sound
    scale = (0, 2, 4, 5, 7, 9, 11) if placement.key.mode == "major" else (0, 2, 4, 5, 7, 8, 9, 11)
    diatonic = np.isin(pitch % 12, scale)
    middles = [(low + high) / 2 + placement.total_shift for low, high in SATB_RANGES[1:]]
    profile = np.stack([diatonic * np.exp(-0.5 * ((pitch - middle) / 5.0) ** 2) + 1e-6 for middle in middles],
                       axis=-1)  # (P, 3)
    return np.broadcast_to(profile, (num_steps, *profile.shape)).copy()


def off_beat_cadence(eighth_pitch: int) -> np.ndarray:
    """C5 E5 | F5 E5-(``eighth_pitch``) C5 in 3/4, decoded on :func:`flat_network` (a network that
    only knows C major's notes and each voice's middle register, and never asks a voice to move):
    the sounding pitches, shape=(T, 4)."""
    notes = [Note(0, 72, 8), Note(8, 76, 4), Note(12, 77, 4), Note(16, 76, 2), Note(18, eighth_pitch, 2),
             Note(20, 72, 12)]  # at 4 steps per quarter: the eighth at bar 2, beat 2.5
    tune = Score(make_voices([notes]), time_signature=(3, 4))
    placement = hd.place_melody(tune, Key.parse("C major"))
    condition = hd.condition_planes(tune, placement, tune.num_steps)
    sustain = flat_network(tune.num_steps, placement)
    voices = decode_harmony(sustain, np.zeros_like(sustain), condition, placement)
    return metrics.sounding_pitches(hd.assemble(tune, voices))


@pytest.mark.parametrize(("key", "shift"), [("C major", 0), ("G major", 5), ("F# major", -6), ("Bb major", 2),
                                            ("A minor", 0), ("E minor", 5), ("C minor", -3)])
def test_key_shift_goes_to_c_major_or_a_minor(key, shift):
    assert hd.key_shift(Key.parse(key)) == shift


def test_melody_is_octave_shifted_into_the_soprano_and_a_huge_span_is_refused():
    low_tune = melody([48, 50, 52, 53, 55])  # C3..G3 in C major: up an octave
    placement = hd.place_melody(low_tune, Key.parse("C major"))
    assert placement.octave_shift == 12 and placement.key_shift == 0
    with pytest.raises(InputError, match="singable"):
        hd.place_melody(melody([40, 60, 84]), Key.parse("C major"))  # 44 semitones


def test_notes_beyond_the_soprano_are_shown_to_the_model_an_octave_nearer():
    wide = melody([55, 67, 79, 88])  # G3..E6 in C major: 33 semitones
    placement = hd.place_melody(wide, Key.parse("C major"))
    assert placement.notes_outside == 1
    planes = hd.condition_planes(wide, placement, 16)
    rows = planes[:, :, 0].argmax(axis=1)[[0, 4, 8, 12]] + hd.LOWEST_PITCH - placement.total_shift
    assert list(rows % 12) == [p % 12 for p in [55, 67, 79, 88]]  # same pitch classes
    assert rows[3] == 76  # E6 shown as E5


def test_extract_melody_names_the_first_chord_and_trims_legato():
    notes = [Note(0, 72, 6), Note(4, 74, 4), Note(8, 76, 4), Note(8, 79, 4)]  # overlap, then a chord
    score = Score((Voice("Lead", tuple(notes)),), anacrusis_steps=0)
    with pytest.raises(InputError, match=r"polyphonic: a chord at bar 1, beat 3 \(step 8\)"):
        hd.extract_melody(score)
    legato = Score((Voice("Lead", (Note(0, 72, 6), Note(4, 74, 4))),))
    assert [n.duration_steps for n in hd.extract_melody(legato).voices[0].notes] == [4, 4]
    with pytest.raises(InputError, match="--track 3"):
        hd.extract_melody(legato, track=3)
    with pytest.raises(InputError, match="no notes"):
        hd.extract_melody(Score((Voice("Empty"),)))


def test_condition_planes_mark_beats_of_six_eight_after_a_pickup():
    tune = melody([67, 72, 71, 72], quarters=0.5, time_signature=(6, 8), anacrusis_steps=2)
    placement = hd.place_melody(tune, Key.parse("C major"))
    planes = hd.condition_planes(tune, placement, 16)
    assert planes.shape == (16, hd.NUM_PITCHES, hd.CONDITION_CHANNELS)
    assert list(np.nonzero(planes[:, 0, 2])[0]) == [2, 8, 14]  # dotted quarters from the bar line
    assert list(np.nonzero(planes[:, 0, 3])[0]) == [2, 14]  # downbeats
    assert planes[0, 67 + placement.total_shift - hd.LOWEST_PITCH, 0] == 1


def test_decoding_bachs_own_voices_gives_them_back(test_chorales):
    chorale = test_chorales[0]
    condition, harmony = hd.chorale_example(chorale)
    voices = decode_harmony(harmony[..., 1::2], harmony[..., 0::2], condition, hd.chorale_placement(chorale))
    decoded = hd.assemble(chorale.select_voices([0]), voices)
    matched = sum(n in set(decoded.voices[v].notes) for v in (1, 2, 3) for n in chorale.voices[v].notes)
    assert matched / sum(len(chorale.voices[v].notes) for v in (1, 2, 3)) > 0.9
    assert metrics.monophonic_voice_rate(decoded) == 1.0


def test_decoding_keeps_voices_in_range_and_uncrossed():
    rng = np.random.default_rng(0)
    tune = melody([72, 74, 76, 77, 79, 77, 76, 74])
    placement = hd.place_melody(tune, Key.parse("C major"))
    condition = hd.condition_planes(tune, placement, tune.num_steps)
    noise = rng.random((tune.num_steps, hd.NUM_PITCHES, 3))
    voices = decode_harmony(noise, noise, condition, placement, temperature=1.0, rng=rng)
    score = hd.assemble(tune, voices)
    assert metrics.in_range_rate(score) == 1.0
    assert metrics.voice_crossings(score) == 0.0
    assert metrics.melody_preserved(tune, score) == 1.0


@pytest.mark.parametrize("method", ["joint", "greedy"])
def test_a_melody_under_the_altos_range_stays_above_the_other_voices(method):
    """D3-G3 lies under the alto's range (from F3): the voices go under their ranges, not over it."""
    rng = np.random.default_rng(1)
    tune = melody([55, 53, 52, 50, 52, 53, 55, 57, 55, 52, 50, 55])
    placement = hd.place_melody(tune, Key.parse("C major"))
    condition = hd.condition_planes(tune, placement, tune.num_steps)
    noise = rng.random((tune.num_steps, hd.NUM_PITCHES, 3))
    voices = decode_harmony(noise, noise, condition, placement, method=method)
    sounding = metrics.sounding_pitches(hd.assemble(tune, voices))  # (T, 4)
    assert (sounding[:, 0] >= 0).all() and (sounding[:, 1:] >= 0).all()
    assert (sounding[:, 1:] <= sounding[:, :1]).all()


@pytest.mark.parametrize(("pitches", "onset_probability"), [
    ([76] * 8, 0.0),  # E5 throughout: the voices hold a C major chord, choosing it again at the cadence
    ([76, 74, 72, 74, 76, 76, 76, 74, 74, 76, 79, 79], 1.0),
])
def test_the_repeated_note_cost_weighs_only_a_held_pitch_struck_again(monkeypatch, pitches, onset_probability):
    """``REPEATED_NOTE_PENALTY`` costs a voice that strikes its held pitch again (the network puts an
    onset on it), not one that holds it: on :func:`flat_network`, with no onsets the voices hold
    their chord to the end, with or without the cost; with onsets everywhere they strike every
    eighth, repeating their pitches without the cost and moving with it."""
    from midistyle.models import harmony_decoding

    tune = melody(pitches)
    placement = hd.place_melody(tune, Key.parse("C major"))
    condition = hd.condition_planes(tune, placement, tune.num_steps)
    sustain = flat_network(tune.num_steps, placement)
    onset = np.full_like(sustain, onset_probability)

    def decoded(penalty: float) -> tuple[list[list[Note]], int]:
        monkeypatch.setattr(harmony_decoding, "REPEATED_NOTE_PENALTY", penalty)
        monkeypatch.setattr(harmony_decoding, "INNER_STEP_BONUS", 0.0)  # the cost alone: the reward moves them too
        voices = decode_harmony(sustain, onset, condition, placement, model_space=True)
        repeats = sum(a.pitch == b.pitch and a.end_step == b.onset_step for notes in voices
                      for a, b in zip(notes, notes[1:]))
        return voices, repeats

    (free_voices, free_repeats), (costly_voices, costly_repeats) = decoded(0.0), decoded(4.0)
    if onset_probability == 0.0:
        assert costly_voices == free_voices and [len(notes) for notes in free_voices] == [1, 1, 1]
    else:
        assert free_repeats > 10 and costly_repeats < free_repeats / 4


def test_pair_weights_read_the_written_factor_when_called(monkeypatch):
    from midistyle.models import harmony_decoding

    decoder = harmony_decoding._Decoder.__new__(harmony_decoding._Decoder)
    decoder.given = np.array([[False, False, True]])  # the bass written, alto and tenor decoded
    monkeypatch.setattr(harmony_decoding, "WRITTEN_PAIR_FACTOR", 3.0)
    weights = decoder._pair_weights(0, 4.0)  # (4, 4): soprano, alto, tenor, bass
    assert weights[1, 3] == weights[3, 2] == 12.0 and weights[1, 2] == weights[0, 1] == 4.0
    assert decoder._pair_weights(0, 4.0, 1.0)[1, 3] == 4.0


def test_triad_baseline():
    assert triad_for(4, Key.parse("C major")) == (0, 4, 7)
    assert triad_for(11, Key.parse("A minor")) == (4, 8, 11)  # the raised leading tone: E major
    tune = melody([72, 74, 76, 77, 79, 77, 76, 74, 72])
    score = harmonize_with_triads(tune, Key.parse("C major"))
    assert metrics.chord_beat_rate(score) == 1.0
    assert metrics.in_range_rate(score) == 1.0
    assert metrics.melody_preserved(tune, score) == 1.0
    assert hd.detect_key(tune) == Key.parse("C major")


def test_the_decoder_counts_dominants_in_minor_as_the_critic_does():
    import numpy as np

    from midistyle.models.harmonizer_data import LOWEST_PITCH
    from midistyle.models.harmony_decoding import _doubled_third_of_dominant

    a_minor = (9 - LOWEST_PITCH) % 12

    def rows(*midi):
        return np.array([[p - LOWEST_PITCH for p in midi]])

    assert _doubled_third_of_dominant(rows(76, 68, 64, 56), a_minor)[0]  # E major, G# doubled: the key's dominant
    assert not _doubled_third_of_dominant(rows(73, 65, 61, 49), a_minor)[0]  # C# major: its F is A minor's own


def test_a_resting_written_voice_is_a_rest_to_the_joint_decoder():
    from midistyle.models.harmony_decoding import _is_chord, _ordered

    # soprano, alto, tenor, bass; -1 is a written voice resting (a given tenor or bass with a gap)
    rows = np.array([[72, 64, -1, 48],   # the tenor rests: the others are in order
                     [72, 64, -1, 66],   # the bass above the alto
                     [72, 60, 55, -1],   # the bass rests
                     [72, 60, 64, 48]])  # a crossing
    assert _ordered(rows).tolist() == [True, False, True, False]
    # C E G over a resting bass is a chord; read as pitch class 11 (B), the rest made it C E G B, a seventh
    # chord, and C E with it was B C E, none at all
    assert _is_chord(np.array([[72, 64, 55, -1]]))[0] == 1.0
    assert _is_chord(np.array([[72, 64, -1, -1]]))[0] == _is_chord(np.array([[72, 64, 64, 60]]))[0]


def test_an_off_beat_note_stepping_into_a_cadence_gets_the_dominant():
    """C5 E5 | F5 E5-D5 C5 in 3/4: the beat before the end holds E5, which no G major chord holds; the
    eighth D5 that steps into the end does, and every voice chooses again there (Chevy Chase, bar 7)."""
    sounding = off_beat_cadence(74)  # (T, 4)
    under_d5 = set((sounding[18] % 12).tolist())
    assert sounding[18, 3] % 12 == 7 and 11 in under_d5 and under_d5 <= {7, 11, 2, 5}  # G (B D F) in root position
    assert sounding[20, 3] % 12 == 0  # ... into C


def test_an_off_beat_note_leaping_into_a_cadence_keeps_the_chord_of_the_beat():
    """C5 E5 | F5 E5-G5 C5 in 3/4: the eighth G5 belongs to G major, the dominant of the C5 it leaps
    to, but only a note that steps into the end is a dominant's (B4 A4 | G, not E5 G5 | C): the
    voices hold the beat's chord under it."""
    sounding = off_beat_cadence(79)  # (T, 4)
    assert (sounding[18, 1:] == sounding[16, 1:]).all()


def test_no_parallels_across_a_rest_in_every_voice():
    """The critic reads the chords either side of a rest in every voice as consecutive (folk_06 bar
    4: alto and bass B -> D an octave apart over the melody's rest); so does the decoder, also when
    the chord before the rest is off the beat."""
    from midistyle.music.harmony import critique

    notes = [Note(0, 72, 6), Note(6, 74, 2), Note(12, 76, 4), Note(16, 74, 4), Note(20, 72, 4)]
    tune = Score(make_voices([notes]), time_signature=(3, 4))  # C5 D5 (an eighth), rests, E5 D5 C5
    placement = hd.place_melody(tune, Key.parse("C major"))
    condition = hd.condition_planes(tune, placement, tune.num_steps)
    sustain = flat_network(tune.num_steps, placement)
    sustain[:, :, 2] = 0.01  # the bass wants C3, then G2 under the D5 and A2 under the E5: fifths across the rest
    for start, end, bass in ((0, 6, 48), (6, 8, 43), (12, 16, 45)):
        sustain[start:end, bass - hd.LOWEST_PITCH, 2] = 1.0
    voices = decode_harmony(sustain, np.zeros_like(sustain), condition, placement)
    score = hd.assemble(tune, voices)
    assert [n.pitch for n in score.voices[3].notes[:2]] == [48, 43]  # before the rest, as the network wants
    assert not [m for m in critique(score).marks if m.rule in ("parallel_octaves", "parallel_fifths")]


def test_a_passing_note_into_the_final_tonic_keeps_the_dominant_of_the_beat(monkeypatch):
    """G4 B4 A4-G4 in C major: G major holds the B4 on the beat before the end; the eighth A4 that
    steps into the end belongs to no dominant of C, so the voices hold G major under it (choosing
    again there had given up the V-I for a ii6)."""
    from midistyle.models import harmony_decoding
    from midistyle.music.harmony import critique

    # the opening chord is not what this is about: on this flat network a C major opening leads to a
    # G major with a doubled D, under which the passing A4 makes fifths with the tenor into any C chord
    monkeypatch.setattr(harmony_decoding, "OPENING_TONIC_BONUS", 0.0)

    notes = [Note(0, 67, 4), Note(4, 71, 2), Note(6, 69, 2), Note(8, 67, 8)]
    tune = Score(make_voices([notes]), time_signature=(4, 4))
    placement = hd.place_melody(tune, Key.parse("C major"))
    condition = hd.condition_planes(tune, placement, tune.num_steps)
    sustain = flat_network(tune.num_steps, placement)
    voices = decode_harmony(sustain, np.zeros_like(sustain), condition, placement)
    score = hd.assemble(tune, voices)
    sounding = metrics.sounding_pitches(score)  # (T, 4)
    assert (sounding[6, 1:] == sounding[4, 1:]).all() and sounding[4, 3] % 12 == 7  # G major held under the A4
    assert [c.kind for c in critique(score).cadences] == ["authentic"]


@pytest.mark.parametrize("bonus", [None, 0.0])
@pytest.mark.parametrize(("pitches", "key", "rest_steps", "leaning", "tonic"), [
    ((76, 74, 72), "C major", 0, 45, 48),  # E5 D5 C5; the bass leans to A2 (A minor) over C3
    ((72, 71, 69), "A minor", 4, 41, 45),  # after a quarter rest, C5 B4 A4; to F2 (F major) over A2
    ((78, 76, 74), "D major", 0, 47, 50),  # F#5 E5 D5; to B2 (B minor) over D3
])
def test_the_first_chord_is_the_tonic_when_the_network_leans_a_little_elsewhere(
        bonus, pitches, key, rest_steps, leaning, tonic, monkeypatch):
    """The bass a nat likelier on another chord's root than on the tonic at the melody's first note:
    the opening bonus (``OPENING_TONIC_BONUS``) makes the first chord the tonic triad in root
    position (after a rest, in minor, in a key the model is moved from); without it, the other."""
    from midistyle.models import harmony_decoding
    from midistyle.music.cadences import opens_on_tonic

    if bonus is not None:
        monkeypatch.setattr(harmony_decoding, "OPENING_TONIC_BONUS", bonus)
    notes = [Note(rest_steps + 4 * i, p, 4) for i, p in enumerate(pitches)]
    tune = Score(make_voices([notes]))
    placement = hd.place_melody(tune, Key.parse(key))
    condition = hd.condition_planes(tune, placement, tune.num_steps)
    shift = placement.total_shift  # the model's rows are the melody moved to C major / A minor
    sustain = flat_network(tune.num_steps, placement)
    first = slice(rest_steps, rest_steps + 4)
    sustain[first, :, 2] = 0.01
    sustain[first, leaning + shift - hd.LOWEST_PITCH, 2] = 1.0
    sustain[first, tonic + shift - hd.LOWEST_PITCH, 2] = np.exp(-1.0)
    voices = decode_harmony(sustain, np.zeros_like(sustain), condition, placement)
    score = hd.assemble(tune, voices)
    assert opens_on_tonic(score, Key.parse(key)) == (bonus is None)
    assert score.voices[3].notes[0].pitch == (tonic if bonus is None else leaning)


def test_under_a_chord_symbol_the_first_chord_is_the_symbols_and_earns_no_opening_bonus():
    """A user's "C" over E5 D5 C5, the bass 6 nats likelier on E than on C (under a symbol the
    network counts a quarter: 1.5): the symbol's own root-position bonus (1 nat) leaves the
    inversion to the network; the opening's tonic bonus (2 nats) is for a bare melody only, and
    would have put C in the bass."""
    from midistyle.models.harmony_decoding import ChordPlan
    from midistyle.music.chord_symbols import parse_chord_symbol

    tune = melody([76, 74, 72])
    placement = hd.place_melody(tune, Key.parse("C major"))
    condition = hd.condition_planes(tune, placement, tune.num_steps)
    sustain = flat_network(tune.num_steps, placement)
    sustain[0:4, :, 2] = 0.01
    sustain[0:4, 52 - hd.LOWEST_PITCH, 2] = 1.0  # E3
    sustain[0:4, 48 - hd.LOWEST_PITCH, 2] = np.exp(-6.0)  # C3
    chords = ChordPlan.from_symbols([parse_chord_symbol("C", 0)], placement, tune.num_steps)
    voices = decode_harmony(sustain, np.zeros_like(sustain), condition, placement, chords=chords)
    assert hd.assemble(tune, voices).voices[3].notes[0].pitch == 52


def test_the_bass_sixth_cost_takes_sixths_out_of_the_bass(monkeypatch):
    """``BASS_SIXTH_LEAP_PENALTY`` costs a bass leap of a minor or major sixth: on a random network
    with onsets everywhere, the bass leaps sixths without the cost and far fewer with it."""
    from midistyle.models import harmony_decoding

    tune = melody([72, 74, 76, 77, 79, 77, 76, 74, 72, 71, 72, 74, 76, 74, 72, 71] * 2)
    placement = hd.place_melody(tune, Key.parse("C major"))
    condition = hd.condition_planes(tune, placement, tune.num_steps)
    sustain = np.random.default_rng(3).dirichlet(np.ones(hd.NUM_PITCHES), size=(tune.num_steps, 3)
                                                 ).transpose(0, 2, 1)  # (T, P, 3): each voice's pitch distribution
    onset = np.ones_like(sustain)

    def sixths(penalty: float) -> list[int]:
        """Leaps of a sixth in the alto, tenor and bass."""
        monkeypatch.setattr(harmony_decoding, "BASS_SIXTH_LEAP_PENALTY", penalty)
        voices = decode_harmony(sustain, onset, condition, placement, model_space=True)
        return [sum(abs(b.pitch - a.pitch) in (8, 9) for a, b in zip(notes, notes[1:])) for notes in voices]

    free, costly = sixths(0.0), sixths(8.0)
    assert free[2] >= 5 and costly[2] < free[2] / 4  # the bass's
    assert sum(costly[:2]) >= sum(free[:2]) / 2 > 0  # the alto's and tenor's are not what it costs


def test_the_step_rewards_make_a_moving_voice_step_and_leave_a_holding_one_alone(monkeypatch):
    """``BASS_STEP_BONUS`` and ``INNER_STEP_BONUS`` on :func:`flat_network`: where the network puts
    onsets everywhere, the rewarded voices move by step far more often; where it puts none, the
    voices hold their chords exactly as without the rewards, also where chord symbols (C, Dm7, C,
    ...) make every voice choose again and a held C could step to D."""
    from midistyle.models import harmony_decoding
    from midistyle.models.harmony_decoding import ChordPlan
    from midistyle.music.chord_symbols import parse_chord_symbol

    tune = melody([76, 74, 72, 74, 76, 76, 76, 74, 74, 76, 79, 79, 77, 76, 74, 72])
    placement = hd.place_melody(tune, Key.parse("C major"))
    condition = hd.condition_planes(tune, placement, tune.num_steps)
    sustain = flat_network(tune.num_steps, placement)

    def decoded(onset_probability: float, bass: float, inner: float, chords=None) -> list[list[Note]]:
        monkeypatch.setattr(harmony_decoding, "BASS_STEP_BONUS", bass)
        monkeypatch.setattr(harmony_decoding, "INNER_STEP_BONUS", inner)
        return decode_harmony(sustain, np.full_like(sustain, onset_probability), condition, placement,
                              model_space=True, chords=chords)

    def steps(notes: list[Note]) -> int:
        return sum(abs(a.pitch - b.pitch) in (1, 2) and a.end_step == b.onset_step for a, b in zip(notes, notes[1:]))

    plain, bass_rewarded, inner_rewarded = decoded(1.0, 0, 0), decoded(1.0, 2, 0), decoded(1.0, 0, 2)
    assert steps(bass_rewarded[2]) >= 1.5 * steps(plain[2]) > 0  # 18 against 8 when written
    assert all(steps(inner_rewarded[v]) >= 2 * steps(plain[v]) > 0 for v in (0, 1))  # 24, 28 against 5, 4
    assert decoded(0.0, 2, 2) == decoded(0.0, 0, 0)
    symbols = [parse_chord_symbol(figure, 4 * i) for i, figure in enumerate(["C", "Dm7"] * 5)]
    chords = ChordPlan.from_symbols(symbols, placement, tune.num_steps)
    assert decoded(0.0, 2, 2, chords) == decoded(0.0, 0, 0, chords)
