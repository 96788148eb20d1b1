"""The housing database and the health API when they misbehave: clear errors, nothing
loaded, transient failures retried, and an origin recorded without host or port."""

import datetime as dt
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pandas as pd
import pytest
from urllib3.util import Retry, Timeout

from sources import health, housing
from sources.extract import SourceLocations, extract_period
from sources.health import read_api
from sources.readers import DeliveryError, SourceUnavailable
from sources.synthetic import writers
from sources.synthetic.health_api import PAGE_SIZE, serve
from sources.synthetic.layout import health_records_path
from sources.validate import Pseudonymiser
from tests.sources.validation import run

MARCH = dt.date(2025, 3, 1)
QUERY = "?month=2025-03"
# Fast retries for tests: the same urllib3 rules as in production, without the waiting.
RETRY = Retry(total=2, status_forcelist=(429, *range(500, 600)), backoff_factor=0)
TIMEOUT = Timeout(connect=1, read=0.3)


@contextmanager
def server(pages: dict[str, list]):
    """A local API whose path+query answers with the next response in its list (a status
    and a JSON body, or "hang" to answer too late); the last one repeats."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            requests.append(self.path)
            answers = pages[self.path]
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
            if answer == "hang":
                time.sleep(1)
                return
            # A byte every 0.05 s, each read well within its timeout, for 20 s: of the
            # body (a page padded with JSON's spaces), or of a header.
            if answer == "drip":
                data = json.dumps({"items": [], "next": None}).encode() + b" " * 400
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                drip(self.wfile, data)
                return
            if answer == "drip headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                drip(self.wfile, b"X-Slow: " + b"a" * 400)
                return
            status, body = answer
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()


def drip(out, data: bytes) -> None:
    try:
        for byte in data:
            out.write(bytes([byte]))
            out.flush()
            time.sleep(0.05)
    except OSError:  # the client gave up
        pass


def page(items: int, next_url: str | None) -> tuple[int, str]:
    rows = [
        {"cpr": f"010140-{1000 + i}", "tilbudsdato": f"2025-03-0{1 + i}", "accepteret": True}
        for i in range(items)
    ]
    return 200, json.dumps({"items": rows, "next": next_url})


ENDPOINT = health.HOME_VISITS.source
PAGE_2 = f"{ENDPOINT}?month=2025-03&page=2"


def read(url, **kwargs):
    return read_api(url, health.HOME_VISITS, MARCH, timeout=TIMEOUT, retry=RETRY, **kwargs)


def test_a_timeout_on_page_2_is_retried_then_names_the_url():
    with server({ENDPOINT + QUERY: [page(2, PAGE_2)], PAGE_2: ["hang"]}) as (url, requests):
        with pytest.raises(
            SourceUnavailable, match=re.escape(f"{url}{PAGE_2}: timed out, gave up after retries")
        ):
            read(url)
    assert requests.count(PAGE_2) == 3  # the first try and RETRY's two retries


def test_a_next_link_back_to_an_earlier_page_fails_naming_it():
    first = ENDPOINT + QUERY
    with server({first: [page(1, PAGE_2)], PAGE_2: [page(1, first)]}) as (url, requests):
        with pytest.raises(
            DeliveryError, match=re.escape(f"points back to {url}{first}, already read")
        ):
            read(url)
    assert requests == [first, PAGE_2]


@pytest.mark.parametrize(
    "next_url",
    [
        f"{ENDPOINT}?month=2025-04&page=2",  # April's records would load as March's
        "/v1/rygestop?month=2025-03&page=2",  # another endpoint
        "http://elsewhere.invalid/v1/forebyggende-hjemmebesoeg?month=2025-03&page=2",
        f"{ENDPOINT}?Month=2025-04&page=2",  # a server may read names in any case
        f"{ENDPOINT}?month[]=2025-04&page=2",
        f"{ENDPOINT}?month=2025-03&month=&page=2",  # a server may take the last one
    ],
)
def test_a_next_link_away_from_the_months_endpoint_fails_naming_it(next_url):
    first = ENDPOINT + QUERY
    with server({first: [page(1, next_url)]}) as (url, requests):
        with pytest.raises(DeliveryError) as raised:
            read(url)
    following = next_url if next_url.startswith("http") else url + next_url
    assert str(raised.value) == (
        f"{url}{first}: 'next' leads to {following}, away from {url}{first}: its records are "
        "not the 2025-03 delivery"
    )
    assert requests == [first]


def test_a_cursor_without_a_month_stays_on_the_endpoint():
    first, second = ENDPOINT + QUERY, ENDPOINT + "?cursor=abc"
    with server({first: [page(1, "?cursor=abc")], second: [page(2, None)]}) as (url, requests):
        assert len(read(url).frame) == 3
    assert requests == [first, second]


@pytest.mark.parametrize("answer", ["drip", "drip headers"])
def test_a_page_sent_a_byte_at_a_time_stops_at_the_deadline(answer):
    """Every byte arrives within the read timeout (0.3 s), so only the month's deadline
    ends the read, of the body or of the headers (before, a server dripping headers held
    the read as long as it went on): transient, the step is retried later. Once past the
    deadline, no request is made again."""
    with server({ENDPOINT + QUERY: [answer]}) as (url, requests):
        with ThreadPoolExecutor(1) as pool:
            # Ended by the deadline, not by the server's 20 s: without the watchdog the
            # read would still be running when this stops waiting.
            error = pool.submit(read, url, deadline=0.5).exception(timeout=10)
    assert isinstance(error, SourceUnavailable)
    assert str(error) == f"{url}{ENDPOINT}{QUERY}: the 2025-03 delivery was not read within 0.5 s"
    assert requests == [ENDPOINT + QUERY]


def test_a_retry_after_of_hours_waits_a_minute():
    assert health.RETRY.parse_retry_after("3600") == 60
    assert health.RETRY.parse_retry_after("15") == 15


def test_an_item_with_an_object_or_list_for_a_value_is_quarantined_cpr_redacted():
    items = [
        {"cpr": "010140-1001", "tilbudsdato": "2025-03-01", "accepteret": True},
        {"cpr": {"nr": "010140-1002"}, "tilbudsdato": "2025-03-02", "accepteret": True},
        {"cpr": "010140-1003", "tilbudsdato": "2025-03-03", "accepteret": [True]},
    ]
    body = json.dumps({"items": items, "next": None})
    with server({ENDPOINT + QUERY: [(200, body)]}) as (url, _):
        cells = read(url)
    assert cells.lines.tolist() == [1] and cells.frame["cpr"].tolist() == ["010140-1001"]
    assert cells.rejected.values.tolist() == [
        [2, "cpr", "<redacted>", "a JSON object, not a single value"],
        [3, "accepteret", "[true]", "a JSON list, not a single value"],
    ]


def test_an_item_the_validator_cannot_judge_from_its_text_is_quarantined():
    """true in a date column (it would read as 'ja'), a number beyond a double (1e400
    parses as infinity) or NaN (it would read as empty), a key given twice (json keeps
    the last) and a lone surrogate (before, a bare encoding error failed the extract):
    quarantined; true in the yes/no column loads."""
    body = (
        '{"items": ['
        '{"cpr": "010140-1001", "tilbudsdato": "2025-03-01", "accepteret": true},'
        '{"cpr": "010140-1002", "tilbudsdato": true, "accepteret": true},'
        '{"cpr": "010140-1003", "tilbudsdato": 1e400, "accepteret": false},'
        '{"cpr": "010140-1004", "tilbudsdato": NaN, "accepteret": false},'
        '{"cpr": "010140-1005", "tilbudsdato": "2025-03-05", "tilbudsdato": "2025-03-06",'
        ' "accepteret": false},'
        '{"cpr": "010140-1006", "tilbudsdato": "2025-03-0\\ud800", "accepteret": false}'
        '], "next": null}'
    )
    with server({ENDPOINT + QUERY: [(200, body)]}) as (url, _):
        cells = read(url)
    assert cells.lines.tolist() == [1] and cells.frame["accepteret"].tolist() == ["ja"]
    infinite = "not a finite number (beyond a double's range, or NaN)"
    assert cells.rejected.values.tolist() == [
        [2, "tilbudsdato", "true", "JSON true in a column that is not yes/no"],
        [3, "tilbudsdato", "", infinite],
        [4, "tilbudsdato", "", infinite],
        [5, "tilbudsdato", "", "key given more than once in the object"],
        [6, "tilbudsdato", "", "text with a lone surrogate, not Unicode"],
    ]


def test_a_json_number_in_a_text_column_keeps_its_spelling():
    """Through a double, an id written 1234567890123456789.0 read back as ...768 and 1.5e300
    as 301 digits; whole numbers were already exact."""
    ids = ["1234567890123456789.0", "1.5e300", "0.1e1", "-0.0", "12345678901234567890"]
    items = ",".join(
        f'{{"forloeb_id": {i}, "cpr": "010140-100{n}", "startdato": "2025-03-0{n}"}}'
        for n, i in enumerate(ids, start=1)
    )
    endpoint = health.SMOKING_CESSATION.source
    with server({endpoint + QUERY: [(200, f'{{"items": [{items}], "next": null}}')]}) as (url, _):
        cells = read_api(url, health.SMOKING_CESSATION, MARCH, timeout=TIMEOUT, retry=RETRY)
    assert cells.frame["forloeb_id"].tolist() == ids


def test_a_json_number_elsewhere_is_spelled_as_a_number():
    """1.0 in a yes/no column reads as 1 (yes), as before numbers kept their spelling."""
    items = [
        {"cpr": "010140-1001", "tilbudsdato": "2025-03-01", "accepteret": 1.0},
        {"cpr": "010140-1002", "tilbudsdato": "2025-03-02", "accepteret": 0.0},
    ]
    body = json.dumps({"items": items, "next": None})
    with server({ENDPOINT + QUERY: [(200, body)]}) as (url, _):
        cells = read(url)
    assert cells.frame["accepteret"].tolist() == ["1", "0"] and cells.rejected.empty


def test_a_page_giving_next_twice_fails_naming_it():
    body = '{"items": [], "next": "?month=2025-03&page=2", "next": null}'
    with server({ENDPOINT + QUERY: [(200, body)]}) as (url, _):
        with pytest.raises(DeliveryError, match=r"month=2025-03: next given more than once$"):
            read(url)


def test_pages_are_capped():
    pages = {
        f"{ENDPOINT}?month=2025-03&page={n}": [page(1, f"?month=2025-03&page={n + 1}")]
        for n in range(1, 5)
    }
    pages[ENDPOINT + QUERY] = [page(1, "?month=2025-03&page=1")]
    with server(pages) as (url, _):
        with pytest.raises(DeliveryError, match=r"page=3: more than 3 pages for 2025-03"):
            read(url, max_pages=3)


def test_a_503_then_200_succeeds():
    with server({ENDPOINT + QUERY: [(503, "busy"), (429, "slow down"), page(2, None)]}) as (
        url,
        requests,
    ):
        cells = read(url)
    assert len(cells.frame) == 2 and len(requests) == 3
    assert cells.origin == f"{ENDPOINT}?month=2025-03"  # no host or port


def test_a_lasting_503_is_unavailable_and_a_400_fails_at_once():
    with server({ENDPOINT + QUERY: [(503, "down")]}) as (url, requests):
        with pytest.raises(
            SourceUnavailable, match=re.escape(f"{url}{ENDPOINT}") + ".*too many 503"
        ):
            read(url)
    assert len(requests) == 3
    with server({ENDPOINT + QUERY: [(400, "bad")]}) as (url, requests):
        with pytest.raises(DeliveryError, match="HTTP 400") as error:
            read(url)
    assert not isinstance(error.value, SourceUnavailable) and len(requests) == 1


def test_no_server_is_unavailable_naming_the_url():
    with server({}) as (url, _):
        pass  # closed: nothing listens on the port any more
    with pytest.raises(
        SourceUnavailable, match=re.escape(f"{url}{ENDPOINT}{QUERY}: cannot connect")
    ):
        read(url)


def test_an_unset_url_names_the_setting():
    with pytest.raises(DeliveryError, match="KVARTER_HEALTH_API_URL is not set"):
        read_api("", health.HOME_VISITS, MARCH)


def test_a_month_without_records_is_not_delivered_not_zero_rows(tmp_path):
    """The synthetic API answers 404 for a month it has no file for; an empty file is a
    delivered month with zero rows."""
    empty = pd.DataFrame(columns=health.HOME_VISITS.headers)
    writers.write_json(health_records_path(tmp_path, ENDPOINT, "2025-03"), empty)
    con = duckdb.connect()
    with serve(tmp_path) as url:
        where = SourceLocations(tmp_path, "sqlite://", url)
        march = extract_period(con, health.HOME_VISITS, MARCH, where, Pseudonymiser(b"k"))
        with pytest.raises(DeliveryError, match=r"month=2025-04: no delivery for 2025-04"):
            extract_period(con, health.HOME_VISITS, dt.date(2025, 4, 1), where, Pseudonymiser(b"k"))
    assert march.rows_read == 0
    assert con.execute("select period, delivery_file from raw.deliveries").fetchall() == [
        (MARCH, f"{ENDPOINT}?month=2025-03")
    ]


def test_a_missing_database_is_named_and_not_created(tmp_path):
    missing = tmp_path / "boligsystem.sqlite"
    url = f"sqlite:///{missing}"
    con = duckdb.connect()
    where = SourceLocations(tmp_path, url, "")
    with pytest.raises(DeliveryError, match=f"^{re.escape(f'missing database {url}')}$"):
        extract_period(con, housing.TENANCIES, MARCH, where, Pseudonymiser(b"k"))
    assert not missing.exists()
    loaded = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw'"
    ).fetchall()
    assert loaded == [(0,)]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgresql+pg8000://k@db.example/bolig", "No module named 'pg8000'"),
        (
            "postgresql+nosuch://k@db.example/bolig",
            "Can't load plugin: sqlalchemy.dialects:postgresql.nosuch",
        ),
    ],
)
def test_a_database_driver_not_installed_is_named_with_the_source(url, problem):
    driver = url.split(":")[0]
    with pytest.raises(DeliveryError) as raised:
        list(housing.read_database(url, housing.TENANCIES, [MARCH]))
    assert str(raised.value) == (
        f"{url} (tenancies): no database driver {driver} installed ({problem})"
    )


def test_the_database_origin_has_no_driver_user_or_host():
    assert (
        housing.source_identity(
            "postgresql+psycopg://kv:pw@db.kommune:5432/bolig", housing.TENANCIES
        )
        == "bolig (tenancies)"
    )
    assert (
        housing.source_identity(
            "sqlite:////data/landing/housing/boligsystem.sqlite", housing.VACANCIES
        )
        == "boligsystem.sqlite (vacancies)"
    )


def test_http_source_follows_every_page_of_a_real_server(tmp_path):
    n = PAGE_SIZE * 2 + 7
    records = pd.DataFrame(
        {
            "cpr": [f"0101{40 + i % 10:02d}-{1000 + i:04d}" for i in range(n)],
            "tilbudsdato": [dt.date(2025, 3, 1 + i % 28) for i in range(n)],
            "accepteret": [i % 3 != 0 for i in range(n)],
        }
    )
    writers.write_json(health_records_path(tmp_path, health.HOME_VISITS.source, "2025-03"), records)
    with serve(tmp_path) as url:
        cells = read(url)
    result = run(cells, health.HOME_VISITS)
    assert len(result.records) == n and len(result.quarantine) == 0
    assert result.records["accepted"].sum() == sum(i % 3 != 0 for i in range(n))
    assert result.records["source_line"].tolist() == list(range(1, n + 1))


class _Broken(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body, status = {
            "/500": (b"oops", 500),
            "/html": (b"<html>", 200),
            "/shape": (json.dumps({"rows": []}).encode(), 200),
            "/cp1252": ('{"items": [{"navn": "Åse"}], "next": null}'.encode("cp1252"), 200),
            "/next": (json.dumps({"items": [], "next": 2}).encode(), 200),
        }[self.path.split("?")[0]]
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/500", "too many 500 error responses"),
        ("/html", "not JSON"),
        ("/shape", "expected an object with an 'items'"),
        ("/cp1252", r"not UTF-8 \(byte 0xC5 at position 21\)"),
        ("/next", "'next' is neither a URL nor null"),
    ],
)
def test_http_failures_name_the_url(path, message):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        contract = health.HOME_VISITS.__class__(**{**vars(health.HOME_VISITS), "source": path})
        with pytest.raises(
            DeliveryError, match=rf"127\.0\.0\.1:\d+{path}\?month=2025-03: {message}"
        ):
            read_api(f"http://127.0.0.1:{server.server_address[1]}", contract, MARCH, retry=RETRY)
    finally:
        server.shutdown()
        server.server_close()
