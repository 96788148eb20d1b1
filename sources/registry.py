"""Every entity the warehouse extracts, by system."""

from sources import children_youth, employment, health, housing, national, population
from sources.contracts import Contract

ALL_CONTRACTS: tuple[Contract, ...] = (
    *population.CONTRACTS,
    *employment.CONTRACTS,
    *children_youth.CONTRACTS,
    *housing.CONTRACTS,
    *health.CONTRACTS,
    *national.CONTRACTS,
)
MONTHLY = tuple(c for c in ALL_CONTRACTS if c.cadence == "monthly")
YEARLY = tuple(c for c in ALL_CONTRACTS if c.cadence == "yearly")
