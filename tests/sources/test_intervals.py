"""Order rules of the contracts' intervals: a row that ends before it starts is quarantined."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sources import employment
from sources.contracts import Contract, Interval
from sources.readers import Cells, read_csv
from sources.registry import ALL_CONTRACTS
from sources.synthetic import writers
from sources.validate import ISO, QUARANTINE_COLUMNS
from tests.sources.validation import run

WITH_INTERVALS = [c for c in ALL_CONTRACTS if c.intervals]


def test_every_source_with_start_and_end_dates_declares_its_interval():
    assert {(c.table, i.start, i.end) for c in WITH_INTERVALS for i in c.intervals} == {
        ("population__residents", "move_in_date", "move_out_date"),
        ("employment__benefits", "start_date", "end_date"),
        ("housing__tenancies", "move_in_date", "move_out_date"),
        ("health__rehabilitation", "start_date", "end_date"),
    }


def test_an_interval_needs_two_date_columns_of_the_contract():
    with pytest.raises(ValueError, match="needs two date columns"):
        Contract(**{**vars(employment.BENEFITS), "intervals": (Interval("start_date", "x"),)})


def _valid_cell(column, row: int) -> str:
    """A value that passes the column's own checks, distinct per row for text and CPR."""
    return {
        "cpr": f"010190-{1000 + row}",
        "text": f"X{row}",
        "enum": column.allowed[0] if column.allowed else "",
        "int": "1",
        "decimal": "0.5",
        "yes_no": "ja",
        "date": "2025-01-01",
    }[column.kind]


def _delivery(contract: Contract, dates: list[tuple[str, str]]) -> Cells:
    """ISO text cells (as the SQL and HTTP readers give) with the interval's dates per row."""
    (interval,) = contract.intervals
    header = {c.name: c.header for c in contract.columns}
    rows = []
    for n, (start, end) in enumerate(dates):
        row = {c.header: _valid_cell(c, n) for c in contract.columns}
        row[header[interval.start]], row[header[interval.end]] = start, end
        rows.append(row)
    frame = pd.DataFrame(rows, columns=contract.headers, dtype=str)
    lines = np.arange(1, len(rows) + 1, dtype=np.int64)
    return Cells(frame, lines, pd.DataFrame(columns=QUARANTINE_COLUMNS), ISO, "hand-made")


@pytest.mark.parametrize("contract", WITH_INTERVALS, ids=lambda c: c.table)
def test_only_the_inverted_row_is_quarantined_with_columns_and_values(contract):
    (interval,) = contract.intervals
    header = {c.name: c.header for c in contract.columns}
    start, end = header[interval.start], header[interval.end]
    cells = _delivery(
        contract,
        [
            ("2025-03-10", "2025-03-01"),  # record 1: ends nine days before it starts
            ("2025-03-10", "2025-03-10"),  # record 2: one day, loaded
            ("2025-03-10", ""),  # record 3: open, loaded
        ],
    )
    result = run(cells, contract)
    assert result.records["source_line"].tolist() == [2, 3]
    assert result.records[interval.end].tolist() == [dt.date(2025, 3, 10), None]
    assert result.quarantine.values.tolist() == [
        [
            1,
            f"{start},{end}",
            "2025-03-10,2025-03-01",
            f"interval ends before it starts: {end} 2025-03-01 is before {start} 2025-03-10",
        ]
    ]
    assert result.rows_read == 3


def test_a_benefit_spell_ending_before_it_starts_is_quarantined_from_a_danish_csv(tmp_path):
    path = tmp_path / "ydelser.csv"
    spells = pd.DataFrame(
        [
            ("010190-1001", "kontanthjælp", dt.date(2025, 3, 17), dt.date(2025, 3, 2), 1.0),
            ("010190-1002", "dagpenge", dt.date(2025, 3, 1), None, 0.5),
        ],
        columns=employment.BENEFITS.headers,
    )
    writers.write_csv(path, spells, employment.BENEFITS, "utf-8-sig")
    result = run(read_csv(path, employment.BENEFITS), employment.BENEFITS)
    assert result.records["benefit_type"].tolist() == ["dagpenge"]
    assert result.quarantine.values.tolist() == [
        [
            2,
            "startdato,slutdato",
            "17-03-2025,02-03-2025",
            "interval ends before it starts: slutdato 02-03-2025 is before startdato 17-03-2025",
        ]
    ]
