"""A landing folder that is not a period, or a period without a partition, is named and
left out; the other deliveries are still found."""

import datetime as dt

from sources.employment import BENEFITS
from sources.landing import delivered_periods
from sources.national import AREA_STATISTICS

FIRST, LAST = dt.date(2021, 1, 1), dt.date(2025, 6, 1)


def deliver(landing, system, folder, file):
    (landing / system / folder).mkdir(parents=True)
    (landing / system / folder / file).write_text("x")


def test_folders_that_are_no_period_with_a_partition_are_named_and_the_rest_is_read(tmp_path):
    for folder in ("2025-03", "2025-13", "2025-3", "2020-12", "2025-07"):
        deliver(tmp_path, "employment", folder, "ydelser.csv")
    (tmp_path / "employment" / "2025-14").mkdir()  # holds no delivery: nothing to say
    folder = tmp_path / "employment"
    assert delivered_periods(tmp_path, BENEFITS, FIRST, LAST) == (
        [dt.date(2025, 3, 1)],
        [
            f"{folder}/2020-12/ydelser.csv: not read: 2020-12 is before the first period, "
            "2021-01 (KVARTER_FIRST_MONTH)",
            f"{folder}/2025-07/ydelser.csv: not read: 2025-07 has no partition yet "
            "(the latest is 2025-06)",
            f"{folder}/2025-13/ydelser.csv: not read: 2025-13 is not a month (YYYY-MM, "
            "month 01-12)",
            f"{folder}/2025-3/ydelser.csv: not read: 2025-3 is not a month (YYYY-MM, month 01-12)",
        ],
    )


def test_a_yearly_folder_must_be_a_year(tmp_path):
    for folder in ("2024", "2024-01"):
        deliver(tmp_path, "national", folder, "boligomraader.csv")
    assert delivered_periods(tmp_path, AREA_STATISTICS, FIRST, LAST) == (
        [dt.date(2024, 1, 1)],
        [f"{tmp_path}/national/2024-01/boligomraader.csv: not read: 2024-01 is not a year (YYYY)"],
    )


def test_year_zero_and_other_scripts_digits_are_no_period(tmp_path):
    # '0000-01' has no date (it stopped the whole run); '٢٠٢٥-03' has Arabic-Indic digits,
    # which \d would take and delivery_path would then spell as another folder.
    for folder in ("0000-01", "٢٠٢٥-03", "2025-03"):
        deliver(tmp_path, "employment", folder, "ydelser.csv")
    periods, skipped = delivered_periods(tmp_path, BENEFITS, FIRST, LAST)
    assert periods == [dt.date(2025, 3, 1)]
    assert [message.split(": not read: ")[1] for message in skipped] == [
        "0000-01 is not a month (YYYY-MM, month 01-12)",
        "٢٠٢٥-03 is not a month (YYYY-MM, month 01-12)",
    ]
