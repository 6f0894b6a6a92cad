"""The check Edit page: a writer changes a check through the API's own update path; bad input is
a 400 page naming the problem; readers get no form."""

from __future__ import annotations

import pytest

from tests.support import checks as payloads
from tests.support.harness import Harness, Persona
from tests.support.sessions import create
from tests.support.ui import ORIGIN, hidden, logged_in
from tests.targets.http_target import HttpTarget
from vantage.errors import BadRequest
from vantage.ui import editing


def test_the_form_becomes_a_partial_update_with_lists_split_on_commas() -> None:
    form = {
        "name": " shop ",
        "frequency": "5",
        "locations": "local, eu-west-1,,",
        "tags": "prod,\nweb",
        "maxResponseTime": "3000",
        "degradedResponseTime": "",
        "activated": "on",
        "method": "post",
        "url": "http://example.test/",
    }
    assert editing.payload_of(form, has_request=True) == {
        "name": "shop",
        "activated": True,
        "muted": False,
        "frequency": 5,
        "locations": ["local", "eu-west-1"],
        "tags": ["prod", "web"],
        "maxResponseTime": 3000,
        "request": {"method": "POST", "url": "http://example.test/"},
    }


@pytest.mark.parametrize("field", ["frequency", "maxResponseTime"])
def test_a_number_field_that_is_not_a_number_is_refused_by_name(field: str) -> None:
    form = {"frequency": "5", field: "soon"}
    with pytest.raises(BadRequest) as refused:
        editing.payload_of(form, has_request=False)
    assert refused.value.keys == [field]


async def test_a_writer_edits_a_check_and_the_api_sees_the_change(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/ok", name="old"))
    edit = f"/accounts/{alice.account_id}/checks/{check_id}/edit"
    writer = await logged_in(vantage, alice)
    form_page = await writer.get(edit)
    assert form_page.status_code == 200 and 'value="old"' in form_page.text
    form = {
        "csrf": hidden(form_page.text, "csrf"),
        "name": "renamed",
        "frequency": "10",
        "locations": "local",
        "tags": "prod, web",
        "method": "HEAD",
        "url": f"{http_target.base_url}/ok?edited=1",
        "activated": "on",
    }
    saved = await writer.post(edit, data=form, headers=ORIGIN)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/accounts/{alice.account_id}/checks/{check_id}"
    stored = (await alice.get(f"/v1/checks/{check_id}")).json()
    assert (stored["name"], stored["frequency"], stored["tags"]) == ("renamed", 10, ["prod", "web"])
    assert stored["request"]["method"] == "HEAD"
    assert stored["request"]["url"].endswith("?edited=1")
    assert stored["request"]["assertions"]  # what the form does not show stays as it was

    refused = await writer.post(edit, data={**form, "frequency": "7"}, headers=ORIGIN)
    assert refused.status_code == 400
    assert "Not saved" in refused.text and "frequency" in refused.text
    assert 'value="renamed"' in refused.text  # what was typed is shown again
    assert (await alice.get(f"/v1/checks/{check_id}")).json()["frequency"] == 10


async def test_a_reader_gets_no_edit_link_and_no_form(
    vantage: Harness, alice: Persona, http_target: HttpTarget
) -> None:
    check_id = await create(alice, payloads.api_check(f"{http_target.base_url}/ok"))
    overview = f"/accounts/{alice.account_id}/checks/{check_id}"
    reader = await logged_in(vantage, alice, role="read-only")
    page = await reader.get(overview)
    assert f"{overview}/edit" not in page.text
    assert (await reader.get(f"{overview}/edit")).status_code == 403
    refused = await reader.post(
        f"{overview}/edit",
        data={"csrf": hidden(page.text, "csrf"), "name": "x", "frequency": "5"},
        headers=ORIGIN,
    )
    assert refused.status_code == 403
    assert (await alice.get(f"/v1/checks/{check_id}")).json()["name"] == "API check"
