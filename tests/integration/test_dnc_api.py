"""Adding to a do-not-call list through HTTP: `region` reads numbers without + as national
numbers there, as the README documents; a region libphonenumber does not know, or an
`expires_at` in any shape but the seed's, answers 400 naming the field and stores nothing
(issue 23, defect 5)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from models.storage.intake_tables import dnc_entries
from tests.integration.api_fixtures import Api, served_api
from tests.integration.test_api_errors import error_of

__all__ = ["served_api"]
# Fullwidth digits, which strptime read as a year.
FULLWIDTH_2027 = "".join(chr(0xFF10 + int(digit)) for digit in "2027")


def listed(api: Api, client_id: int) -> list[str]:
    with api.engine.connect() as conn:
        return sorted(conn.execute(sa.select(dnc_entries.c.number).where(
            dnc_entries.c.client_id == client_id)).scalars())


def test_numbers_without_plus_are_read_in_the_region_given(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    added = served_api.call("POST", f"/client/{client_id}/dnc/", token, json={
        "numbers": ["(555) 010-0001", "+44 20 7123 4567"], "region": "US"})
    assert added.status_code == 201, added.text
    assert added.json()["numbers"] == ["+15550100001", "+442071234567"]
    french = served_api.call("POST", f"/client/{client_id}/dnc/", token, json={
        "numbers": ["01 42 68 53 00"], "region": "FR"})
    assert french.status_code == 201, french.text
    assert listed(served_api, client_id) == ["+15550100001", "+33142685300", "+442071234567"]
    document = served_api.http.get(served_api.base_url + "/openapi.json").json()
    assert "region" in document["components"]["schemas"]["DncAddIn"]["properties"]


@pytest.mark.parametrize(("body", "field"), [
    ({"numbers": ["(555) 010-0001"], "region": "ZZ"}, "region"),
    ({"numbers": ["(555) 010-0001"], "region": "us"}, "region"),
    ({"numbers": ["(555) 010-0001"], "region": ""}, "region"),
    ({"numbers": ["(555) 010-0001"], "region": 1}, "region"),
    ({"numbers": ["(555) 010-0001"]}, "numbers[0]"),
    ({"numbers": ["+15550100001"], "expires_at": f"{FULLWIDTH_2027}-01-01 00:00:00"},
     "expires_at"),
    ({"numbers": ["+15550100001"], "expires_at": "2099-1-1 0:0:0"}, "expires_at"),
    ({"numbers": ["+15550100001"], "expires_at": "2099-01-01  00:00:00"}, "expires_at"),
    ({"numbers": ["+15550100001"], "expires_at": "2099-01-01 00:00:00 "}, "expires_at"),
])
def test_a_bad_region_or_expiry_answers_400_naming_it(
    served_api: Api, body: dict[str, Any], field: str
) -> None:
    client_id, token = served_api.new_client()
    error = error_of(served_api.call("POST", f"/client/{client_id}/dnc/", token, json=body),
                     400)
    assert error["fields"][0]["field"] == field  # a bad region fails the national number too
    assert listed(served_api, client_id) == []
