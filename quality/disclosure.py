"""Disclosure control rules, checked independently of the SQL that applies them."""

from __future__ import annotations

import pandas as pd


def primary_violation(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """True where publishing the cell would break the primary suppression rules."""

    def small(x: pd.Series) -> pd.Series:
        return (x > 0) & (x < 5)

    with_denominator = denominator.notna()
    return (
        (~with_denominator & small(numerator))
        | (with_denominator & (denominator < 20))
        | (with_denominator & small(numerator))
        | (with_denominator & small(denominator - numerator))
    ).fillna(False)
