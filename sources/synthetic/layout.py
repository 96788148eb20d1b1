"""Where the synthetic municipality keeps the systems that are not file deliveries.

The housing system's database and the health system's records live beside the landing
zone's files, so one folder holds the whole demo. Production reads both where they live
($KVARTER_HOUSING_DB_URL, $KVARTER_HEALTH_API_URL); nothing outside the demo uses this.
"""

from pathlib import Path

HOUSING_DB = Path("housing") / "boligsystem.sqlite"
HEALTH_RECORDS = "health"


def housing_db_url(landing: Path) -> str:
    return f"sqlite:///{landing / HOUSING_DB}"


def health_records_path(landing: Path, endpoint: str, month: str) -> Path:
    """<landing>/health/<YYYY-MM>/<endpoint with _ for />.json"""
    return landing / HEALTH_RECORDS / month / f"{endpoint.strip('/').replace('/', '_')}.json"
