"""Excel, SQL and GeoJSON deliveries, read through the real formats (the HTTP API:
test_services.py)."""

import datetime as dt
import json
import zipfile

import pandas as pd
import pytest

from sources import children_youth, housing, population, readers
from sources.readers import DeliveryError, read_geojson, read_sql, read_xlsx
from sources.synthetic import writers
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


def add_sheet(path, name, rows, far_cell="", dimension=""):
    """Add a second sheet to a workbook `writers.write_xlsx` made: numbers for ints, inline
    text for the rest;
    `far_cell` a reference such as Z100 for one more value after the rows, `dimension` the
    span the sheet declares, as Excel writes it."""
    cells = "".join(
        "<row>"
        + "".join(
            f"<c><v>{v}</v></c>"
            if isinstance(v, int)
            else f'<c t="inlineStr"><is><t>{v}</t></is></c>'
            for v in row
        )
        + "</row>"
        for row in rows
    )
    if far_cell:
        row = far_cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        cells += f'<row r="{row}"><c r="{far_cell}" t="inlineStr"><is><t>x</t></is></c></row>'
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{declared}<sheetData>{cells}</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n).decode() for n in archive.namelist()}
    relation = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        "</sheets>", f'<sheet name="{name}" sheetId="2" r:id="rId2"/></sheets>'
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        "</Relationships>",
        f'<Relationship Id="rId2" Type="{relation}" Target="worksheets/sheet2.xml"/>'
        "</Relationships>",
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        "</Types>", f'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="{kind}"/></Types>'
    )
    parts["xl/worksheets/sheet2.xml"] = sheet
    with zipfile.ZipFile(path, "w") as archive:
        for part, xml in parts.items():
            archive.writestr(part, xml)


ROW = ["020208-4002", "7", "20", "0", "0", "2"]


def one_row_workbook(tmp_path):
    """A school-absence workbook of one row, on its first sheet ('Fravær')."""
    path = tmp_path / "skolefravaer.xlsx"
    contract = children_youth.SCHOOL_ABSENCE
    frame = pd.DataFrame([("010115-4001", 4, 20, 2.5, 1.0, 0.0)], columns=contract.headers)
    writers.write_xlsx(path, frame, contract)
    return path


HEADERS = list(children_youth.SCHOOL_ABSENCE.headers)
# A second sheet's rows, and why the workbook is refused.
SECOND_SHEETS = {
    "headers": ([HEADERS, ROW], "the contract's headers in row 1"),
    "below a title": ([["Skolefravær fortsat"], HEADERS, ROW], "the contract's headers in row 2"),
    "from B2": ([[], ["", *HEADERS], ["", *ROW]], "the contract's headers in row 2"),
    "half the headers in capitals": (
        [[h.upper() for h in HEADERS[:3]]],
        "the contract's headers in row 1",
    ),
    "no headers": ([ROW], "a CPR number in cell A1"),
    "no headers, from C3": ([[], [], ["", "", *ROW]], "a CPR number in cell C3"),
    # the CPR number stored as a number: 020208-4002
    "CPR numbers stored as numbers": ([[202084002, 7, 20, 0, 0, 2]], "a CPR number in cell A1"),
}


@pytest.mark.parametrize(("sheet", "why"), SECOND_SHEETS.values(), ids=SECOND_SHEETS.keys())
def test_rows_on_a_second_sheet_refuse_the_workbook(tmp_path, sheet, why):
    """A workbook split over sheets (grades 1-5 and 6-9, say) would lose the second sheet's
    rows unread and uncounted, whatever its layout. The message says where it looked so:
    a notes sheet may hold an amount that reads as a CPR number."""
    contract, path = children_youth.SCHOOL_ABSENCE, one_row_workbook(tmp_path)
    add_sheet(path, "6-9 klasse", sheet)
    with pytest.raises(DeliveryError) as raised:
        read_xlsx(path, contract)
    assert str(raised.value) == (
        f"{path}: sheet(s) '6-9 klasse' ({why}) look like rows of the delivery; only the "
        "first sheet ('Fravær') is read, so their rows would be lost: deliver every row on "
        "the first sheet"
    )


def test_a_notes_sheet_does_not_refuse_the_workbook(tmp_path):
    """Notes naming a column or two, and dates and numbers, are no rows of the delivery."""
    contract, path = children_youth.SCHOOL_ABSENCE, one_row_workbook(tmp_path)
    notes = [["Fravær i dage"], ["sygefravaer", "dage syg"], ["Leveret", "2025-04-02", "4512"]]
    add_sheet(path, "Forklaring", notes)
    assert len(read_xlsx(path, contract).lines) == 1


@pytest.mark.parametrize("declared", ["A1:XFD2000", "XFD2000", "a1:xfd2000"])
def test_a_sheet_declaring_too_many_cells_refuses_the_workbook_unparsed(tmp_path, declared):
    """One value typed far out makes calamine hold the whole span, and the rows are read
    from A1: the span Excel declares (to its last cell, from A1, in any case) is refused
    before any sheet is parsed (XFD2000: 32.8 million cells, some 1.4 GB if read)."""
    contract, path = children_youth.SCHOOL_ABSENCE, one_row_workbook(tmp_path)
    add_sheet(path, "Noter", [["Fravær i dage"]], far_cell="XFD2000", dimension=declared)
    with pytest.raises(DeliveryError) as raised:
        read_xlsx(path, contract)
    assert str(raised.value) == (
        f"{path}: sheet 'Noter' spans {declared} (32,768,000 cells, empty ones included), "
        "more than the 20,000,000 read: a value typed far from the rows? Delete it (Ctrl+End "
        "goes to the sheet's last cell) and deliver the workbook again"
    )


@pytest.mark.parametrize("rows", [[["Fravær i dage"]], []], ids=["from A1", "only the far cell"])
def test_a_sheet_spanning_too_many_cells_undeclared_refuses_the_workbook(
    tmp_path, monkeypatch, rows
):
    """A sheet that declares no span is measured after the parse, from A1 to its last
    cell, before its rows become Python objects."""
    contract, path = children_youth.SCHOOL_ABSENCE, one_row_workbook(tmp_path)
    add_sheet(path, "Noter", rows, far_cell="Z100")  # A1:Z100, 2,600 cells
    assert len(read_xlsx(path, contract).lines) == 1
    monkeypatch.setattr(readers, "MAX_SHEET_CELLS", 2_599)
    with pytest.raises(DeliveryError, match="sheet 'Noter' spans 100 rows x 26 columns from A1"):
        read_xlsx(path, contract)


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


@pytest.mark.parametrize("precise", [False, True])
def test_geojson_areas(tmp_path, precise):
    """Also with coordinates as a GIS exports them: ten digits after a decimal point are
    not taken for a CPR number (560000.1203951234 was, before its final fix)."""
    path = tmp_path / "omr.geojson"
    ring = [[560_000, 6_220_000], [560_500, 6_220_000], [560_500, 6_220_500], [560_000, 6_220_000]]
    if precise:
        ring = [[x + 0.1203951234, y + 0.2512901234] for x, y in ring[:3]]
        ring.append(ring[0])
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


FEATURE = {
    "type": "Feature",
    "properties": {"boligomraade_id": "BO01", "navn": "Æblehaven", "gyldig_fra": "2024-01-01"},
    "geometry": None,
}


@pytest.mark.parametrize(
    ("collection", "problem"),
    [
        ([FEATURE], "not a GeoJSON FeatureCollection"),
        ({"type": "FeatureCollection"}, "no 'features' list"),
        ({"type": "FeatureCollection", "features": None}, "no 'features' list"),
        ({"type": "FeatureCollection", "features": [FEATURE, None]}, "feature 2 is not an object"),
        (
            {"type": "FeatureCollection", "features": [{**FEATURE, "properties": [1]}]},
            "feature 1: 'properties' is not an object",
        ),
    ],
)
def test_a_malformed_geojson_fails_naming_the_file_and_problem(tmp_path, collection, problem):
    path = tmp_path / "omr.geojson"
    path.write_text(json.dumps(collection))
    with pytest.raises(DeliveryError) as error:
        read_geojson(path, population.AREAS)
    assert str(error.value) == f"{path}: {problem}"


SQUARE = [[560_000, 6_220_000], [560_500, 6_220_000], [560_500, 6_220_500], [560_000, 6_220_000]]


def test_features_given_twice_fail_and_a_property_given_twice_is_quarantined(tmp_path):
    path = tmp_path / "omr.geojson"
    geometry = {"type": "Polygon", "coordinates": [SQUARE]}
    feature = json.dumps({**FEATURE, "geometry": geometry}, ensure_ascii=False)
    twice = feature.replace('"navn": "Æblehaven"', '"navn": "Æblehaven", "navn": "Bakken"')
    path.write_text(f'{{"type": "FeatureCollection", "features": [{feature}, {twice}]}}')
    cells = read_geojson(path, population.AREAS)
    assert cells.lines.tolist() == [1]
    assert cells.rejected.values.tolist() == [
        [2, "navn", "", "key given more than once in the object"]
    ]
    path.write_text(f'{{"type": "FeatureCollection", "features": [], "features": [{feature}]}}')
    with pytest.raises(DeliveryError, match="features given more than once$"):
        read_geojson(path, population.AREAS)


def test_a_feature_or_geometry_giving_a_key_twice_or_a_lone_surrogate_is_quarantined(tmp_path):
    """'properties' twice (which area is it?), 'coordinates' twice in the geometry, and a
    name with a lone surrogate (JSON, but no Unicode text: before, a bare encoding error
    failed the extract) are quarantined; the first feature loads."""
    path = tmp_path / "omr.geojson"
    geometry = {"type": "Polygon", "coordinates": [SQUARE]}
    feature = json.dumps({**FEATURE, "geometry": geometry})
    other = json.dumps({**FEATURE["properties"], "boligomraade_id": "BO09"})
    twice = feature.replace('"properties": {', f'"properties": {other}, "properties": {{', 1)
    coordinates = json.dumps([SQUARE])
    moved = feature.replace('"coordinates": ', f'"coordinates": {coordinates}, "coordinates": ', 1)
    surrogate = feature.replace("\\u00c6blehaven", "\\ud800blehaven")
    assert twice != feature and moved != feature and surrogate != feature
    features = ", ".join([feature, twice, moved, surrogate])
    path.write_text(f'{{"type": "FeatureCollection", "features": [{features}]}}')
    cells = read_geojson(path, population.AREAS)
    assert cells.lines.tolist() == [1]
    assert cells.rejected.values.tolist() == [
        [2, "", "", "key given more than once in the feature"],
        [3, "", "", "key given more than once in the feature"],
        [4, "navn", "", "text with a lone surrogate, not Unicode"],
    ]


def test_a_property_that_is_an_object_or_list_is_quarantined(tmp_path):
    """to_text would have loaded Python's repr ("{'da': 'Bakkegården'}") as the name."""
    path = tmp_path / "omr.geojson"
    geometry = {"type": "Polygon", "coordinates": [SQUARE]}
    features = [
        {**FEATURE, "geometry": geometry},
        {
            **FEATURE,
            "geometry": geometry,
            "properties": {**FEATURE["properties"], "navn": {"da": "Bakkegården"}},
        },
        {
            **FEATURE,
            "geometry": geometry,
            "properties": {**FEATURE["properties"], "boligomraade_id": ["BO02"]},
        },
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    cells = read_geojson(path, population.AREAS)
    assert cells.lines.tolist() == [1]
    assert cells.rejected.values.tolist() == [
        [2, "navn", '{"da": "Bakkegården"}', "a JSON object, not a single value"],
        [3, "boligomraade_id", '["BO02"]', "a JSON list, not a single value"],
    ]


def test_a_geometry_that_is_no_polygon_in_utm32_is_quarantined(tmp_path):
    geometries = [
        {"type": "Polygon", "coordinates": [SQUARE]},  # 1: loads
        {"type": "Banana"},  # 2
        {"type": "Polygon", "coordinates": [SQUARE[:2]]},  # 3: two positions
        {"type": "Polygon", "coordinates": [SQUARE[:3] + [[560_000, 6_220_500]]]},  # 4: open
        {  # 5: WGS84 longitude and latitude
            "type": "Polygon",
            "coordinates": [[[10.2, 56.1], [10.3, 56.1], [10.3, 56.2], [10.2, 56.1]]],
        },
        {"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]},  # 6: loads
        {"type": "MultiPolygon", "coordinates": []},  # 7: no polygon
        {"type": "Polygon", "coordinates": [[[560_000, "6220000"], *SQUARE[1:]]]},  # 8: text
    ]
    features = [
        {
            **FEATURE,
            "properties": {**FEATURE["properties"], "boligomraade_id": f"BO{n}"},
            "geometry": g,
        }
        for n, g in enumerate(geometries, start=1)
    ]
    path = tmp_path / "omr.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    result = check(read_geojson(path, population.AREAS), population.AREAS)
    assert result.rows_read == 8
    assert result.records[["area_id", "source_line"]].values.tolist() == [["BO1", 1], ["BO6", 6]]
    assert [(line, column, reason) for line, column, _, reason in result.quarantine.values] == [
        (2, "geometri", "geometry type Banana, expected Polygon or MultiPolygon"),
        (3, "geometri", "a ring of 2 positions, at least 4"),
        (4, "geometri", "a ring not closed: its last position is not its first"),
        (
            5,
            "geometri",
            "position [10.2, 56.1] outside EPSG:25832 in Denmark "
            "(easting 400000-900000, northing 6000000-6450000)",
        ),
        (7, "geometri", "no polygon in the coordinates"),
        (8, "geometri", "a ring is not a list of [x, y] positions"),
    ]
    assert json.loads(result.quarantine["value"][0]) == {"type": "Banana"}
