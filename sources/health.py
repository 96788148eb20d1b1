"""Health and prevention: a paginated JSON API ($KVARTER_HEALTH_API_URL).

GET <base><endpoint>?month=YYYY-MM returns {"items": [...], "next": <url or null>}.
"""

import datetime as dt
import json
import time
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import numpy as np
import pandas as pd
import urllib3
from urllib3.util import Retry, Timeout

from sources.contracts import Column, Contract, Interval
from sources.http_deadline import Deadline, DeadlinePassed
from sources.readers import (
    Cells,
    DeliveryError,
    SourceUnavailable,
    json_text,
    json_value_problem,
    load_json,
)
from sources.validate import ISO, QUARANTINE_COLUMNS

HOME_VISITS = Contract(
    system="health",
    entity="home_visits",
    fmt="http",
    source="/v1/forebyggende-hjemmebesoeg",
    description="Preventive home visits offered to residents 75+ in the month, and whether "
    "they were accepted.",
    key=("person_key", "offered_date"),
    columns=(
        Column("cpr", "person_key", "cpr"),
        Column("tilbudsdato", "offered_date", "date"),
        Column("accepteret", "accepted", "yes_no"),
    ),
)

SMOKING_CESSATION = Contract(
    system="health",
    entity="smoking_cessation",
    fmt="http",
    source="/v1/rygestop",
    description="Smoking-cessation courses started in the month.",
    key=("course_id",),
    columns=(
        Column("forloeb_id", "course_id", "text"),
        Column("cpr", "person_key", "cpr"),
        Column("startdato", "start_date", "date"),
    ),
)

REHABILITATION = Contract(
    system="health",
    entity="rehabilitation",
    fmt="http",
    source="/v1/genoptraening",
    description="Chronic-disease rehabilitation courses started or ended in the month.",
    intervals=(Interval("start_date", "end_date"),),
    key=("course_id",),
    columns=(
        Column("forloeb_id", "course_id", "text"),
        Column("cpr", "person_key", "cpr"),
        Column("startdato", "start_date", "date"),
        Column("slutdato", "end_date", "date", nullable=True),
        Column(
            "gennemfoert",
            "completed",
            "yes_no",
            nullable=True,
            description="Set when the course has ended: completed or dropped out.",
        ),
    ),
)

CONTRACTS = (HOME_VISITS, SMOKING_CESSATION, REHABILITATION)


# --- Reading the API -------------------------------------------------------------------

# A month of one endpoint is at most this many pages (500 records each in the synthetic
# API): a server whose `next` links never end fails instead of running forever.
MAX_PAGES = 1_000
TIMEOUT = Timeout(connect=10, read=30)
# Timeouts, refused or dropped connections, 429 and 5xx are retried with exponential
# backoff (0.5, 1, 2, 4 s; a Retry-After header is honoured up to a minute); anything else
# fails at once.
RETRY = Retry(
    total=4,
    status_forcelist=(429, *range(500, 600)),
    backoff_factor=0.5,
    allowed_methods={"GET"},
    retry_after_max=60,
)
# Every page of one month of one endpoint is read within this many seconds, or the source
# counts as unavailable: a server that sends a byte at a time (each within the read
# timeout, headers or body) or asks to come back in hours would otherwise hold the
# extract, and the warehouse it has open, indefinitely (sources/http_deadline.py). A
# request waiting out a Retry-After may overrun it by that wait (at most a minute).
DEADLINE = 600
BODY_CHUNK = 1 << 16


def source_identity(contract: Contract, period: dt.date) -> str:
    """What the warehouse records as the delivery's origin: the endpoint and month, without
    the host and port, so the same delivery is recorded the same way from any server."""
    return f"{contract.source}?{urlencode({'month': f'{period:%Y-%m}'})}"


def read_api(
    base_url: str,
    contract: Contract,
    period: dt.date,
    timeout: Timeout = TIMEOUT,
    retry: Retry = RETRY,
    max_pages: int = MAX_PAGES,
    deadline: float = DEADLINE,
) -> Cells:
    """Every page of one month: {"items": [...], "next": url or null}.

    A 404 for the first page means the month was not delivered: an error, never zero rows.
    `next` must stay on the month's endpoint: another month's records are not this delivery.
    """
    if not base_url:
        raise DeliveryError(f"health/{contract.entity}: KVARTER_HEALTH_API_URL is not set")
    start = url = f"{base_url.rstrip('/')}{source_identity(contract, period)}"
    seen: set[str] = set()
    items: list = []
    with Deadline(time.monotonic() + deadline) as watch:
        http = watch.pool_manager(timeout, retry)
        while url:
            if len(seen) == max_pages:
                raise DeliveryError(f"{url}: more than {max_pages} pages for {period:%Y-%m}")
            seen.add(url)
            page = _get_page(http, url, period, url == start, watch, deadline)
            items.extend(page["items"])
            following = urljoin(url, page["next"]) if page.get("next") else None
            if following in seen:
                raise DeliveryError(f"{url}: 'next' points back to {following}, already read")
            if following and not _same_delivery(start, following, period):
                raise DeliveryError(
                    f"{url}: 'next' leads to {following}, away from {start}: its records are "
                    f"not the {period:%Y-%m} delivery"
                )
            url = following
    found = set().union(*(item.keys() for item in items if isinstance(item, dict)))
    missing = [h for h in contract.headers if h not in found]
    if items and missing:
        raise DeliveryError(f"{start}: missing required column(s) {', '.join(missing)}")
    rows, lines, rejected = [], [], []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):  # every value missing: the validator says so
            item = {}
        unjudged = json_value_problem(item, contract)
        if unjudged:
            rejected.append((n, *unjudged))
        else:
            rows.append([json_text(item.get(c.header), c.kind) for c in contract.columns])
            lines.append(n)
    return Cells(
        pd.DataFrame(rows, columns=contract.headers, dtype=str),
        np.array(lines, dtype=np.int64),
        pd.DataFrame(rejected, columns=QUARANTINE_COLUMNS),
        ISO,
        source_identity(contract, period),
    )


def _same_delivery(start: str, following: str, period: dt.date) -> bool:
    """Whether a `next` URL is on the first page's server and endpoint, and names no month
    or this one (a cursor-only link is fine)."""
    first, then = urlsplit(start), urlsplit(following)
    if (first.scheme, first.netloc, first.path) != (then.scheme, then.netloc, then.path):
        return False
    # Any spelling a server might take for the month ('Month', 'month[]'), blank ones too.
    query = parse_qs(then.query, keep_blank_values=True)
    months = [v for k, vs in query.items() if k.lower().rstrip("[]") == "month" for v in vs]
    return months in ([], [f"{period:%Y-%m}"])


def _get_page(
    http: urllib3.PoolManager,
    url: str,
    period: dt.date,
    first: bool,
    watch: Deadline,
    seconds: float,
) -> dict:
    """One page, read by `watch`'s connections, which it shuts at its deadline; past it,
    whatever broke the read, the source is unavailable for being late."""
    late = SourceUnavailable(
        f"{url}: the {period:%Y-%m} delivery was not read within {seconds:g} s"
    )
    if watch.passed:
        raise late
    try:
        response = http.request("GET", url, preload_content=False)
    except DeadlinePassed:
        raise late from None
    except urllib3.exceptions.MaxRetryError as exc:
        if watch.passed:
            raise late from None
        raise SourceUnavailable(f"{url}: {_reason(exc.reason)}, gave up after retries") from None
    except urllib3.exceptions.HTTPError as exc:
        raise (late if watch.passed else SourceUnavailable(f"{url}: {_reason(exc)}")) from None
    try:
        if response.status == 404 and first:
            raise DeliveryError(f"{url}: no delivery for {period:%Y-%m} (HTTP 404)")
        if response.status != 200:
            raise DeliveryError(f"{url}: HTTP {response.status} {response.reason}")
        body = bytearray()
        while chunk := response.read1(BODY_CHUNK):
            body += chunk
        if watch.passed:  # a body cut short by the shut socket ends like a whole one
            raise late
    except urllib3.exceptions.HTTPError as exc:
        if watch.passed:
            raise late from None
        raise SourceUnavailable(f"{url}: {_reason(exc)} while reading the page") from None
    finally:
        response.release_conn()
    try:
        page = load_json(body)
    except json.JSONDecodeError as exc:
        raise DeliveryError(f"{url}: not JSON ({exc.msg} at position {exc.pos})") from None
    except UnicodeDecodeError as exc:  # JSON is UTF-8 (RFC 8259)
        where = f"byte 0x{exc.object[exc.start]:02X} at position {exc.start}"
        raise DeliveryError(f"{url}: not UTF-8 ({where})") from None
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        raise DeliveryError(f"{url}: expected an object with an 'items' list")
    if twice := sorted(page.repeated & {"items", "next"}):
        raise DeliveryError(f"{url}: {', '.join(twice)} given more than once")
    if not isinstance(page.get("next"), str | None):  # read_api joins it to the URL
        raise DeliveryError(f"{url}: 'next' is neither a URL nor null")
    return page


def _reason(error: Exception | None) -> str:
    # NewConnectionError subclasses urllib3's TimeoutError, so it is asked first.
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        return f"cannot connect ({error})"
    if isinstance(error, urllib3.exceptions.TimeoutError):
        return "timed out"
    return str(error)  # e.g. "too many 503 error responses"
