"""A job's secrets (client-certificate keys and passphrases, its location's proxy URL, what secret
variables were rendered into) are opened only for the agent that runs it: everything else in its
config is handed over as stored, and a value the configured key cannot open leaves the run
without it, never with the sealed text."""

from __future__ import annotations

import json

from vantage.probes.http.client_certs import JOB_KEY
from vantage.probes.http.probe import PROXY_KEY
from vantage.queue.secrets import (
    RUN_KEY,
    UNOPENED_PROXY,
    UNOPENED_URL,
    has_secrets,
    opened,
    opened_json,
    sealed_run,
)
from vantage.sealing import Sealer
from vantage.variables.substitution import MASKED_VALUES, SCRIPT_VARIABLES

SEALER = Sealer("operator's key")
PROXY = "http://probe:s3cret@10.0.0.1:3128"


def stored_config() -> dict[str, object]:
    return {
        "checkType": "API",
        "request": {"url": "https://api.example.test/"},
        JOB_KEY: [
            {
                "host": "api.example.test",
                "cert": "CERT",
                "key": SEALER.seal("KEY"),
                "passphrase": SEALER.seal("PASS"),
            },
            {"host": "other.example.test", "cert": "CERT2", "key": SEALER.seal("KEY2")},
        ],
        PROXY_KEY: SEALER.seal(PROXY),
    }


def test_keys_passphrases_and_the_proxy_are_opened() -> None:
    config = opened(stored_config(), SEALER.open)
    first, second = config[JOB_KEY]
    assert (first["key"], first["passphrase"], second["key"]) == ("KEY", "PASS", "KEY2")
    assert first["cert"] == "CERT" and second.get("passphrase") is None
    assert config[PROXY_KEY] == PROXY
    assert config["request"] == {"url": "https://api.example.test/"}


def test_a_config_without_secrets_is_handed_over_as_stored() -> None:
    text = json.dumps({"checkType": "TCP", "request": {"hostname": "db", "port": 5432}})
    assert not has_secrets(text)
    assert opened_json(text, SEALER.open) is text


def test_the_stored_text_holds_no_secret_and_the_opened_one_holds_them() -> None:
    text = json.dumps(stored_config())
    assert has_secrets(text)
    assert "KEY" not in text.replace('"key"', "") and "s3cret" not in text
    handed = json.loads(opened_json(text, SEALER.open))
    assert handed[PROXY_KEY] == PROXY and handed[JOB_KEY][0]["key"] == "KEY"


def test_values_stored_before_sealing_open_as_they_are() -> None:
    legacy = {PROXY_KEY: PROXY, JOB_KEY: [{"host": "h", "cert": "C", "key": "plain:K"}]}
    config = opened(legacy, SEALER.open)
    assert config[PROXY_KEY] == PROXY and config[JOB_KEY][0]["key"] == "K"


def test_what_another_key_sealed_leaves_the_run_without_it() -> None:
    config = opened(stored_config(), Sealer("another key").open)
    assert config[JOB_KEY] == []
    assert config[PROXY_KEY] == UNOPENED_PROXY


# Secret environment variables: what they were rendered into is sealed as one value.

TOKEN = "t0ken-f0r-the-run"
WRITTEN = {
    "checkType": "API",
    "name": "orders",
    "request": {"url": "https://api.example.test/{{TOKEN}}", "headers": []},
}
RENDERED = {
    **WRITTEN,
    "request": {"url": f"https://api.example.test/{TOKEN}", "headers": []},
    MASKED_VALUES: [TOKEN],
}


def test_a_run_that_used_a_secret_is_stored_as_written_with_the_rendering_sealed() -> None:
    stored = sealed_run(WRITTEN, RENDERED, SEALER.seal)
    assert stored["request"] == WRITTEN["request"] and MASKED_VALUES not in stored
    assert stored[RUN_KEY].startswith("v1:")
    text = json.dumps(stored)
    assert TOKEN not in text and has_secrets(text)
    handed = json.loads(opened_json(text, SEALER.open))
    assert handed == RENDERED


def test_a_run_without_secrets_is_stored_as_rendered() -> None:
    rendered = {**WRITTEN, "request": {"url": "https://api.example.test/x"}}
    assert sealed_run(WRITTEN, rendered, SEALER.seal) == rendered


def test_a_scripts_environment_with_a_secret_is_sealed() -> None:
    written = {"checkType": "BROWSER", "script": "await page.goto(process.env.URL)"}
    rendered = {**written, SCRIPT_VARIABLES: {"URL": "u", "TOKEN": TOKEN}, MASKED_VALUES: [TOKEN]}
    stored = sealed_run(written, rendered, SEALER.seal)
    assert TOKEN not in json.dumps(stored) and SCRIPT_VARIABLES not in stored
    assert opened(stored, SEALER.open) == rendered


def test_a_run_another_key_sealed_fails_instead_of_sending_placeholders() -> None:
    stored = sealed_run(WRITTEN, RENDERED, SEALER.seal)
    handed = opened(stored, Sealer("another key").open)
    assert handed["request"]["url"] == UNOPENED_URL and RUN_KEY not in handed
    script = sealed_run(
        {"checkType": "BROWSER"},
        {"checkType": "BROWSER", SCRIPT_VARIABLES: {"T": TOKEN}, MASKED_VALUES: [TOKEN]},
        SEALER.seal,
    )
    assert opened(script, Sealer("another key").open)[SCRIPT_VARIABLES] == {}
