"""Phrase ends: a melody's fermatas when it has them, else the notes that sound like ends."""

from __future__ import annotations

from midistyle.music.phrases import find_phrase_ends, phrase_ends
from midistyle.music.score import Key, Note, Score, make_voices


def melody(notes, fermatas=()):
    return Score(make_voices([[Note(onset, pitch, length) for onset, pitch, length in notes]]),
                 key=Key(0, "major"), fermata_steps=fermatas)


# Two-bar phrases of quarters, each closing on a half note on beat 3 (C major): bars 2, 4, 6, 8.
PHRASE = [(0, 64), (4, 65), (8, 67), (12, 64), (16, 62), (20, 64), (24, 60, 8)]
TUNE = melody([(start + 32 * k, pitch, rest[0] if rest else 4) for k in range(4)
               for start, pitch, *rest in PHRASE])


def test_half_notes_on_the_half_bar_every_two_bars_are_found():
    assert find_phrase_ends(TUNE) == (24, 56, 88, 120)
    assert phrase_ends(TUNE).source == "found"
    assert phrase_ends(TUNE).describe() == "4 phrases, found from long notes, rests and closure"


def test_a_rest_ends_a_phrase_even_after_a_short_note():
    notes = [(0, 60, 4), (4, 62, 4), (8, 64, 4), (12, 65, 4), (16, 67, 4), (20, 65, 4), (24, 64, 4),
             (32, 62, 4), (36, 64, 4), (40, 65, 4), (44, 67, 4), (48, 65, 4), (52, 64, 4), (56, 60, 8)]
    assert 24 in find_phrase_ends(melody(notes))  # the E4 before a half-bar rest


def test_fermatas_win_and_the_last_note_always_ends_a_phrase():
    with_fermatas = TUNE.replace(fermata_steps=(12, 44))
    ends = phrase_ends(with_fermatas)
    assert ends.steps == (12, 44, 120) and ends.source == "fermatas"
    assert ends.describe() == "3 phrases, from the fermatas"


def test_only_duple_metres_have_a_strong_half_bar():
    from midistyle.music.phrases import phrase_end_scores

    notes = [(0, 60, 2), (2, 62, 2), (4, 64, 2), (6, 65, 2), (8, 67, 4)]  # the eighth after beat 2 is at step 6
    three_four = melody(notes).replace(time_signature=(3, 4))
    two_four_twice = melody(notes).replace(time_signature=(2, 4))
    assert phrase_end_scores(three_four)[3] < phrase_end_scores(two_four_twice)[2] + 1e-9  # no half-bar bonus
    assert phrase_end_scores(two_four_twice)[2] > phrase_end_scores(three_four)[2]  # step 4: the half bar of 2/4
