"""The tables the pages show (Danish text) and export (numbers in their display unit).

A hidden cell is empty in both, never zero.
"""

import pandas as pd

from dashboard.danish import indicator_change, indicator_value, month, number

SEVERITY = {"alarm": "Alarm", "watch": "Skærpet opmærksomhed"}
CRITERIA = [
    ("c1", "Kriterium 1: uden for arbejde eller uddannelse", "c1_outside_work_edu"),
    ("c2", "Kriterium 2: dømte i forhold til landsplan", "c2_conviction_ratio"),
    ("c3", "Kriterium 3: kun grundskole", "c3_basic_education"),
    ("c4", "Kriterium 4: indkomst i forhold til regionen", "c4_income_ratio"),
]


def _shown(rows: pd.DataFrame, column: str) -> list[str]:
    return [
        "" if r.suppressed else indicator_value(getattr(r, column), r.unit, r.display_scale)
        for r in rows.itertuples()
    ]


def municipality_figures(rows: pd.DataFrame) -> pd.DataFrame:
    """The municipality's row of `area_profile`, as text."""
    return pd.DataFrame({"Indikator": rows["name_da"], "Værdi": _shown(rows, "value")})


def municipality_export(rows: pd.DataFrame) -> pd.DataFrame:
    scale = rows["display_scale"].astype(float)
    return pd.DataFrame(
        {
            "Indikator": rows["name_da"],
            "Enhed": rows["unit"],
            "Værdi": (rows["value"] * scale).where(~rows["suppressed"].astype(bool)),
        }
    )


def profile_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Every indicator of the area, hidden cells empty (never zero)."""
    return pd.DataFrame(
        {
            "Indikator": rows["name_da"],
            "Området": _shown(rows, "value"),
            "Hele kommunen": [
                indicator_value(r.municipality_value, r.unit, r.display_scale)
                for r in rows.itertuples()
            ],
            "Ændring 12 mdr.": [
                indicator_change(r.change_12m, r.unit, r.display_scale) for r in rows.itertuples()
            ],
            "Placering": [number(r.rank, 0) for r in rows.itertuples()],
        }
    )


def profile_export(rows: pd.DataFrame) -> pd.DataFrame:
    """The area's indicators as numbers in their display unit; a hidden cell is empty."""
    scale = rows["display_scale"].astype(float)
    return pd.DataFrame(
        {
            "Indikator": rows["name_da"],
            "Enhed": rows["unit"],
            "Området": (rows["value"] * scale).where(~rows["suppressed"].astype(bool)),
            "Hele kommunen": rows["municipality_value"] * scale,
            "Ændring 12 mdr.": pd.to_numeric(rows["change_12m"]) * scale,
            "Placering": pd.to_numeric(rows["rank"]),
        }
    )


def month_export(cells: pd.DataFrame, scale: int) -> pd.DataFrame:
    """Every area's cell of one indicator and month; a hidden cell is empty."""
    shown = ~cells["suppressed"].astype(bool)
    return pd.DataFrame(
        {
            "Område": cells["area_name"],
            "Tæller": cells["numerator"].where(shown),
            "Nævner": cells["denominator"].where(shown),
            "Værdi": (cells["value"] * scale).where(shown),
        }
    )


def month_table(cells: pd.DataFrame, unit: str, scale: int) -> pd.DataFrame:
    """`month_export` as Danish text."""
    shown = ~cells["suppressed"].astype(bool)
    return pd.DataFrame(
        {
            "Område": cells["area_name"],
            "Tæller": [number(v) if s else "" for v, s in zip(cells["numerator"], shown)],
            "Nævner": [number(v, 0) if s else "" for v, s in zip(cells["denominator"], shown)],
            "Værdi": _shown(cells.assign(unit=unit, display_scale=scale), "value"),
        }
    )


def latest_decided_year(statutory: pd.DataFrame) -> int:
    """The latest list year with its national file (a preliminary one knows criterion 1
    alone), or the latest of all when none has it."""
    decided = statutory[~statutory["preliminary"]]
    return int((decided if len(decided) else statutory)["list_year"].max())


def status_table(statutory: pd.DataFrame) -> pd.DataFrame:
    """Each area's classification in the latest list year with its national file, with
    the criteria met and those unknown or hidden (0 met says little beside 3 unknown)."""
    latest = statutory[statutory["list_year"] == latest_decided_year(statutory)]
    columns = ["area_name", "list_year", "classification", "criteria_met", "criteria_unknown"]
    return latest[columns].rename(
        columns={
            "area_name": "Område",
            "list_year": "Listeår",
            "classification": "Status",
            "criteria_met": "Kriterier opfyldt",
            "criteria_unknown": "Ukendte eller skjulte",
        }
    )


def statutory_export(rows: pd.DataFrame) -> pd.DataFrame:
    """The criteria as numbers (withheld and unknown values empty)."""
    table = {
        "Område": rows["area_name"],
        "Listeår": rows["list_year"],
        "Status": rows["classification"],
        "Foreløbig": ["ja" if p else "nej" for p in rows["preliminary"]],
    }
    for key, label, column in CRITERIA:
        table[label] = rows[column]
        table[f"{label}: afstand til grænsen"] = rows[f"{key}_distance"]
    return pd.DataFrame(table)


def criteria_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The four criteria per row (area and list year) with the distance to each
    threshold, in Danish number format."""
    table = statutory_export(rows)
    for column in table.columns[4:]:
        table[column] = [number(v, 3) for v in table[column]]
    return table


def closest_first(rows: pd.DataFrame) -> pd.DataFrame:
    """Areas closest to a threshold first: the smallest distance of any criterion not met."""
    distances = rows[[f"{key}_distance" for key, *_ in CRITERIA]]
    closest = distances.where(distances < 0).abs().min(axis=1)
    return rows.assign(closest=closest).sort_values("closest", na_position="last")


def departments_table(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Boligafdeling": rows["housing_department"],
            "Gyldig fra": pd.to_datetime(rows["valid_from"]).dt.date,
            "Boliger": rows["max_dwellings"],
        }
    )


# The estimated onset, as the digests' "siden" says it (empty where its month is hidden);
# "Åbnet" is the month the episode opened, "Afsluttet" the month it ended.
ONSET = "Ændret siden"


def _months(days: pd.Series) -> list[str]:
    return ["" if pd.isna(d) else month(d) for d in days]


def open_episodes_table(episodes: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Område": episodes["area_name"],
            "Indikator": episodes["name_da"],
            "Tilstand": episodes["state"],
            "Åbnet": _months(episodes["start_month"]),
            ONSET: _months(episodes["onset_month"]),
            "Signal i seneste måned": episodes["severity"].map(SEVERITY).fillna(""),
        }
    )


def past_episodes_table(episodes: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Område": episodes["area_name"],
            "Indikator": episodes["name_da"],
            "Åbnet": _months(episodes["start_month"]),
            ONSET: _months(episodes["onset_month"]),
            "Afsluttet": _months(episodes["end_month"]),
        }
    )


def transitions_table(transitions: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Måned": [month(d) for d in transitions["month"]],
            "Fra": transitions["from_state"].fillna(""),
            "Til": transitions["to_state"],
        }
    )
