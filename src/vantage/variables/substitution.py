"""`{{VAR}}` and `{{{VAR}}}` in API checks (pure), as Checkly renders them: in the URL, the body,
header values, query-parameter values and basic-auth username and password. `{{VAR}}` is
URI-encoded (JavaScript's encodeURIComponent), `{{{VAR}}}` inserted as is.

Values come from the check's variables, then its group's, then the account's (the first that has
the key wins), and Checkly's built-ins: `{{REGION}}` (the run's location), `{{$UUID}}` (a fresh
UUID v4) and `{{RANDOM_NUMBER}}` (0 to 1000). An unknown name is left as written, so the request
shows what is missing. Rendering happens per run location, when a session's jobs are made; the
secret values it used are listed on the job (`maskedValues`) so the probe scrubs them, and their
encoded forms, from everything it stores.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

PLACEHOLDER = re.compile(
    r"\{\{\{\s*([A-Za-z_$][A-Za-z0-9_$.-]*)\s*\}\}\}|\{\{\s*([A-Za-z_$][A-Za-z0-9_$.-]*)\s*\}\}"
)
# encodeURIComponent leaves these unescaped besides letters and digits.
URI_SAFE = "-_.!~*'()"
MASKED_VALUES = "maskedValues"


@dataclass(frozen=True, slots=True)
class Variable:
    value: str
    secret: bool = False


def merged(*levels: Iterable[Mapping[str, Any]]) -> dict[str, Variable]:
    """Variables by key, from the most specific level (given first) to the least."""
    out: dict[str, Variable] = {}
    for level in levels:
        for item in level:
            key = str(item.get("key") or "")
            if key and key not in out and item.get("value") is not None:
                out[key] = Variable(str(item["value"]), bool(item.get("secret")))
    return out


def _builtins(region: str) -> dict[str, Callable[[], str]]:
    return {
        "REGION": lambda: region,
        "$UUID": lambda: str(uuid.uuid4()),
        "RANDOM_NUMBER": lambda: str(random.randint(0, 1000)),
    }


class Renderer:
    def __init__(self, variables: Mapping[str, Variable], region: str) -> None:
        self._variables = variables
        self._builtins = _builtins(region)
        self.used_secrets: set[str] = set()

    def _value(self, name: str) -> str | None:
        found = self._variables.get(name)
        if found is not None:
            if found.secret:
                self.used_secrets.add(found.value)
            return found.value
        builtin = self._builtins.get(name)
        return builtin() if builtin is not None else None

    def render(self, text: str) -> str:
        if "{{" not in text:
            return text

        def replace(match: re.Match[str]) -> str:
            raw, encoded = match.group(1), match.group(2)
            value = self._value(raw or encoded)
            if value is None:
                return match.group(0)
            return value if raw else quote(value, safe=URI_SAFE)

        return PLACEHOLDER.sub(replace, text)


def _render_pairs(renderer: Renderer, pairs: Any) -> Any:
    if not isinstance(pairs, list):
        return pairs
    return [
        {**pair, "value": renderer.render(str(pair.get("value") or ""))}
        if isinstance(pair, Mapping)
        else pair
        for pair in pairs
    ]


# Checks whose scripts read their variables from `process.env` instead of `{{VAR}}`.
SCRIPT_TYPES = frozenset({"BROWSER", "MULTI_STEP"})
# What a script run's environment holds: the merged variables, then Checkly's built-ins.
SCRIPT_VARIABLES = "scriptVariables"


def _script_variables(
    out: dict[str, Any], variables: Mapping[str, Variable], region: str
) -> dict[str, Any]:
    """A script check's job carries its merged variables (check over group over account) as the
    environment of the run, with Checkly's `REGION`; secret values go to `maskedValues`."""
    env = {key: variable.value for key, variable in variables.items()}
    env.setdefault("REGION", region)
    out[SCRIPT_VARIABLES] = env
    secrets = sorted({v.value for v in variables.values() if v.secret and v.value})
    if secrets:
        out[MASKED_VALUES] = secrets
    return out


def render_check(
    check_type: str, config: Mapping[str, Any], variables: Mapping[str, Variable], region: str
) -> dict[str, Any]:
    """The config as one run in `region` sends it; with the secret values it used."""
    out = dict(config)
    if check_type in SCRIPT_TYPES:
        return _script_variables(out, variables, region)
    request = config.get("request")
    if check_type not in ("API", "URL") or not isinstance(request, Mapping):
        return out
    renderer = Renderer(variables, region)
    rendered = dict(request)
    rendered["url"] = renderer.render(str(request.get("url") or ""))
    if check_type == "API":
        rendered["body"] = renderer.render(str(request.get("body") or ""))
        rendered["headers"] = _render_pairs(renderer, request.get("headers"))
        rendered["queryParameters"] = _render_pairs(renderer, request.get("queryParameters"))
        auth = request.get("basicAuth")
        if isinstance(auth, Mapping):
            rendered["basicAuth"] = {
                **auth,
                "username": renderer.render(str(auth.get("username") or "")),
                "password": renderer.render(str(auth.get("password") or "")),
            }
    out["request"] = rendered
    if renderer.used_secrets:
        out[MASKED_VALUES] = sorted(renderer.used_secrets)
    return out
