import pandas as pd
import pytest

from quality.disclosure import load_rules, primary_violation
from quality.suites import validate_indicator_mart

CATALOGUE = pd.DataFrame(
    {
        "indicator_id": ["emp_outside_work_edu", "pop_residents"],
        "unit": ["pct", "count"],
    }
)


def published(**overrides):
    frame = pd.DataFrame(
        {
            "area_id": ["BO01", "BO01", "BO02"],
            "period": pd.to_datetime(["2025-03-01"] * 3),
            "indicator_id": ["emp_outside_work_edu", "pop_residents", "emp_outside_work_edu"],
            "numerator": [7.0, 28.0, None],
            "denominator": [25.0, None, None],
            "value": [0.28, 28.0, None],
            "suppressed": [False, False, True],
            "suppression_reason": [None, None, "disclosure_control"],
            "municipality_value": [0.3, 40.0, 0.3],
        }
    )
    for column, (row, value) in overrides.items():
        frame.loc[row, column] = value
    return frame


def failed(result):
    return sorted((f.expectation, f.column) for f in result.failures)


def test_the_thresholds_are_the_seed():
    rules = load_rules()
    assert (rules.min_count, rules.min_complement, rules.min_denominator) == (5, 5, 20)
    assert rules.protection_level == 5


def test_the_catalogue_min_denominator_overrides_the_default():
    numerator, denominator = pd.Series([10.0, 10.0]), pd.Series([25.0, 25.0])
    assert primary_violation(
        numerator, denominator, min_denominator=pd.Series([30.0, None])
    ).tolist() == [True, False]


def test_disclosure_rules_by_hand():
    numerator = pd.Series([7.0, 3.0, 21.0, 5.0, 3.0, 0.0, None])
    denominator = pd.Series([25.0, 25.0, 25.0, 19.0, None, 25.0, 30.0])
    assert primary_violation(numerator, denominator).tolist() == [
        False,  # 7 of 25: fine
        True,  # numerator 1-4
        True,  # 25 - 21 = 4: "all but 4"
        True,  # denominator under 20
        True,  # a count of 3
        False,  # zero is not small: nobody is disclosed
        False,  # suppressed numerator (null) is not a violation
    ]


def test_a_clean_mart_passes():
    result = validate_indicator_mart("fct", published(), CATALOGUE, published=True)
    assert result.success, result.failures
    # 10 structural expectations + 6 disclosure expectations of a published mart
    assert result.evaluated == 16


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"value": (0, 1.4)}, [("expect_column_values_to_be_between", "share_value")]),
        # 30 of 25: the complement is negative, so only the pair rule catches it
        ({"numerator": (0, 30.0)}, [("expect_column_pair_values_a_to_be_greater_than_b", None)]),
        ({"value": (2, 0.1)}, [("expect_column_values_to_be_null", "value_when_suppressed")]),
        # a hidden row's denominator bounds its numerator: never published
        (
            {"denominator": (2, 40.0)},
            [("expect_column_values_to_be_null", "denominator_when_suppressed")],
        ),
        ({"numerator": (0, 3.0)}, [("expect_column_values_to_be_in_set", "disclosure_violation")]),
        ({"indicator_id": (0, "made_up")}, [("expect_column_values_to_be_in_set", "indicator_id")]),
        ({"area_id": (1, None)}, [("expect_column_values_to_not_be_null", "area_id")]),
    ],
)
def test_each_broken_rule_fails_its_expectation(override, expected):
    result = validate_indicator_mart("fct", published(**override), CATALOGUE, published=True)
    assert not result.success
    assert failed(result) == expected


def test_duplicate_keys_fail():
    frame = pd.concat([published(), published().iloc[[0]]], ignore_index=True)
    result = validate_indicator_mart("fct", frame, CATALOGUE, published=True)
    assert failed(result) == [("expect_compound_columns_to_be_unique", None)]


def test_a_lone_suppressed_cell_next_to_a_published_total_fails():
    # BO02's suppressed cell = municipality 10 - BO01 7: recoverable by subtraction.
    total = pd.DataFrame(
        {
            "area_id": ["municipality"],
            "period": pd.to_datetime(["2025-03-01"]),
            "indicator_id": ["emp_outside_work_edu"],
            "numerator": [10.0],
            "denominator": [65.0],
            "value": [10 / 65],
            "suppressed": [False],
            "suppression_reason": [None],
            "municipality_value": [10 / 65],
        }
    )
    frame = pd.concat([published(), total], ignore_index=True)
    result = validate_indicator_mart("fct", frame, CATALOGUE, published=True)
    assert failed(result) == [("expect_column_values_to_be_in_set", "lone_suppressed_cell_exposed")]
