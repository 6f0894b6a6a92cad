"""`{{VAR}}` rendering (pure): where, with which precedence, encoded how."""

from __future__ import annotations

import re

from vantage.variables.substitution import MASKED_VALUES, Variable, merged, render_check


def api(**request: object) -> dict[str, object]:
    return {"request": {"method": "GET", "url": "https://x.test/", **request}}


def test_the_check_wins_over_its_group_and_the_group_over_the_account() -> None:
    variables = merged(
        [{"key": "A", "value": "check"}],
        [{"key": "A", "value": "group"}, {"key": "B", "value": "group"}],
        [
            {"key": "A", "value": "account"},
            {"key": "B", "value": "account"},
            {"key": "C", "value": "account"},
        ],
    )
    assert {k: v.value for k, v in variables.items()} == {
        "A": "check",
        "B": "group",
        "C": "account",
    }


def test_every_field_checkly_renders_is_rendered() -> None:
    variables = {"V": Variable("v")}
    config = api(
        url="https://x.test/{{V}}",
        body='{"v": "{{V}}"}',
        headers=[{"key": "X-{{V}}", "value": "{{V}}"}],
        queryParameters=[{"key": "q", "value": "{{V}}"}],
        basicAuth={"username": "{{V}}", "password": "{{V}}"},
    )
    request = render_check("API", config, variables, "eu-west-1")["request"]
    assert request["url"] == "https://x.test/v"
    assert request["body"] == '{"v": "v"}'
    # Names are not templates, values are.
    assert request["headers"] == [{"key": "X-{{V}}", "value": "v"}]
    assert request["queryParameters"] == [{"key": "q", "value": "v"}]
    assert request["basicAuth"] == {"username": "v", "password": "v"}


def test_double_braces_uri_encode_and_triple_braces_do_not() -> None:
    variables = {"P": Variable("a b/c&d")}
    config = api(url="https://x.test/?p={{P}}&raw={{{P}}}")
    assert render_check("API", config, variables, "local")["request"]["url"] == (
        "https://x.test/?p=a%20b%2Fc%26d&raw=a b/c&d"
    )


def test_built_ins_give_the_region_a_uuid_and_a_number_and_unknown_names_stay() -> None:
    config = api(url="https://x.test/{{REGION}}/{{$UUID}}/{{RANDOM_NUMBER}}/{{NOPE}}")
    url = render_check("API", config, {}, "eu-central-1")["request"]["url"]
    match = re.fullmatch(r"https://x\.test/eu-central-1/([0-9a-f-]{36})/(\d+)/\{\{NOPE\}\}", url)
    assert match is not None, url
    assert 0 <= int(match.group(2)) <= 1000


def test_the_secret_values_used_are_listed_for_the_probe_to_scrub() -> None:
    variables = {"S": Variable("hunter22", secret=True), "P": Variable("plain")}
    rendered = render_check("API", api(url="https://x.test/{{S}}/{{P}}"), variables, "local")
    assert rendered[MASKED_VALUES] == ["hunter22"]
    assert MASKED_VALUES not in render_check(
        "API", api(url="https://x.test/{{P}}"), variables, "local"
    )


def test_url_checks_render_only_their_url_and_other_types_nothing() -> None:
    variables = {"V": Variable("v")}
    url_check = {"request": {"url": "https://x.test/{{V}}", "method": "GET"}}
    assert (
        render_check("URL", url_check, variables, "local")["request"]["url"] == "https://x.test/v"
    )
    tcp = {"request": {"hostname": "{{V}}", "port": 1}}
    assert render_check("TCP", tcp, variables, "local") == tcp
