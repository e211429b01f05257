from midistyle.music.quantize import quantize_notes


def test_on_grid_notes_are_unchanged():
    notes, report = quantize_notes([(0.0, 1.0, 60, 80), (1.0, 1.5, 62, 80)], steps_per_quarter=4)
    assert [(n.onset_step, n.duration_steps) for n in notes] == [(0, 4), (4, 2)]
    assert report.num_off_grid == 0 and report.num_dropped == 0


def test_off_grid_notes_are_snapped_and_counted():
    triplet = [(0.0, 1 / 3, 60, 80), (1 / 3, 2 / 3, 62, 80), (2 / 3, 1.0, 64, 80)]
    notes, report = quantize_notes(triplet, steps_per_quarter=4)
    assert report.num_off_grid == 3
    assert all(n.duration_steps >= 1 for n in notes)


def test_same_pitch_overlap_is_cut_and_duplicates_dropped():
    raw = [(0.0, 2.0, 60, 80), (1.0, 2.0, 60, 80), (1.0, 2.0, 60, 90), (0.0, 2.0, 64, 80)]
    notes, report = quantize_notes(raw, steps_per_quarter=4)
    at_60 = [(n.onset_step, n.duration_steps) for n in notes if n.pitch == 60]
    assert at_60 == [(0, 4), (4, 4)]
    assert report.num_dropped == 1
    assert [n for n in notes if n.pitch == 64][0].duration_steps == 8


def test_very_short_note_keeps_one_step():
    notes, _ = quantize_notes([(0.0, 0.05, 60, 80)], steps_per_quarter=4)
    assert notes[0].duration_steps == 1
