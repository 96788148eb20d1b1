"""The extract's log: one line per committed batch, the months with quarantine named."""

import datetime as dt

from orchestration.defs.extract import _batch_message
from sources.employment import BENEFITS
from sources.warehouse import LoadStats

JAN, FEB, MAR = (dt.date(2025, m, 1) for m in (1, 2, 3))


def test_a_batch_of_months_is_one_line_with_its_totals_and_quarantined_months():
    batch = [(JAN, LoadStats(10, 10, 0)), (FEB, LoadStats(7, 5, 2)), (MAR, LoadStats(3, 2, 1))]
    assert _batch_message(BENEFITS, batch) == (
        "employment__benefits 2025-01 to 2025-03 (3 period(s)): read 20, loaded 17, "
        "quarantined 3 (2025-02 2, 2025-03 1)"
    )


def test_a_month_alone_is_named_once():
    assert _batch_message(BENEFITS, [(FEB, LoadStats(7, 5, 2))]) == (
        "employment__benefits 2025-02 (1 period(s)): read 7, loaded 5, quarantined 2"
    )
