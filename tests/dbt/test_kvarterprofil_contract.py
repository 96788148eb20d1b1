from pathlib import Path

import yaml

from orchestration.kvarterprofil_contract import render

CONTRACT = Path(__file__).resolve().parents[2] / "dbt_project/models/marts/_kvarterprofil.yml"


def test_committed_kvarterprofil_contract_follows_the_catalogue():
    assert CONTRACT.read_text() == render(), (
        "run: .venv/bin/python -m orchestration.kvarterprofil_contract > " + str(CONTRACT)
    )


def test_contract_has_three_columns_per_indicator(tmp_path):
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text("indicator_id,name_en,unit\nb_rate,B rate,pct\na_count,A count,count\n")
    [model] = yaml.safe_load(render(catalogue))["models"]
    columns = [column["name"] for column in model["columns"]]
    assert columns == [
        "area_id", "area_name", "area_level",
        "a_count", "a_count_change_12m", "a_count_rank",
        "b_rate", "b_rate_change_12m", "b_rate_rank",
        "period",
    ]
