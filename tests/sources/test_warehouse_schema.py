"""A warehouse built by an older contract fails naming the table and the columns."""

import duckdb
import pytest

from sources.contracts import Column, Contract
from sources.employment import BENEFITS
from sources.warehouse import SchemaMismatch, create_raw_tables


def test_an_older_raw_table_fails_naming_table_and_columns(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create schema raw")
        con.execute(f"create table raw.{BENEFITS.table} (person_key varchar, period date)")
        with pytest.raises(SchemaMismatch, match=rf"raw\.{BENEFITS.table} has columns "
                           r"\['person_key varchar', 'period date'\].*older version"):
            create_raw_tables(con, (BENEFITS,))


def test_a_retyped_column_fails_too(tmp_path):
    # Person keys were 64 hex characters of text before they were UUIDs: a new key would
    # be cast to text and sit beside the old ones, so the same person would be two.
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        create_raw_tables(con, (BENEFITS,))
        con.execute(f"alter table raw.{BENEFITS.table} alter person_key type varchar")
        with pytest.raises(SchemaMismatch, match=r"'person_key varchar'.*'person_key uuid'"):
            create_raw_tables(con, (BENEFITS,))


def test_a_current_warehouse_passes_twice(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        create_raw_tables(con, (BENEFITS,))
        create_raw_tables(con, (BENEFITS,))


@pytest.mark.parametrize("name", ["part", "source_line", "period", "reason"])
def test_a_contract_column_may_not_take_a_name_the_validator_or_lineage_uses(name):
    with pytest.raises(ValueError, match=f"column name\\(s\\) {name} are reserved"):
        Contract(
            system="test",
            entity="x",
            fmt="csv",
            source="x.csv",
            description="test",
            key=(name,),
            columns=(Column("a", name, "text"),),
        )
