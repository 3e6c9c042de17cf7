"""Names the engine and its callers share, each kept once: entity labels and
the headings they are shown under, the query fields that search entities
and the labels each covers, and the entity extractors one can choose.

Plain data (no import): the reader's sidebar, the CLI and the config read it
through ``index``; the query parser, entity search and the extractors here.
"""

from __future__ import annotations

# The labels an article's entities are shown under, in this order (spaCy's;
# numeric ones, CARDINAL, MONEY, ..., are left out: they say little about who
# or what an article is about), and each one's heading.
LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "WORK_OF_ART", "LAW",
          "PRODUCT", "DATE")
LABEL_NAMES = {
    "PERSON": "People", "ORG": "Organisations", "GPE": "Places", "LOC": "Locations",
    "NORP": "Groups", "FAC": "Facilities", "EVENT": "Events", "WORK_OF_ART": "Works",
    "LAW": "Laws", "PRODUCT": "Products", "DATE": "Dates",
}

# Query-language fields that search entities, and the labels each covers
# (``entity:`` any label).
ENTITY_FIELDS: dict[str, tuple[str, ...] | None] = {
    "person": ("PERSON",),
    "org": ("ORG",),
    "place": ("GPE", "LOC", "FAC"),
    "entity": None,
}


def search_field(label: str) -> str:
    """The query field that searches entities of ``label``."""
    return next((f for f, labels in ENTITY_FIELDS.items() if labels and label in labels),
                "entity")


# The kinds of version pair (index.versions), and the query fields that pick
# the articles with versions: ``has:versions`` (any), ``kind:rewrite`` (a
# version of that kind). Each becomes the set of articles it names.
PAIR_KINDS = ("copy", "near-copy", "rewrite")
VERSION_FIELDS: dict[str, tuple[str, ...]] = {"has": ("versions",), "kind": PAIR_KINDS}

# The query field that picks the articles in a language: ``lang:de`` (a tag
# as the articles give it; "en" is "en-us" and "en-gb" too).
LANGUAGE_FIELD = "lang"


# The entity extractors: "auto" is spaCy when a model is installed, else the rules.
EXTRACTORS = ("auto", "spacy", "rules")

# The formats a diff is exported in (index.export), each with its file
# extension. (Here: the CLI names them in its options, and must not import the
# export, the diff report and their classes to start the reader.)
EXPORT_FORMATS = {"html": "html", "md": "md"}


def or_list(names) -> str:
    """Names as a message lists them: ``("a", "b", "c")`` is "a, b or c"."""
    names = list(names)
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)


def delay_label(seconds: float | None) -> str:
    """A delay after the first publication as people say it: "+40 min",
    "+3 h", "+2 d" (rounded down); "date unknown" for None."""
    if seconds is None:
        return "date unknown"
    minutes = max(int(seconds // 60), 0)
    if minutes < 60:
        return f"+{minutes} min"
    if minutes < 48 * 60:
        return f"+{minutes // 60} h"
    return f"+{minutes // (24 * 60)} d"
