"""Excel, SQL, HTTP API and GeoJSON deliveries, read through the real formats."""

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from sources import children_youth, health, housing, population
from sources.readers import DeliveryError, read_geojson, read_http, read_sql, read_xlsx
from sources.synthetic import writers
from sources.synthetic.health_api import PAGE_SIZE, serve
from tests.sources.validation import run

MARCH = dt.date(2025, 3, 1)


def check(cells, contract):
    return run(cells, contract)


def test_excel_typed_cells_and_row_numbers(tmp_path):
    path = tmp_path / "skolefravaer.xlsx"
    frame = pd.DataFrame(
        [("010115-4001", 4, 20, 2.5, 1.0, 0.0), ("010115-4002", 4, 20, 30.0, 0.0, 0.0)],
        columns=children_youth.SCHOOL_ABSENCE.headers,
    )
    writers.write_xlsx(path, frame, children_youth.SCHOOL_ABSENCE)
    result = check(read_xlsx(path, children_youth.SCHOOL_ABSENCE), children_youth.SCHOOL_ABSENCE)
    assert result.records[["grade", "school_days", "sick_days", "source_line"]].values.tolist() == [
        [4, 20, 2.5, 2]
    ]
    assert result.quarantine.values.tolist() == [[3, "sygefravaer", "30", "above the maximum 23"]]


def test_excel_that_is_not_a_workbook_fails(tmp_path):
    path = tmp_path / "skolefravaer.xlsx"
    path.write_text("cpr;klassetrin\n")
    with pytest.raises(DeliveryError, match=r"skolefravaer\.xlsx: not a readable \.xlsx"):
        read_xlsx(path, children_youth.SCHOOL_ABSENCE)


@pytest.fixture
def housing_db(tmp_path):
    path = tmp_path / "bolig.sqlite"
    writers.write_housing_db(
        path,
        {
            "lejemaal": pd.DataFrame(
                {
                    "lejemaal_id": ["L1", "L2", "L3", "L4"],
                    "adresse_id": ["A1", "A2", "A3", "A4"],
                    "indflytningsdato": [
                        dt.date(2020, 1, 1),
                        dt.date(2025, 3, 20),
                        dt.date(2025, 4, 1),
                        dt.date(2019, 1, 1),
                    ],
                    "fraflytningsdato": [None, None, None, dt.date(2025, 2, 28)],
                    "udlejningskanal": [
                        "kommunal_anvisning",
                        "fleksibel_udlejning",
                        "boligorganisation",
                        "ukendt",
                    ],
                    "registreret": [
                        "2019-12-01 10:00:00",
                        "2025-03-01 10:00:00",
                        "2025-03-02 10:00:00",
                        "2018-12-01 10:00:00",
                    ],
                    "fraflytning_registreret": [None, None, None, "2024-12-01 10:00:00"],
                }
            ),
            "ledige_boliger": pd.DataFrame(columns=["maaned", "adresse_id", "ledig_siden"]),
            "klagesager": pd.DataFrame(columns=["sag_id", "adresse_id", "oprettet", "kategori"]),
            "udsaettelser": pd.DataFrame(
                columns=["sag_id", "adresse_id", "udsaettelsesdato", "registreret"]
            ),
        },
    )
    return f"sqlite:///{path}"


def test_sql_source_reads_the_month_through_a_url(housing_db):
    result = check(read_sql(housing_db, housing.TENANCIES, MARCH), housing.TENANCIES)
    # L3 starts in April and L4 ended in February: neither is active in March.
    assert result.records[["tenancy_id", "move_in_date", "letting_channel"]].values.tolist() == [
        ["L1", dt.date(2020, 1, 1), "kommunal_anvisning"],
        ["L2", dt.date(2025, 3, 20), "fleksibel_udlejning"],
    ]
    feb = check(read_sql(housing_db, housing.TENANCIES, dt.date(2025, 2, 1)), housing.TENANCIES)
    assert feb.quarantine.values.tolist() == [
        [
            2,
            "udlejningskanal",
            "ukendt",
            "not one of the allowed values "
            "kommunal_anvisning, boligorganisation, fleksibel_udlejning",
        ]
    ]


def test_sql_source_that_fails_names_the_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    with pytest.raises(DeliveryError, match=r"empty\.sqlite \(tenancies\): query failed"):
        read_sql(url, housing.TENANCIES, MARCH)


def test_http_source_follows_every_page_of_a_real_server(tmp_path):
    from sources.landing import health_records_path

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
        cells = read_http(url, health.HOME_VISITS, MARCH)
        empty = read_http(url, health.HOME_VISITS, dt.date(2025, 4, 1))
    result = check(cells, health.HOME_VISITS)
    assert len(result.records) == n and len(result.quarantine) == 0
    assert result.records["accepted"].sum() == sum(i % 3 != 0 for i in range(n))
    assert result.records["source_line"].tolist() == list(range(1, n + 1))
    assert len(empty.frame) == 0


class _Broken(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body, status = {
            "/500": (b"oops", 500),
            "/html": (b"<html>", 200),
            "/shape": (json.dumps({"rows": []}).encode(), 200),
        }[self.path.split("?")[0]]
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize(
    ("path", "message"),
    [("/500", "HTTP 500"), ("/html", "not JSON"), ("/shape", "expected an object with an 'items'")],
)
def test_http_failures_name_the_url(path, message):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        contract = health.HOME_VISITS.__class__(**{**vars(health.HOME_VISITS), "source": path})
        with pytest.raises(
            DeliveryError, match=rf"127\.0\.0\.1:\d+{path}\?month=2025-03: {message}"
        ):
            read_http(f"http://127.0.0.1:{server.server_address[1]}", contract, MARCH)
    finally:
        server.shutdown()
        server.server_close()


def test_geojson_areas(tmp_path):
    path = tmp_path / "omr.geojson"
    ring = [[0, 0], [1, 0], [1, 1], [0, 0]]
    writers.write_geojson(
        path, [{"area_id": "BO01", "name": "Æblehaven", "ring": ring}], dt.date(2024, 1, 1)
    )
    result = check(read_geojson(path, population.AREAS), population.AREAS)
    row = result.records.iloc[0]
    assert (row["area_id"], row["area_name"], row["valid_from"]) == (
        "BO01",
        "Æblehaven",
        dt.date(2024, 1, 1),
    )
    assert json.loads(row["geometry_geojson"]) == {"type": "Polygon", "coordinates": [ring]}
