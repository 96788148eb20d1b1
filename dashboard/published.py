"""Parameterised, read-only queries on the published copy, in portable SQL.

The dashboard reads nothing else: every number it shows has passed disclosure control
and the auditor.

Each query opens its own read-only connection and closes it: a publish swaps a new file
in under the same name (os.replace), and a connection held open would keep reading the
old one for ever. `stamp()` tells a cache when the file was replaced.
"""

import os
from pathlib import Path

import duckdb
import pandas as pd

BUILD = "(`kvarter run`, eller `make demo` med de syntetiske data)"
# The tables this dashboard reads; a copy from an older build may lack some.
TABLES = (
    "alert_episodes",
    "alert_transitions",
    "area_geometry",
    "dim_area",
    "dim_housing_department",
    "disclosure_rules",
    "fct_area_indicator_month",
    "indicator_catalogue",
    "kvarterprofil",
    "signals",
    "statutory_criteria",
)
# Columns later builds added to those tables, which the dashboard reads.
ADDED_COLUMNS = {"alert_episodes": ("onset_month",), "statutory_criteria": ("preliminary",)}


class PublishedError(Exception):
    """The published copy is absent or from an older build; the message says so in Danish."""


class Published:
    def __init__(self, path: Path | str):
        self.path = str(path)
        if not Path(path).exists():
            raise PublishedError(
                f"Der er ingen offentliggjort kopi i {path}. Den laves af publiceringen {BUILD}."
            )

    def stamp(self) -> tuple[int, int]:
        """The file's identity: a publish replaces it, so the inode and mtime change."""
        status = os.stat(self.path)
        return status.st_ino, status.st_mtime_ns

    def check(self) -> None:
        columns = self._frame("select table_name, column_name from information_schema.columns")
        present = set(columns["table_name"])
        missing = sorted(set(TABLES) - present) + sorted(
            f"{table}.{column}"
            for table, added in ADDED_COLUMNS.items()
            for column in added
            if table in present
            and column not in set(columns.loc[columns["table_name"] == table, "column_name"])
        )
        if missing:
            raise PublishedError(
                f"Den offentliggjorte kopi i {self.path} er fra en ældre version og mangler "
                f"{', '.join(missing)}. Byg den igen med publiceringen {BUILD}."
            )

    def _frame(self, sql: str, parameters: list | None = None) -> pd.DataFrame:
        try:
            with duckdb.connect(self.path, read_only=True) as con:
                return con.execute(sql, parameters or []).df()
        except (duckdb.IOException, duckdb.SerializationException) as error:
            why = (
                "et andet program har den åben med skriveadgang (åbn den med read_only=True)"
                if "Conflicting lock" in str(error)
                else "filen er beskadiget eller ufuldstændig"
            )
            raise PublishedError(
                f"Den offentliggjorte kopi i {self.path} kan ikke læses: {why}. Prøv igen om"
                " lidt; sker det igen, så kontakt datateamet."
            ) from error

    def catalogue(self) -> pd.DataFrame:
        return self._frame(
            "select indicator_id, name_da, definition, numerator, denominator, unit,"
            " display_scale, worse_when from indicator_catalogue order by indicator_id"
        )

    def disclosure_explanation(self) -> str:
        return self._frame("select explanation_da from disclosure_rules").iloc[0, 0]

    def months(self) -> list:
        periods = self._frame(
            "select distinct period from fct_area_indicator_month order by period desc"
        )["period"]
        return [p.date() for p in periods]

    def areas(self) -> pd.DataFrame:
        return self._frame(
            "select area_id, area_name, area_level, housing_departments from dim_area"
            " where area_level = 'area' order by area_name"
        )

    def geometry(self) -> pd.DataFrame:
        return self._frame(
            "select g.area_id, a.area_name, g.geometry_geojson from area_geometry as g"
            " inner join dim_area as a on g.area_id = a.area_id"
        )

    def indicator_month(self, indicator_id: str, period) -> pd.DataFrame:
        """Every area's published cell of one indicator and month."""
        return self._frame(
            "select f.area_id, a.area_name, a.area_level, f.numerator, f.denominator,"
            " f.value, f.municipality_value, f.suppressed"
            " from fct_area_indicator_month as f"
            " inner join dim_area as a on f.area_id = a.area_id"
            " where f.indicator_id = ? and f.period = ?",
            [indicator_id, period],
        )

    def indicator_series(self, indicator_id: str) -> pd.DataFrame:
        return self._frame(
            "select f.area_id, a.area_name, f.period, f.value, f.suppressed"
            " from fct_area_indicator_month as f"
            " inner join dim_area as a on f.area_id = a.area_id"
            " where f.indicator_id = ? order by f.period",
            [indicator_id],
        )

    def area_profile(self, area_id: str, period) -> pd.DataFrame:
        """Every indicator of one area and month, with the municipality, the change over
        12 months and the rank among the areas (from the Kvarterprofil)."""
        cells = self._frame(
            "select f.indicator_id, c.name_da, c.unit, c.display_scale, c.worse_when,"
            " f.value, f.municipality_value, f.suppressed"
            " from fct_area_indicator_month as f"
            " inner join indicator_catalogue as c on f.indicator_id = c.indicator_id"
            " where f.area_id = ? and f.period = ? order by f.indicator_id",
            [area_id, period],
        )
        profile = self._frame(
            "select * from kvarterprofil where area_id = ? and period = ?", [area_id, period]
        )
        if profile.empty:
            cells["change_12m"], cells["rank"] = None, None
            return cells
        row = profile.iloc[0]
        cells["change_12m"] = [row.get(f"{i}_change_12m") for i in cells["indicator_id"]]
        cells["rank"] = [row.get(f"{i}_rank") for i in cells["indicator_id"]]
        return cells

    def area_series(self, area_id: str, indicator_id: str) -> pd.DataFrame:
        return self._frame(
            "select period, value, municipality_value, suppressed"
            " from fct_area_indicator_month"
            " where area_id = ? and indicator_id = ? order by period",
            [area_id, indicator_id],
        )

    def statutory(self, list_year: int | None = None) -> pd.DataFrame:
        sql = (
            "select s.*, a.area_name from statutory_criteria as s"
            " inner join dim_area as a on s.area_id = a.area_id"
        )
        if list_year is None:
            return self._frame(sql + " order by s.list_year, a.area_name")
        return self._frame(sql + " where s.list_year = ? order by a.area_name", [list_year])

    def housing_departments(self, area_id: str) -> pd.DataFrame:
        return self._frame(
            "select housing_department, valid_from, valid_to, max_dwellings"
            " from dim_housing_department where area_id = ? and valid_to is null"
            " order by housing_department",
            [area_id],
        )

    def episodes(self) -> pd.DataFrame:
        """Every published alert episode, open ones first, with the signal of the latest
        month (published: states and months only, no rates behind them)."""
        return self._frame(
            "select e.episode_id, e.area_id, a.area_name, e.indicator_id, c.name_da,"
            " c.display_scale, e.state, e.start_month, e.onset_month, e.end_month, s.severity"
            " from alert_episodes as e"
            " inner join dim_area as a on e.area_id = a.area_id"
            " inner join indicator_catalogue as c on e.indicator_id = c.indicator_id"
            " left join signals as s"
            " on s.area_id = e.area_id and s.indicator_id = e.indicator_id"
            " order by case when e.end_month is null then 0 else 1 end,"
            " e.end_month desc, e.start_month, a.area_name, c.name_da"
        )

    def transitions(self, episode_id: str) -> pd.DataFrame:
        return self._frame(
            "select month, from_state, to_state from alert_transitions"
            " where episode_id = ? order by step",
            [episode_id],
        )
