"""The `regex` of an assertion, refused at create time when the probes could not run it."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from vantage.probes.regex import MAX_PATTERN_LENGTH, RegexError, compile_pattern


def _runnable(pattern: str) -> str:
    try:
        compile_pattern(pattern)
    except RegexError as exc:
        # the 400 reads `"request.assertions[0].regex" uses lookahead (?=...), which RE2 ...`
        raise PydanticCustomError("regex", "{reason}", {"reason": str(exc)}) from None
    return pattern


Regex = Annotated[str, Field(max_length=MAX_PATTERN_LENGTH), AfterValidator(_runnable)]
