"""The synthetic municipality, used only when asked for (`kvarter demo`, `generate`,
`run --synthetic`, `serve-health-api`, `make ui`).

Production code never imports this module: it reads the source systems where
$KVARTER_HOUSING_DB_URL and $KVARTER_HEALTH_API_URL point.
"""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

from orchestration.resources import KvarterStorage
from sources.synthetic.health_api import serve
from sources.synthetic.layout import housing_db_url
from sources.synthetic.municipality import generate


def generate_municipality(storage: KvarterStorage, scale: str, seed: int) -> None:
    summary = generate(storage.landing, scale=scale, seed=seed)
    print(
        f"Generated the {scale} synthetic municipality (seed {seed}, {summary['areas']} areas, "
        f"{summary['residents_last_month']:,} residents) in {storage.landing} "
        f"in {summary['seconds']} s"
    )
    print(f"  {summary['first_period']} .. {summary['last_period']}")
    for table, rows in summary["rows"].items():
        print(f"    {table:<36} {rows:>10,} rows")
    print(f"  injected deteriorations: {json.dumps(summary['injections'], ensure_ascii=False)}")


@contextmanager
def synthetic_sources(storage: KvarterStorage, port: int = 0) -> Iterator[KvarterStorage]:
    """The landing zone's synthetic housing database and health API (served for the
    duration), set in this process's environment where the code location reads them."""
    with serve(storage.landing, port) as url:
        sources = {
            "KVARTER_HEALTH_API_URL": url,
            "KVARTER_HOUSING_DB_URL": housing_db_url(storage.landing),
        }
        before = {name: os.environ.get(name) for name in sources}
        os.environ.update(sources)
        try:
            yield KvarterStorage.from_environment()
        finally:
            for name, value in before.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
