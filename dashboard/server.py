"""The dashboard served by Streamlit as `kvarter dashboard` serves it, for the browser
tests and the benchmark; its log goes to a file that they read for errors."""

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium() -> str:
    path = shutil.which("chromium")
    assert path, "Debian's chromium is installed by `make test` (apt-get install chromium)"
    return path


@contextlib.contextmanager
def dashboard(published: Path | str, log: Path):
    """Start the server on a free port; yield its URL once it answers."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "--server.headless", "true",
             "--server.port", str(port), "--", "--published", str(published)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(240):
                try:
                    urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.25)
            else:
                raise RuntimeError(f"streamlit did not start: {log.read_text()}")
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)
