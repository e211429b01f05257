"""The played-in quantizer: the tempo octave, and the tune's own rhythm statistics."""

import numpy as np
import pytest

from midistyle.music import performance
from midistyle.music.humanize import HumanizeConfig, humanize
from midistyle.music.score import Note, Score, Voice

QUARTERS = [4, 4, 4, 4, 4, 4, 4, 4, 8, 4, 4, 4, 4, 8, 4, 4, 4, 4, 4, 4, 8]  # intervals in 16ths
PITCHES = [67, 67, 69, 71, 72, 71, 69, 67, 69, 71, 72, 74, 72, 71, 69, 67, 69, 71, 69, 67, 65, 67]


def _played_back(tune: Score, *, qpm: float, seed: int) -> performance.Alignment:
    """``tune`` played at ``qpm`` by the deterministic player, aligned; notes in 48 steps per quarter."""
    midi, _ = humanize(tune, seed=seed, config=HumanizeConfig(tempo_range_qpm=(qpm, qpm)))
    ticks = midi.ticks_per_quarter
    notes = [Note(round(n.time * 48 / ticks), n.pitch, max(1, round(n.duration * 48 / ticks)))
             for n in midi.tracks[0].notes]
    return performance.align_to_grid(notes, tempo_qpm=120.0)


def test_the_tempo_prior_is_flat_over_one_octave_and_falls_fast_outside():
    low, high = performance.BEAT_OCTAVE_QPM
    assert high == 2 * low
    assert performance.tempo_log_prior(low) == performance.tempo_log_prior(high) == 0.0
    assert performance.tempo_log_prior(100.0) == 0.0
    assert performance.tempo_log_prior(0.96 * low) < -20 and performance.tempo_log_prior(1.04 * high) < -20


@pytest.mark.parametrize("qpm", [75.0, 132.0])
def test_a_tune_of_quarters_comes_back_in_quarters_at_either_end_of_the_octave(qpm):
    onsets = np.concatenate([[0], np.cumsum(QUARTERS)])
    notes = tuple(Note(int(onset), pitch, 4) for onset, pitch in zip(onsets, PITCHES))
    tune = Score((Voice("melody", notes),), time_signature=(4, 4))
    for seed in range(4):  # the maximum-likelihood tempo of old read some of these as eighths at 66 qpm
        aligned = _played_back(tune, qpm=qpm, seed=seed)
        assert [n.onset_step // performance.FINE_PER_SIXTEENTH for n in aligned.notes] == onsets.tolist()
        assert aligned.tempo_qpm == pytest.approx(qpm, rel=0.03)


def test_the_tunes_own_statistics_leave_each_note_out():
    corpus = np.full((8, 16), 1 / 16)  # (bar, 16): a flat corpus for a 2/4 bar
    places = np.array([0, 2, 4, 6, 0, 2, 4, 6, 0, 3])  # the last bar has one dotted eighth
    intervals = np.diff(np.array([0, 2, 4, 6, 8, 10, 12, 14, 16, 19]))
    adapted = performance._with_tune_statistics(corpus, places, intervals, last=1)
    weight = performance.TUNE_ADAPTATION_WEIGHT
    assert np.allclose(adapted.sum(axis=1), 1.0)
    # eighths at 16th 2 occur twice: one vote from the other note
    assert adapted[2, 1] == pytest.approx((1 + weight / 16) / (1 + weight))
    # the dotted eighth at 16th 0 occurs once: it gets no vote from itself
    assert adapted[0, 2] == pytest.approx((weight / 16) / (1 + weight))
    # a 16th with no notes keeps the corpus
    assert np.allclose(adapted[1], corpus[1])


@pytest.mark.parametrize("held_sixteenths, reading", [(3.0, [3, 1]), (2.0, [2, 2])])
def test_an_onset_halfway_between_dotted_and_even_is_read_from_how_long_the_note_was_held(held_sixteenths,
                                                                                          reading):
    sixteenth_seconds = 0.15  # 100 quarters a minute
    # bars of 2/4 that start dotted (3 1 2 2) or even (2 2 2 2), as often; the fifth bar is the question
    intervals = [3, 1, 2, 2, 2, 2, 2, 2, 3, 1, 2, 2, 2, 2, 2, 2, 2.5, 1.5, 2, 2, 2, 2, 2, 2, 3, 1, 2, 2]
    question = 16
    onsets = np.concatenate([[0.0], np.cumsum(intervals)]) * sixteenth_seconds  # seconds
    lengths = np.append(intervals, 8) * sixteenth_seconds * 0.95
    lengths[question] = held_sixteenths * sixteenth_seconds
    steps_per_second = 48 * 120 / 60  # the file's steps at its 120 qpm
    notes = [Note(round(onset * steps_per_second), 60 + i % 5, round(length * steps_per_second))
             for i, (onset, length) in enumerate(zip(onsets, lengths))]
    aligned = performance.align_to_grid(notes, tempo_qpm=120.0)
    sixteenths = [n.onset_step // performance.FINE_PER_SIXTEENTH for n in aligned.notes]
    assert list(np.diff(sixteenths)[question:question + 2]) == reading


def test_a_note_held_for_its_value_is_likelier_than_one_held_for_another():
    held = performance._duration_log_likelihood(np.array([0.45, 0.30, 0.10]), sixteenth=0.15)  # (3, 16)
    assert np.argmax(held[0]) == 2 and np.argmax(held[1]) == 1  # 3 and 2 sixteenths
    assert held[0, 2] - held[0, 1] > 2.0
    assert np.ptp(held[2, 1:8]) < 0.5  # let go early (detached, or a rest): no interval much preferred


def test_the_player_lets_a_key_go_before_striking_it_again():
    from midistyle.music.humanize import RESTRIKE_GAP_SECONDS

    notes = tuple(Note(4 * i, pitch, 4) for i, pitch in enumerate([67, 67, 67, 69, 67, 67]))  # quarters
    tune = Score((Voice("melody", notes),), time_signature=(4, 4))
    config = HumanizeConfig(tempo_range_qpm=(90.0, 90.0), duration_range=(1.2, 1.2), jitter_seconds=0.0)
    midi, _ = humanize(tune, seed=0, config=config)
    ticks_per_second = midi.ticks_per_quarter * 2  # the file is at 120 qpm
    played = list(midi.tracks[0].notes)
    held_over = [(a.time / ticks_per_second, b.time / ticks_per_second) for a, b in zip(played, played[1:])]
    assert len(played) == 6
    for a, b in zip(played, played[1:]):
        if a.pitch == b.pitch:  # released RESTRIKE_GAP_SECONDS before the key is struck again
            assert (b.time - a.end) / ticks_per_second == pytest.approx(RESTRIKE_GAP_SECONDS, abs=0.002)
        else:  # other keys may overlap (legato): held 1.2 times its value
            assert a.end > b.time, held_over
