"""The primary disclosure rule, checked independently of the SQL that applies it.

The thresholds are the seed `dbt_project/seeds/disclosure_rules.csv`, the one place they
are written: the fact's SQL, this check (the GX suite) and the auditor all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
RULES_SEED = SEEDS / "disclosure_rules.csv"


@dataclass(frozen=True)
class DisclosureRules:
    min_count: int
    min_complement: int
    min_denominator: int
    protection_level: int
    explanation_da: str


def load_rules(path: Path = RULES_SEED) -> DisclosureRules:
    [row] = pd.read_csv(path).to_dict("records")
    return DisclosureRules(**{k: (v if k == "explanation_da" else int(v)) for k, v in row.items()})


def primary_violation(
    numerator: pd.Series,
    denominator: pd.Series,
    rules: DisclosureRules | None = None,
    min_denominator: pd.Series | None = None,
) -> pd.Series:
    """True where publishing the cell would break the primary rule; `min_denominator`
    (per row, from the catalogue) overrides the rules' default where given."""
    rules = rules or load_rules()
    smallest = pd.Series(rules.min_denominator, index=denominator.index, dtype=float)
    if min_denominator is not None:
        smallest = min_denominator.astype(float).fillna(smallest)
    complement = denominator - numerator
    return (
        ((numerator > 0) & (numerator < rules.min_count))
        | (denominator.notna() & (denominator < smallest))
        | ((complement > 0) & (complement < rules.min_complement))
    ).fillna(False)
