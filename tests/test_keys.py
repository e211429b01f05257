"""Which key a melody is harmonized in: the notes, the relative key it ends in, or the file's key signature
where it ends the tune."""

import pytest

from midistyle.models.harmonizer_data import detect_key, place_melody
from midistyle.music.keys import ending_key, relative_key, same_scale, signature_key
from midistyle.music.score import Key, Note, Score, make_voices


def tune(pitches, key=None) -> Score:
    return Score(make_voices([[Note(4 * i, p, 4) for i, p in enumerate(pitches)]]),
                 key=Key.parse(key) if key else None)


D_MAJOR = Key.parse("D major")
G_TUNE_ON_D = [62, 66, 69, 74, 72, 69, 66, 62, 67]  # dwells on D, ends on G


def test_a_signature_wins_where_the_tune_ends_on_its_tonic_and_the_notes_heard_another():
    assert signature_key(tune(G_TUNE_ON_D, "G major"), D_MAJOR) == Key.parse("G major")
    # the relative minor's tonic ends it: the same signature, the other mode
    assert signature_key(tune(G_TUNE_ON_D[:-1] + [64], "G major"), D_MAJOR) == Key.parse("E minor")
    assert signature_key(tune(G_TUNE_ON_D, "E minor"), D_MAJOR) == Key.parse("G major")


@pytest.mark.parametrize(("pitches", "signature", "detected"), [
    (G_TUNE_ON_D[:-1] + [71], "G major", "D major"),  # ends on B, no tonic of G major or E minor
    ([65, 69, 72, 70, 69, 67, 65], "C major", "F major"),  # a lead sheet left at C major, in F, ending on F
    ([67, 71, 74, 72, 71, 69, 66, 67], "C major", "G major"),  # G major under a default signature
    ([60, 63, 67, 68, 67, 63, 62, 60], "C major", "C minor"),  # C minor ending on C: the notes choose the mode
    ([60, 63, 67, 68, 70, 68, 67, 63, 62, 60, 68, 70, 63], "C major", "Ab major"),  # ends on Eb: no tonic of C/Am
    ([69, 72, 76, 71, 69], "C major", "A minor"),  # the same scale: the notes choose, as without a signature
])
def test_a_signature_that_does_not_fit_the_tune_gives_way(pitches, signature, detected):
    assert signature_key(tune(pitches, signature), Key.parse(detected)) is None


def test_a_default_c_major_signature_over_a_minor_tune_ending_on_c_does_not_win():
    # ends on C, C major's tonic, but a fifth of it is E-flat, A-flat or B-flat: no C major tune
    minor = tune([60, 63, 67, 68, 70, 68, 67, 63, 65, 63, 62, 60], "C major")
    assert signature_key(minor, Key.parse("F minor")) is None


def test_keys_with_seven_accidentals_keep_their_signature_and_enharmonic_keys_are_one_scale():
    assert same_scale(Key.parse("C# major"), Key.parse("Db major"))
    assert same_scale(Key.parse("A# minor"), Key.parse("Db major"))
    assert not same_scale(Key.parse("C major"), Key.parse("F major"))
    # a C-sharp major file whose notes read as F-sharp major, ending on A-sharp: A-sharp minor, 7 sharps
    ending_on_a_sharp = tune([66, 68, 70, 73, 75, 73, 70, 68, 66, 70], "C# major")
    assert signature_key(ending_on_a_sharp, Key.parse("F# major")) == Key(7, "minor")
    assert signature_key(ending_on_a_sharp, Key.parse("Db major")) is None  # the same scale, spelled with flats


def test_place_melody_says_which_key_it_took_and_why():
    assert place_melody(tune(G_TUNE_ON_D, "G major"), Key.parse("A major")).key_source == ""  # --key given
    foster_like = tune([65, 69, 72, 70, 69, 67, 69, 65, 70, 69, 67, 64, 65], "C major")
    placed = place_melody(foster_like)
    assert placed.key == Key.parse("F major")
    assert placed.key_line() == "key: F major (detected; the file's C major signature does not fit the tune)"
    assert place_melody(foster_like.replace(key=None)).key_line() == "key: F major (detected)"
    on_d = place_melody(tune(G_TUNE_ON_D, "G major"))
    assert on_d.key == Key.parse("G major") and on_d.key_shift == 5  # harmonized in G: moved to C major
    assert on_d.key_line() == "key: G major (the file's key signature; the notes alone suggest D major)"


A_MAJOR_ON_F_SHARP = [66, 69, 73, 71, 69, 66, 68, 66, 64, 66, 68, 69]  # dwells on F#, ends on A


def test_of_a_key_and_its_relative_the_one_the_tune_ends_on_is_taken():
    heard = Key.parse("F# minor")
    assert detect_key(tune(A_MAJOR_ON_F_SHARP)) == heard  # a key profile hears the relative minor
    assert ending_key(tune(A_MAJOR_ON_F_SHARP), heard) == Key.parse("A major")
    assert ending_key(tune(A_MAJOR_ON_F_SHARP[:-1] + [66]), heard) == heard  # ends on F#: it stands
    assert ending_key(tune(A_MAJOR_ON_F_SHARP[:-1] + [73]), heard) == heard  # ends on C#: neither's tonic
    assert ending_key(tune([69, 72, 76, 71, 69, 67, 72]), Key.parse("A minor")) == Key.parse("C major")
    assert relative_key(Key.parse("C# major")) == Key(7, "minor")  # A# minor, seven sharps


def test_the_harmonizer_reads_a_bach_soprano_in_the_key_bach_ends_it_in():
    """Valid chorale 2 is in A major and ends on A; its notes alone read as F# minor."""
    from midistyle.data.chorales import load_chorales
    from midistyle.music.chords import label_chords, onset_slices

    chorale = load_chorales("valid")[2]
    soprano = chorale.select_voices([0])
    assert detect_key(soprano) == Key.parse("F# minor")
    placed = place_melody(soprano)
    assert placed.key == Key.parse("A major") == chorale.key
    assert label_chords(onset_slices(chorale)).roots[-1] == placed.key.tonic_pitch_class  # Bach's final chord
    assert placed.key_line() == "key: A major (the tune ends on its tonic; the notes alone suggest F# minor)"
    default = place_melody(tune(A_MAJOR_ON_F_SHARP, "C major"))  # A minor ends it too, but the ending chose
    assert default.key == Key.parse("A major")
    misfiled = place_melody(tune(A_MAJOR_ON_F_SHARP, "Bb major"))  # a signature ending it on no tonic of its
    assert misfiled.key_line() == ("key: A major (the tune ends on its tonic; the notes alone suggest F# minor; "
                                   "the file's Bb major signature does not fit the tune)")
