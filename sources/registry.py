"""Every delivered file the warehouse extracts, by system."""

from sources import children_youth, employment, health, housing, population
from sources.contracts import Contract

ALL_CONTRACTS: tuple[Contract, ...] = (
    *population.CONTRACTS,
    *employment.CONTRACTS,
    *children_youth.CONTRACTS,
    *housing.CONTRACTS,
    *health.CONTRACTS,
)
