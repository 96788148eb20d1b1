"""Who is told about which episode: configuration, validated when it is loaded.

indicator -> department (the indicator catalogue), department -> recipients (the contacts
seed, or the CSV named by KVARTER_ALERT_CONTACTS: department, department_name_da,
contact_email; one row per recipient), and optionally area contacts (KVARTER_ALERT_AREA_CONTACTS:
area_id, indicator_id or `*`, contact_email, name) such as the housing-social coordinator
or the housing organisation, for chosen indicators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

# Deliberately strict: one plain address, no display name, no spaces or line breaks.
ADDRESS = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class RoutingError(ValueError):
    """The routing configuration is wrong; the message names every problem."""


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str  # the department (or contact) the digest greets


@dataclass(frozen=True)
class Routing:
    department_of: dict[str, str]  # indicator -> department
    recipients_of: dict[str, list[Recipient]]  # department -> recipients
    area_contacts: pd.DataFrame  # area_id, indicator_id ('*' = all), contact_email, name

    def recipients(self, area_id: str, indicator_id: str) -> list[Recipient]:
        found = list(self.recipients_of[self.department_of[indicator_id]])
        chosen = self.area_contacts[
            (self.area_contacts["area_id"] == area_id)
            & self.area_contacts["indicator_id"].isin([indicator_id, "*"])
        ]
        found += [Recipient(r.contact_email, r.name) for r in chosen.itertuples()]
        return list(dict.fromkeys(found))


def load_routing(
    catalogue: pd.DataFrame,
    contacts: pd.DataFrame,
    area_contacts: pd.DataFrame | None = None,
    areas: set[str] | None = None,
) -> Routing:
    """Validate and assemble the routing; a RoutingError lists every problem at once."""
    problems = []
    area_contacts = (
        area_contacts
        if area_contacts is not None
        else pd.DataFrame(columns=["area_id", "indicator_id", "contact_email", "name"])
    )
    for label, frame, columns in (
        ("kontakter", contacts, {"department", "department_name_da", "contact_email"}),
        ("områdekontakter", area_contacts, {"area_id", "indicator_id", "contact_email", "name"}),
    ):
        if missing := columns - set(frame.columns):
            raise RoutingError(f"{label}: mangler kolonne(r) {', '.join(sorted(missing))}")
    for label, frame in (("kontakter", contacts), ("områdekontakter", area_contacts)):
        for row in frame.itertuples():
            address = str(row.contact_email).strip()
            if not ADDRESS.match(address):
                problems.append(f"{label}: ugyldig e-mailadresse {address!r}")
    recipients_of: dict[str, list[Recipient]] = {}
    for row in contacts.itertuples():
        recipients_of.setdefault(row.department, []).append(
            Recipient(str(row.contact_email).strip(), row.department_name_da)
        )
    department_of = dict(zip(catalogue["indicator_id"], catalogue["department"]))
    for indicator, department in sorted(department_of.items()):
        if department not in recipients_of:
            problems.append(
                f"indikatoren {indicator} hører til afdelingen {department!r}, "
                "som ingen modtagere har i kontakterne"
            )
    for row in area_contacts.itertuples():
        if row.indicator_id != "*" and row.indicator_id not in department_of:
            problems.append(f"områdekontakter: ukendt indikator {row.indicator_id!r}")
        if areas is not None and row.area_id not in areas:
            problems.append(f"områdekontakter: ukendt område {row.area_id!r}")
    if problems:
        raise RoutingError("Fejl i modtagerkonfigurationen:\n  " + "\n  ".join(problems))
    return Routing(department_of, recipients_of, area_contacts)
