"""The test tree mirrors the code (docs/development.md, "Layout"): tests of the core under
tests/channelhub/, each upstream's under tests/fulfillment/<upstream>/, and no two test files of
one name, so a failure's file name alone says where it lives."""

from collections import Counter

from tests.paths import ROOT

TESTS = ROOT / "tests"


def test_no_two_test_files_share_a_name():
    names = Counter(path.name for path in TESTS.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []


def test_each_side_of_fulfillment_has_its_own_test_directory():
    for side in ("connect", "channel"):
        assert (ROOT / "fulfillment" / side).is_dir()
        assert (TESTS / "fulfillment" / side / "__init__.py").is_file(), side


def test_no_test_file_sits_beside_the_top_level_conftest():
    """Top-level test areas are directories (channelhub/, fulfillment/, browser/, e2e/...)."""
    assert sorted(p.name for p in TESTS.glob("test_*.py")) == []
