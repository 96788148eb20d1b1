"""Where the pipeline reads and writes: one resource, configured from the environment.

The code location configures it with `EnvVar`s (orchestration/defs/resources.py), read
when a run starts, never at import. `kvarter` and the Makefile fill in the project's
folder layout for the variables a user leaves unset (`layout_defaults`); the source
systems' addresses have no default, so a production run never reads the demo's.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from sources.extract import SourceLocations

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# One DuckDB file takes one writer: every step that opens the warehouse is in this pool,
# which dagster.yaml limits to one step at a time.
WAREHOUSE_POOL = "kvarter_warehouse"

# Resource field -> the environment variable a deployment sets it with.
SETTINGS = {
    "landing_dir": "KVARTER_LANDING",
    "warehouse_path": "KVARTER_WAREHOUSE",
    "published_path": "KVARTER_PUBLISHED",
    "outbox_dir": "KVARTER_OUTBOX",
    "cpr_key_file": "KVARTER_CPR_KEY_FILE",
    "housing_db_url": "KVARTER_HOUSING_DB_URL",
    "health_api_url": "KVARTER_HEALTH_API_URL",
}


def layout_defaults(data_dir: Path) -> dict[str, str]:
    """The folder layout under one data folder ($KVARTER_DATA_DIR, default data/)."""
    return {
        "KVARTER_LANDING": str(data_dir / "landing"),
        "KVARTER_WAREHOUSE": str(data_dir / "warehouse.duckdb"),
        "KVARTER_PUBLISHED": str(data_dir / "published" / "kvarter.duckdb"),
        "KVARTER_OUTBOX": str(data_dir / "outbox"),
        "KVARTER_CPR_KEY_FILE": str(PROJECT_ROOT / ".secrets" / "cpr_key"),
    }


def apply_layout_defaults() -> None:
    """Set every layout variable the user left unset (the CLI's and Makefile's start)."""
    data = Path(os.environ.get("KVARTER_DATA_DIR", PROJECT_ROOT / "data"))
    for name, value in layout_defaults(data).items():
        os.environ.setdefault(name, value)


class KvarterStorage(dg.ConfigurableResource):
    """Paths of the landing zone, warehouse, published copy, outbox and CPR key file, and
    the addresses of the source systems that are read where they live."""

    landing_dir: str
    warehouse_path: str
    published_path: str
    outbox_dir: str
    cpr_key_file: str
    housing_db_url: str
    health_api_url: str

    @classmethod
    def from_env_vars(cls) -> "KvarterStorage":
        """As the code location configures it: each field from its variable at run start."""
        return cls(**{field: dg.EnvVar(name) for field, name in SETTINGS.items()})

    @classmethod
    def from_environment(cls) -> "KvarterStorage":
        """The values the environment holds now (the CLI's own steps); unset is empty."""
        return cls(**{field: os.environ.get(name, "") for field, name in SETTINGS.items()})

    @classmethod
    def under(cls, data: Path, **overrides: str) -> "KvarterStorage":
        """Everything under one folder (tests and throw-away runs)."""
        layout = layout_defaults(data)
        values = {field: layout.get(name, "") for field, name in SETTINGS.items()}
        return cls(**{**values, "cpr_key_file": str(data / "cpr_key"), **overrides})

    def environment(self) -> dict[str, str]:
        """The variables that configure the code location's resource to be this one."""
        return {name: getattr(self, field) for field, name in SETTINGS.items()}

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def locations(self) -> SourceLocations:
        return SourceLocations(self.landing, self.housing_db_url, self.health_api_url)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the warehouse; steps that write it share one concurrency pool."""
        Path(self.warehouse_path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.warehouse_path, read_only=read_only)
        try:
            yield con
        finally:
            con.close()
