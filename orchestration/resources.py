"""Where the pipeline reads and writes: one resource, configured from the environment."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from sources.extract import SourceLocations
from sources.landing import HOUSING_DB

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class KvarterStorage(dg.ConfigurableResource):
    """Paths of the landing zone, warehouse, published copy, outbox and CPR key file."""

    landing_dir: str
    warehouse_path: str
    published_path: str
    outbox_dir: str
    cpr_key_file: str
    housing_db_url: str
    health_api_url: str

    @classmethod
    def from_env(cls) -> "KvarterStorage":
        data = Path(os.environ.get("KVARTER_DATA_DIR", PROJECT_ROOT / "data"))
        landing = Path(os.environ.get("KVARTER_LANDING", data / "landing"))
        return cls(
            landing_dir=str(landing),
            warehouse_path=os.environ.get("KVARTER_WAREHOUSE", str(data / "warehouse.duckdb")),
            published_path=os.environ.get(
                "KVARTER_PUBLISHED", str(data / "published" / "kvarter.duckdb")
            ),
            outbox_dir=os.environ.get("KVARTER_OUTBOX", str(data / "outbox")),
            cpr_key_file=os.environ.get(
                "KVARTER_CPR_KEY_FILE", str(PROJECT_ROOT / ".secrets" / "cpr_key")
            ),
            housing_db_url=os.environ.get(
                "KVARTER_HOUSING_DB_URL", f"sqlite:///{landing / HOUSING_DB}"
            ),
            # No default: an unset URL fails the health extracts naming the variable, rather
            # than reading whatever answers on some local port.
            health_api_url=os.environ.get("KVARTER_HEALTH_API_URL", ""),
        )

    @classmethod
    def under(cls, data: Path) -> "KvarterStorage":
        """Everything under one folder (tests and throw-away runs)."""
        return cls(
            landing_dir=str(data / "landing"),
            warehouse_path=str(data / "warehouse.duckdb"),
            published_path=str(data / "published" / "kvarter.duckdb"),
            outbox_dir=str(data / "outbox"),
            cpr_key_file=str(data / "cpr_key"),
            housing_db_url=f"sqlite:///{data / 'landing' / HOUSING_DB}",
            health_api_url="",
        )

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def locations(self) -> SourceLocations:
        return SourceLocations(self.landing, self.housing_db_url, self.health_api_url)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the warehouse; the pipeline's steps run one at a time."""
        Path(self.warehouse_path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.warehouse_path, read_only=read_only)
        try:
            yield con
        finally:
            con.close()
