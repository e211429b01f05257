"""Pitches are spelled as Bach spells them: the table, its derivation, and held-out agreement."""

from midistyle.data.spellings import bach_letter_steps, spelling_agreement, spelling_counts
from midistyle.music.keys import BACH_LETTER_STEPS, letters_in_key


def test_the_committed_letter_table_is_the_train_splits_most_frequent_spelling():
    assert bach_letter_steps(spelling_counts("train")) == BACH_LETTER_STEPS


def test_chromatic_notes_of_held_out_chorales_are_spelled_as_bach_wrote_them():
    # the key-signature speller this replaced (sharps in sharp keys, flats in flat keys) agreed on 0.82
    agreeing, counted = spelling_agreement("valid", lambda p, k: letters_in_key(k.sharps, k.mode)[p % 12])
    assert counted > 400 and agreeing / counted >= 0.95
