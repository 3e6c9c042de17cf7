"""Character spans (index.text.spans): one merging rule for every kind of span."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from index.models import Entity
from index.nlp import entities as E
from index.text.spans import merge_spans


def test_overlapping_spans_merge_and_touching_ones_stay_apart():
    assert merge_spans([(5, 9), (0, 3), (3, 5)]) == [(0, 3), (3, 5), (5, 9)]
    assert merge_spans([(0, 4), (3, 6), (6, 8)]) == [(0, 6), (6, 8)]
    assert merge_spans([(0, 10), (2, 3), (2, 12)]) == [(0, 12)]  # nested, then longer
    assert merge_spans([(4, 6), (4, 6)]) == [(4, 6)]
    assert merge_spans([]) == []


def test_an_entitys_mentions_are_the_spans_the_reader_selects():
    """The sidebar brings the k-th mention of an entity into view by its
    index in the spans the reader merged: entities merge mentions by the
    same rule (they kept touching names apart while the reader joined them)."""
    one = E._merge_same_name([Entity("Acme", "ORG", ((0, 4),)),
                              Entity("ACME", "ORG", ((4, 8), (10, 14)))])
    assert [e.mentions for e in one] == [((0, 4), (4, 8), (10, 14))]
    assert merge_spans(one[0].mentions) == list(one[0].mentions)


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 20)).map(
    lambda t: (t[0], t[0] + t[1])), max_size=30))
def test_merged_spans_cover_the_same_characters_without_overlap(spans):
    merged = merge_spans(spans)
    assert merged == sorted(merged) and merge_spans(merged) == merged
    assert all(a[1] <= b[0] for a, b in pairwise(merged))
    covered = {i for s, e in spans for i in range(s, e)}
    assert covered == {i for s, e in merged for i in range(s, e)}
