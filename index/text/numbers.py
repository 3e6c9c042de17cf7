"""One pattern for an amount as a single token, shared by the diff (word
tokens, number changes) and the entity clean-up (a name that is only a
number): a currency, letter-prefixed or not ("£", "US$", "HK$"), digits with
their thousands separators and decimals, and a unit glued on ("bn", "kg",
"km", "%", "°C", "C").

The group is atomic: when what follows is still a word character the match
fails as a whole rather than backing up past a decimal point or a thousands
separator ("2.5kg" is never "2" and "5kg"). Values are compared exactly
(:class:`~decimal.Decimal`), never as floats: a 400-digit number is itself.
"""

from __future__ import annotations

import re
from decimal import Decimal

CURRENCY = r"(?:[A-Z]{1,2})?[$£€¥]"
# a minus sign in front ("-5", "−3.2%"), not the dash of a score or a range ("3-1")
SIGN = r"(?:(?<![\w.,\-−])[-−](?=[\d$£€¥A-Z]))"
DIGITS = r"\d+(?:[.,]\d+)*"
UNIT = r"(?:[^\W\d_]+|%|°[CFcf]?)"


def amount_pattern(unit: str = UNIT) -> str:
    """The amount pattern (regex source) with ``unit`` as what may follow the
    digits directly."""
    return rf"(?>{SIGN}?(?:{CURRENCY})?{DIGITS}{unit}?)(?!\w)"


AMOUNT = amount_pattern()
_PLAIN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def value(digits: str) -> Decimal | str:
    """The exact value of a run of digits ("1,500" = 1500, "2.50" = 2.5); a
    run that is not one number ("12.03.2024", "1,50") is kept as written."""
    if _PLAIN.fullmatch(digits):
        return Decimal(digits.replace(",", ""))
    return digits
