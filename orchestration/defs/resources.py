"""The code location's resources and executor.

Storage paths and source addresses come from environment variables read when a run
starts (README "Configuration"); nothing is read at import.
"""

import sys
from pathlib import Path

import dagster as dg

from orchestration.defs.dbt import DBT_PROJECT_DIR, KvarterDbtCli, dbt_project
from orchestration.resources import KvarterStorage


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "storage": KvarterStorage.from_env_vars(),
            "dbt": KvarterDbtCli(
                project_dir=dbt_project,
                profiles_dir=DBT_PROJECT_DIR,
                # The venv's dbt, also when the venv's bin/ is not on PATH.
                dbt_executable=str(Path(sys.executable).parent / "dbt"),
            ),
        },
        # Steps run one after another in the run's process: most of them write the one
        # DuckDB warehouse, and a subprocess per step would cost more than it saves.
        executor=dg.in_process_executor,
    )
