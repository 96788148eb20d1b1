"""`kvarter run` names the cause of a failed step, not only Dagster's wrapper."""

import dagster as dg

from orchestration.cli import failure_lines


def test_a_failed_step_is_reported_with_its_cause():
    @dg.asset
    def residents():
        raise ValueError("borgere.csv line 7: birth date 31-02-1990 does not exist")

    result = dg.materialize([residents], raise_on_error=False)

    [line] = failure_lines(result)
    assert line.startswith("step residents failed: ")
    assert 'Error occurred while executing op "residents"' in line
    assert line.endswith("ValueError: borgere.csv line 7: birth date 31-02-1990 does not exist")
