"""The synthetic health system's JSON API, served on localhost.

GET <endpoint>?month=YYYY-MM[&page=N] -> {"items": [...], "next": "<relative url>" | null}
with at most PAGE_SIZE items a page, from the records the generator wrote; 404 for a month
it has no records file for.
"""

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

from sources import health
from sources.synthetic.layout import health_records_path

PAGE_SIZE = 500
ENDPOINTS = {c.source for c in health.CONTRACTS}


def _handler(landing: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test and demo output clean
            pass

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = parse_qs(url.query)
            month = query.get("month", [""])[0]
            if url.path not in ENDPOINTS:
                return self._send(404, {"error": f"unknown endpoint {url.path}"})
            if not re.fullmatch(r"\d{4}-\d{2}", month):
                return self._send(400, {"error": "month must be YYYY-MM"})
            page = int(query.get("page", ["1"])[0])
            path = health_records_path(landing, url.path, month)
            # A month without a records file was not delivered (404), which is not the same
            # as a delivered month with no records ([]).
            if not path.exists():
                return self._send(404, {"error": f"no records for {month}"})
            records = json.loads(path.read_text())
            items = records[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            more = page * PAGE_SIZE < len(records)
            next_url = (
                f"{url.path}?{urlencode({'month': month, 'page': page + 1})}" if more else None
            )
            self._send(200, {"items": items, "next": next_url})

    return Handler


@contextmanager
def serve(landing: Path, port: int = 0) -> Iterator[str]:
    """Serve the health records under `landing` on 127.0.0.1; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(landing))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
