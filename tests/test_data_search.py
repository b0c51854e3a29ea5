"""MoleculeSearch: positions, gdb_N names and formulas, stepping through formula matches."""

import pytest

from equiview.core.data import MoleculeSearch, SearchHit


@pytest.fixture(scope="module")
def search(dataset):
    return MoleculeSearch(dataset)


def test_names_and_positions_go_straight_to_the_molecule(search):
    assert search.search("gdb_814", 0).index == 800
    assert search.search("800", 0).index == 800
    assert search.search("  dsgdb9nsd_000814 ").index == 800
    hit = search.search("gdb_814", 0)
    assert not hit.by_formula and hit.status == "gdb_814 → #800"


def test_formula_search_steps_through_matches_and_wraps(search, dataset):
    hits = search.matches("C5H7NO")
    assert 800 in hits and hits == sorted(hits) and len(hits) > 1
    assert all(search.formula_of(i) == "C5H7NO" for i in hits)
    first = search.search("c5h7no", 800)  # case and blanks ignored
    assert first.by_formula and first.index == min(i for i in hits if i > 800)
    assert first.count == len(hits) and first.match == hits.index(first.index) + 1
    assert first.status == f"c5h7no: match {first.match} of {len(hits)}"
    assert search.search("C5 H7 N O", hits[-1]).index == hits[0]  # past the last match: back to the first
    assert search.search("CH4", -1) == SearchHit("CH4", 0, match=1, count=1, by_formula=True)


def test_formula_of_agrees_with_the_table(dataset):
    fresh = MoleculeSearch(dataset)
    assert fresh.formula_of(800) == "C5H7NO"  # without building the table
    assert fresh.formulas()[800] == "C5H7NO" and len(fresh.formulas()) == len(dataset)


@pytest.mark.parametrize(
    "query, fragment",
    [
        ("", "type a molecule position"),
        ("   ", "type a molecule position"),
        ("Xe2", "no molecule with formula"),
        ("gdb_99999999", "gdb_99999999"),
        ("99999", "out of range"),
    ],
)
def test_misses_are_one_line_key_errors(search, query, fragment):
    with pytest.raises(KeyError, match=fragment) as error:
        search.search(query, 0)
    assert "\n" not in str(error.value.args[0])
