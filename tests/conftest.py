"""Shared fixtures: the data folder and real chorales from the committed cache."""

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def all_chorales():
    from midistyle.data.chorales import load_chorales

    return load_chorales("all")


@pytest.fixture(scope="session")
def test_chorales():
    from midistyle.data.chorales import load_chorales

    return load_chorales("test")


@pytest.fixture(scope="session")
def folk_melodies():
    from midistyle.data.folk import load_folk_melodies

    return load_folk_melodies()
