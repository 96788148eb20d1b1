"""Where and how benchmark figures are recorded."""

import json
import os
import platform
import time
from pathlib import Path


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**30
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {memory} GiB, "
        f"Python {platform.python_version()}"
    )


def append(results: Path, record: dict) -> None:
    """Stamp the record with machine and date, append it as a JSON line, and print it."""
    record = {**record, "machine": machine(), "date": time.strftime("%Y-%m-%d")}
    results.parent.mkdir(exist_ok=True)
    with results.open("a") as f:
        f.write(json.dumps(record) + "\n")
    print(json.dumps(record, indent=2))
