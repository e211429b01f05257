import json

import pytest

from midistyle.data.chorales import (
    SPLITS,
    allowed_transpositions,
    augment_by_transposition,
    build_dataset,
    convert_chorale,
    default_dataset_dir,
    load_chorales,
    make_split,
)
from midistyle.errors import InputError
from midistyle.music.score import SATB_RANGES


def test_committed_split_is_80_10_10_disjoint_and_matches_the_cache():
    split = json.loads((default_dataset_dir() / "split.json").read_text())
    sizes = {name: len(split[name]) for name in SPLITS}
    total = sum(sizes.values())
    assert total >= 330
    assert abs(sizes["test"] - total / 10) <= 1 and abs(sizes["valid"] - total / 10) <= 1
    assert not set(split["train"]) & set(split["test"]) and not set(split["valid"]) & set(split["test"])
    for name in SPLITS:
        assert sorted(s.title for s in load_chorales(name)) == split[name]


def test_split_does_not_depend_on_order():
    ids = [f"bwv{i}" for i in range(100)]
    assert make_split(ids) == make_split(list(reversed(ids)))


def test_cache_matches_a_fresh_conversion(test_chorales):
    cached = {c.title: c for c in test_chorales}
    for chorale_id in sorted(cached)[:3]:
        fresh = convert_chorale(chorale_id)
        assert [v.notes for v in fresh.voices] == [v.notes for v in cached[chorale_id].voices]
        assert (fresh.time_signature, fresh.anacrusis_steps, fresh.key) == (
            cached[chorale_id].time_signature, cached[chorale_id].anacrusis_steps, cached[chorale_id].key)


def test_every_cached_chorale_is_four_named_voices(all_chorales):
    for chorale in all_chorales:
        assert [v.name for v in chorale.voices] == ["Soprano", "Alto", "Tenor", "Bass"]
        assert all(v.notes for v in chorale.voices)


def test_build_reports_drops_and_guards_the_split(tmp_path):
    report = build_dataset(tmp_path, chorale_ids=["bwv269", "bwv311", "bwv277", "bwv41.6"], progress=False)
    assert report["kept"] == 2
    assert report["dropped"] == {"repeats cannot be expanded": 1, "meter changes": 1}
    assert len(load_chorales("all", tmp_path)) == 2
    with pytest.raises(InputError, match="split differs"):
        build_dataset(tmp_path, chorale_ids=["bwv269"], progress=False)


def test_unknown_split_and_missing_cache(tmp_path):
    with pytest.raises(InputError, match="split"):
        load_chorales("training")
    with pytest.raises(InputError, match="data build"):
        load_chorales("train", tmp_path)


def test_transpositions_keep_voices_singable(all_chorales):
    total = 0
    for chorale in all_chorales[:60]:
        shifts = allowed_transpositions(chorale)
        assert 0 in shifts
        total += len(shifts)
        for shifted, _ in augment_by_transposition([chorale]):
            for voice, original, (low, high) in zip(shifted.voices, chorale.voices, SATB_RANGES):
                lowest = min(n.pitch for n in original.notes)
                highest = max(n.pitch for n in original.notes)
                assert min(low, lowest) <= min(n.pitch for n in voice.notes)
                assert max(n.pitch for n in voice.notes) <= max(high, highest)
    assert total > 60 * 3  # augmentation really multiplies the data
