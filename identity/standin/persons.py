"""The stand-in provider's people: DVV's published test identity codes (valid
codes in the 900–999 test range; docs/identity.md) with made-up names where DVV
gives none, and one foreign person without a Finnish code (eIDAS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Person:
    key: str
    given_names: str
    family_name: str
    hetu: str = ""
    birth_date: date | None = None
    # eIDAS: the PersonIdentifier (CC/CC/identifier) and the country of the eID.
    eidas_id: str = ""
    note: str | Promise = ""

    @property
    def name(self) -> str:
        return f"{self.given_names} {self.family_name}"


PERSONS = [
    Person("tessa", "Tessa", "Testilä", hetu="010280-952L"),
    Person("joni", "Joni Kristian", "Kivi", hetu="010469-999W"),
    Person("aino", "Aino", "Testinen", hetu="010675-9981"),
    Person("saara", "Saara", "Demo", hetu="261298-998X"),
    Person("leena", "Leena", "Kokeilu", hetu="040265-9985"),
    Person("mikko", "Mikko", "Suojattu", hetu="260991-999R", note=_("address withheld")),
    Person("pekka", "Pekka", "Testaaja", hetu="020365-999P", note=_("deceased in the test data")),
    Person("maija", "Maija", "Esimerkki", hetu="210281-9988"),
]
EIDAS_PERSON = Person(
    "erika",
    "Erika",
    "Mustermann",
    birth_date=date(1964, 8, 12),
    eidas_id="DE/FI/123456789",
    note=_("Germany, no Finnish personal identity code"),
)
BY_KEY = {person.key: person for person in [*PERSONS, EIDAS_PERSON]}
