import pandas as pd
import pytest

from signals.routing import Recipient, RoutingError, load_routing

CATALOGUE = pd.DataFrame(
    {
        "indicator_id": ["emp_outside_work_edu", "hou_evictions"],
        "department": ["employment", "housing"],
    }
)
CONTACTS = pd.DataFrame(
    {
        "department": ["employment", "employment", "housing"],
        "department_name_da": ["Beskæftigelse", "Beskæftigelse", "Boligsocialt sekretariat"],
        "contact_email": ["jobcenter@k.example", "analyse@k.example", "bolig@k.example"],
    }
)


def test_indicator_to_department_to_recipients_plus_area_contacts():
    area = pd.DataFrame(
        {
            "area_id": ["BO04", "BO04"],
            "indicator_id": ["hou_evictions", "*"],
            "contact_email": ["bo@boligselskab.example", "koordinator@k.example"],
            "name": ["Boligselskabet", "Boligsocial koordinator"],
        }
    )
    routing = load_routing(CATALOGUE, CONTACTS, area, areas={"BO04", "BO05"})
    assert routing.recipients("BO05", "emp_outside_work_edu") == [
        Recipient("jobcenter@k.example", "Beskæftigelse"),
        Recipient("analyse@k.example", "Beskæftigelse"),
    ]
    assert [r.address for r in routing.recipients("BO04", "hou_evictions")] == [
        "bolig@k.example",
        "bo@boligselskab.example",
        "koordinator@k.example",
    ]


def test_every_problem_is_named_at_load():
    contacts = CONTACTS[CONTACTS["department"] == "employment"].copy()
    contacts.loc[1, "contact_email"] = "analyse@k.example\r\nBcc: x@evil.example"
    area = pd.DataFrame(
        {"area_id": ["BO99"], "indicator_id": ["nope"], "contact_email": ["a@b.example"],
         "name": ["x"]}
    )  # fmt: skip
    with pytest.raises(RoutingError) as error:
        load_routing(CATALOGUE, contacts, area, areas={"BO04"})
    assert str(error.value).splitlines() == [
        "Fejl i modtagerkonfigurationen:",
        "  kontakter: ugyldig e-mailadresse 'analyse@k.example\\r\\nBcc: x@evil.example'",
        "  indikatoren hou_evictions hører til afdelingen 'housing', som ingen modtagere har "
        "i kontakterne",
        "  områdekontakter: ukendt indikator 'nope'",
        "  områdekontakter: ukendt område 'BO99'",
    ]
