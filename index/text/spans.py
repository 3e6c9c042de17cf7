"""Character spans into an article's text."""

from __future__ import annotations

from collections.abc import Iterable


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Character spans sorted, overlapping ones merged (one nested in another
    is dropped); spans that only touch stay apart.

    The one rule for an entity's mentions, hits and the reader's highlights:
    two names side by side are two mentions, and the reader's k-th selected
    span is the entity's k-th mention."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s < merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged
